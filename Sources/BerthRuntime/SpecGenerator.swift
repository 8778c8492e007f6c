import BerthBase
import BerthOCI

/// What a user may ask of a new container beyond the image's defaults (`berth run` flags).
public struct ContainerOptions: Sendable, Equatable {
    /// Replaces the image's Cmd (`berth run IMAGE CMD...`).
    public var command: [String]?
    /// Replaces the image's Entrypoint.
    public var entrypoint: [String]?
    public var env: [String] = []
    public var cwd: String?
    /// `UID[:GID]` or `NAME[:GROUP]`, resolved against the rootfs when the task starts.
    public var user: String?
    public var hostname: String?
    public var mounts: [Spec.Mount] = []
    public var hostNetwork = false
    public var readOnly = false
    public var privileged = false
    public var capAdd: [String] = []
    public var capDrop: [String] = []
    public var seccomp: SeccompChoice = .dockerDefault
    public var terminal = false
    public var memory: Int64?
    public var cpu: Spec.Resources.CPU?
    public var pidsLimit: Int64?
    /// Host devices made in the container and allowed by its device cgroup (`--device`).
    public var devices: [DeviceRequest] = []
    /// The container goes with its task (`berth run --rm`): its rootfs overlay is mounted
    /// `volatile`, as podman mounts those of `--rm` containers. Nothing of it is kept, so
    /// nothing of it needs reaching the disk: no syncs to the upper layer, and an unmount
    /// without the upper file system's journal commit.
    public var removeOnExit = false

    public init() {}

    public enum SeccompChoice: Sendable, Equatable {
        case dockerDefault
        case unconfined
        case profile(SeccompProfile)
    }
}

/// Builds a container's OCI runtime spec from its image config with Docker's defaults.
public enum SpecGenerator {
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    /// Where the unresolved `--user`/image User is kept until the rootfs can be read.
    public static let userAnnotation = "org.berth.user"
    /// Set on the spec of a container made with `removeOnExit`.
    public static let removeOnExitAnnotation = "org.berth.remove-on-exit"

