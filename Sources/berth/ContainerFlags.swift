import ArgumentParser
import BerthCore
import Foundation

/// The options `berth run` and `berth containers create` share.
struct ContainerFlags: ParsableArguments {
    @Option(name: .customLong("name"), help: "Container id (default: random).")
    var name: String?

    @Option(name: .long, help: "Use this host directory as the rootfs instead of an image.")
    var rootfs: String?

    @Option(name: [.short, .long], parsing: .singleValue, help: "Set an environment variable (KEY=VALUE, or KEY to copy berth's).")
    var env: [String] = []

    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.")
    var cwd: String?

    @Option(name: [.short, .long], help: "UID[:GID] or NAME[:GROUP] (looked up in the image's /etc/passwd and /etc/group).")
    var user: String?

    @Option(name: .long, help: "Hostname (default: the container id).")
    var hostname: String?

    @Option(name: .long, help: "Override the image's entrypoint.")
    var entrypoint: String?

    @Option(name: .long, parsing: .singleValue, help: "Bind mount: type=bind,src=HOST,dst=CONTAINER[,options=ro].")
    var mount: [String] = []

    @Option(name: .long, parsing: .singleValue, help: "Add a host device: HOST[:CONTAINER][:PERMISSIONS] (r, w, m; default rwm).")
    var device: [String] = []

    @Option(name: .long, help: "Network: 'host' shares berth's network namespace (default: a new one with lo).")
    var net: String?

    @Flag(name: .long, help: "Mount the rootfs read-only.")
    var readOnly = false

    @Flag(name: .long, help: "All capabilities, no seccomp, no masked or read-only paths.")
    var privileged = false

    @Option(name: .long, parsing: .singleValue, help: "Add a capability (e.g. NET_ADMIN, ALL).")
    var capAdd: [String] = []

    @Option(name: .long, parsing: .singleValue, help: "Drop a capability (e.g. CHOWN, ALL).")
    var capDrop: [String] = []

    @Option(name: .long, help: "Seccomp profile: a Docker-format JSON file, or 'unconfined'.")
    var seccompProfile: String?

    @Option(name: [.customShort("m"), .long], help: "Memory limit: bytes or a number with k, m or g (e.g. 512m).")
    var memory: String?

    @Option(name: .long, help: "CPU limit in CPUs (e.g. 0.5).")
    var cpus: String?

    @Option(name: .long, help: "CPU shares (relative weight).")
    var cpuShares: UInt64?

    @Option(name: .long, help: "Maximum number of processes.")
    var pidsLimit: String?

    @Option(name: [.customShort("l"), .long], parsing: .singleValue, help: "Label KEY=VALUE.")
    var label: [String] = []

    var values: ContainerFlagValues {
        ContainerFlagValues(name: name, rootfs: rootfs, env: env, cwd: cwd, user: user, hostname: hostname,
                            entrypoint: entrypoint, mount: mount, device: device, net: net, readOnly: readOnly, privileged: privileged,
                            capAdd: capAdd, capDrop: capDrop, seccompProfile: seccompProfile, memory: memory, cpus: cpus,
                            cpuShares: cpuShares, pidsLimit: pidsLimit, label: label)
    }
}

/// What ContainerFlags parsed, as plain values (FastRunParser fills the same struct).
struct ContainerFlagValues: Equatable {
    var name: String?
    var rootfs: String?
    var env: [String] = []
    var cwd: String?
    var user: String?
    var hostname: String?
    var entrypoint: String?
    var mount: [String] = []
    var device: [String] = []
    var net: String?
    var readOnly = false
    var privileged = false
    var capAdd: [String] = []
    var capDrop: [String] = []
    var seccompProfile: String?
    var memory: String?
    var cpus: String?
    var cpuShares: UInt64?
    var pidsLimit: String?
    var label: [String] = []

    /// Positionals: IMAGE [CMD...], or CMD... with --rootfs.
    func resolve(positionals: [String], terminal: Bool) throws(BerthError) -> (BerthCore.RootfsChoice, ContainerOptions, Labels) {
        var args = positionals
        let rootfs: BerthCore.RootfsChoice
        if let dir = self.rootfs {
            rootfs = .directory(dir.hasPrefix("/") ? dir : FileManager.default.currentDirectoryPath + "/" + dir)
        } else {
            guard !args.isEmpty else { throw .invalidArgument("an image is required (or --rootfs DIR)") }
            rootfs = .image(args.removeFirst())
        }
        var o = ContainerOptions()
        if !args.isEmpty { o.command = args }
        if let entrypoint { o.entrypoint = entrypoint.isEmpty ? [] : [entrypoint] }
        // The whole host environment only when an --env names a variable to pass through.
        let host = env.contains { !$0.utf8.contains(UInt8(ascii: "=")) } ? ProcessInfo.processInfo.environment : [:]
        for e in env { if let v = try OptionParsing.env(e, host: host) { o.env.append(v) } }
        if let cwd {
            guard cwd.hasPrefix("/") else { throw .invalidArgument("invalid working directory \(cwd.debugDescription): want an absolute path") }
            o.cwd = cwd
        }
        if let user { o.user = try OptionParsing.UserSpec(user).description }
        o.hostname = hostname
        for m in mount { o.mounts.append(try OptionParsing.mount(m)) }
        for d in device { o.devices.append(try OptionParsing.device(d)) }
        switch net {
        case nil, "none", "private": break
        case "host": o.hostNetwork = true
        case let other?: throw .invalidArgument("invalid network \(other.debugDescription): want host")
        }
        o.readOnly = readOnly
        o.privileged = privileged
        o.capAdd = capAdd
        o.capDrop = capDrop
        switch seccompProfile {
        case nil: o.seccomp = .dockerDefault
        case "unconfined": o.seccomp = .unconfined
        case let path?: o.seccomp = .profile(try SeccompProfile.load(path: path))
        }
        o.terminal = terminal
        if let memory { o.memory = try OptionParsing.memoryLimit(memory) }
        if let cpus { o.cpu = try OptionParsing.cpus(cpus) }
        if let cpuShares {
            guard cpuShares >= 2 else { throw .invalidArgument("invalid cpu shares \(cpuShares): minimum is 2") }
            o.cpu = o.cpu ?? Spec.Resources.CPU()
            o.cpu?.shares = cpuShares
        }
        if let pidsLimit { o.pidsLimit = try OptionParsing.pidsLimit(pidsLimit) }
        // Validate the capability names now, so a typo fails before anything is created.
        _ = try Capability.effective(privileged: privileged, add: capAdd, drop: capDrop)
        return (rootfs, o, try CLI.parseLabels(label))
    }
}

/// A signal given by name or number: KILL, SIGKILL, 9.
enum SignalName {
    static let names: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT, "BUS": SIGBUS,
        "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2, "PIPE": SIGPIPE,
        "ALRM": SIGALRM, "TERM": SIGTERM, "CHLD": SIGCHLD, "CONT": SIGCONT, "STOP": SIGSTOP, "TSTP": SIGTSTP,
        "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM,
        "PROF": SIGPROF, "WINCH": SIGWINCH, "IO": SIGIO, "PWR": SIGPWR, "SYS": SIGSYS,
    ]

    static func parse(_ s: String) throws(BerthError) -> Int32 {
        if let n = Int32(s), n > 0, n < 65 { return n }
        var up = s.uppercased()
        if up.hasPrefix("SIG") { up.removeFirst(3) }
        guard let v = names[up] else { throw .invalidArgument("invalid signal \(s.debugDescription)") }
        return v
    }
}