    /// Docker's masked paths (moby oci/defaults.go): hidden behind /dev/null or an empty ro tmpfs.
    public static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ]
    public static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    public static func generate(id: String, namespace: String, image: ImageConfig.Config?, options o: ContainerOptions) throws(BerthError) -> Spec {
        try OptionParsing.validateID(id)
        let entrypoint = o.entrypoint ?? image?.Entrypoint ?? []
        // Docker: an Entrypoint override drops the image's Cmd.
        let cmd = o.command ?? (o.entrypoint == nil ? image?.Cmd ?? [] : [])
        let args = entrypoint + cmd
        guard let first = args.first, !first.isEmpty else {
            throw .invalidArgument("no command specified: the image has no Entrypoint or Cmd and none was given")
        }
        let hostname = o.hostname ?? String(id.prefix(63))
        try validateHostname(hostname)

        var env = mergeEnv(image?.Env ?? [], o.env)
        if !env.contains(where: { $0.hasPrefix("PATH=") }) { env.insert(defaultPath, at: 0) }
        env = mergeEnv(env, ["HOSTNAME=\(hostname)"] + (o.terminal ? ["TERM=xterm"] : []), keepExisting: true)

        let cwd = o.cwd ?? nonEmpty(image?.WorkingDir) ?? "/"
        guard cwd.hasPrefix("/") else { throw .invalidArgument("invalid working directory \(cwd.debugDescription): want an absolute path") }

        let userString = o.user ?? nonEmpty(image?.User)
        var user = Spec.User()
        if let userString {
            let u = try OptionParsing.UserSpec(userString)
            if let uid = UInt32(u.user), u.group.map({ UInt32($0) != nil }) ?? true {
                user = Spec.User(uid: uid, gid: u.group.flatMap { UInt32($0) } ?? 0)
            }
        }

        let caps = try Capability.effective(privileged: o.privileged, add: o.capAdd, drop: o.capDrop)
        var process = Spec.Process(user: user, args: args, env: env, cwd: cwd)
        process.terminal = o.terminal
        process.capabilities = .init(bounding: caps, effective: caps, inheritable: [], permitted: caps, ambient: [])
        process.rlimits = [.init(type: "RLIMIT_NOFILE", hard: 1_048_576, soft: 1_048_576)]
        process.noNewPrivileges = !o.privileged

        var spec = Spec()
        spec.process = process
        spec.root = .init(path: "rootfs", readonly: o.readOnly)
        spec.hostname = hostname
        spec.mounts = defaultMounts(privileged: o.privileged) + o.mounts
        if let userString { spec.annotations = [userAnnotation: userString] }
        if o.removeOnExit { spec.annotations = (spec.annotations ?? [:]).merging([removeOnExitAnnotation: "true"]) { $1 } }

        var linux = Spec.Linux()
        linux.namespaces = namespaces(o).map { Spec.Namespace(type: $0) }
        linux.devices = defaultDevices + o.devices.map(\.node)
        linux.cgroupsPath = "berth/\(namespace)/\(id)"
        let deviceRules = o.privileged ? [.init(allow: true, access: "rwm")] : defaultDeviceRules + o.devices.map {
            Spec.Resources.DeviceRule(allow: true, type: $0.node.type, major: $0.node.major, minor: $0.node.minor, access: $0.access)
        }
        linux.resources = .init(devices: deviceRules, memory: o.memory.map { .init(limit: $0, swap: $0) }, cpu: o.cpu,
                                pids: o.pidsLimit.map { .init(limit: $0) })
        if !o.privileged {
            linux.maskedPaths = maskedPaths
            linux.readonlyPaths = readonlyPaths
            switch o.seccomp {
            case .dockerDefault: linux.seccomp = SeccompProfile.dockerDefault.resolve(caps: caps)
            case .profile(let p): linux.seccomp = p.resolve(caps: caps)
            case .unconfined: break
            }
        }
        spec.linux = linux
        return spec
    }

    /// Docker's default mounts (containerd oci/mounts.go + moby's /dev/shm); /sys is read-only
    /// unless privileged.
    /// The namespaces a container gets (Docker's: all new, the network one unless --net host).
    public static func namespaces(_ o: ContainerOptions) -> [String] {
        o.hostNetwork ? ["pid", "ipc", "uts", "mount", "cgroup"] : ["pid", "network", "ipc", "uts", "mount", "cgroup"]
    }

    public static func defaultMounts(privileged: Bool) -> [Spec.Mount] {
        [
            .init(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            .init(destination: "/dev/pts", type: "devpts", source: "devpts",
                  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            .init(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", privileged ? "rw" : "ro"]),
            .init(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
            .init(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        ]
    }

    /// The device nodes every container gets in its /dev (runtime-spec config-linux.md#default-devices).
    public static let defaultDevices: [Spec.Device] = [
        ("/dev/null", 1, 3), ("/dev/zero", 1, 5), ("/dev/full", 1, 7), ("/dev/random", 1, 8),
        ("/dev/urandom", 1, 9), ("/dev/tty", 5, 0),
    ].map { Spec.Device(type: "c", path: $0.0, major: $0.1, minor: $0.2, fileMode: 0o666, uid: 0, gid: 0) }

    /// Docker's device cgroup rules (moby's defaults, as runc and crun apply them): every device
    /// denied, then mknod of any node and the use of the standard devices, the terminals
    /// (ptmx, the ptys, tty, console) and tun allowed.
    public static let defaultDeviceRules: [Spec.Resources.DeviceRule] = [
        .init(allow: false, access: "rwm"),
        .init(allow: true, type: "c", access: "m"),
        .init(allow: true, type: "b", access: "m"),
    ] + ([(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, nil), (10, 200)] as [(Int64, Int64?)]).map {
        .init(allow: true, type: "c", major: $0.0, minor: $0.1, access: "rwm")
    }

    /// Later entries replace earlier ones with the same key; with `keepExisting`, existing keys win.
    static func mergeEnv(_ base: [String], _ extra: [String], keepExisting: Bool = false) -> [String] {
        var out = base
        for e in extra {
            let key = e.split(separator: "=", maxSplits: 1).first.map(String.init) ?? e
            if let i = out.firstIndex(where: { $0 == key || $0.hasPrefix(key + "=") }) {
                if !keepExisting { out[i] = e }
            } else {
                out.append(e)
            }
        }
        return out
    }

    static func validateHostname(_ h: String) throws(BerthError) {
        guard !h.isEmpty, h.utf8.count <= 64, h.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw .invalidArgument("invalid hostname \(h.debugDescription)")
        }
    }

    static func nonEmpty(_ s: String?) -> String? { (s?.isEmpty ?? true) ? nil : s }
}
