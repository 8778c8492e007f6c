import ArgumentParser
import BerthCore
import CBerthSys
import Foundation

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a command in a new container.",
        discussion: "In the foreground, berth exits with the command's exit status. Detach with ctrl-p ctrl-q.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var flags: ContainerFlags
    @Flag(name: .long, help: "Remove the container when the command exits.")
    var rm = false
    @Flag(name: .shortAndLong, help: "Run in the background; print the container id.")
    var detach = false
    @Flag(name: [.short, .long], help: "Allocate a terminal.")
    var tty = false
    @Flag(name: [.short, .long], help: "Keep stdin open and forward it.")
    var interactive = false
    @Option(name: .long, help: "Key sequence that detaches (default ctrl-p,ctrl-q).")
    var detachKeys = "ctrl-p,ctrl-q"
    @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND [ARG...]] (COMMAND... with --rootfs)")
    var args: [String] = []

    /// The passthrough capture takes everything from the first positional on, so help asked
    /// for where the image would stand is caught here rather than read as an image name.
    func validate() throws {
        if let first = args.first, first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
        // The capture also takes an option nobody declared, where the image should stand.
        if let first = args.first, first.hasPrefix("-"), first != "-" {
            throw ValidationError("unknown option \(first.debugDescription)")
        }
    }

    var request: RunRequest {
        RunRequest(global: global.values, flags: flags.values, rm: rm, detach: detach, tty: tty, interactive: interactive,
                   detachKeys: detachKeys, args: args)
    }

    func run() async throws { await request.execute() }
}

/// One `berth run`, parsed (by RunCommand or, on the fast path, FastRunParser).
struct RunRequest: Equatable {
    var global = GlobalValues()
    var flags = ContainerFlagValues()
    var rm = false
    var detach = false
    var tty = false
    var interactive = false
    var detachKeys = "ctrl-p,ctrl-q"
    var args: [String] = []

    /// Exits as Docker does: with the command's status, 126 or 127 when the command cannot be
    /// run, and 125 when berth itself fails (an unknown image, an invalid option value).
    func execute() async {
        do throws(BerthError) {
            guard let (core, ns, id, keys) = try start() else { return }
            let attachment = try core.tasks.attach(namespace: ns, id: id)
            let tasks = core.tasks
            let session = AttachSession(attachment: attachment, terminal: tty, interactive: interactive, detachKeys: keys,
                                        forwardSignal: { sig in try? tasks.kill(namespace: ns, id: id, signal: sig) })
            guard let status = await session.run() else { return }
            attachment.close()
            if rm { try core.removeContainer(namespace: ns, id: id, force: true) }
            TaskCLI.exit(status)
        } catch {
            TaskCLI.failStart(error, otherwise: TaskCLI.runFailed)
        }
    }

    /// Without a terminal and stdin (how scripts run containers) nothing needs another thread.
    var runsInForeground: Bool { !tty && !interactive }

    /// `execute` for `runsInForeground`, all on the calling thread: the task's output is copied
    /// and SIGINT/SIGTERM forwarded to it (Docker's sig-proxy) from one poll loop, with no
    /// reader thread or hand-over between threads. The signals are blocked from the start; one
    /// that comes during set-up reaches the task once it runs.
    func executeInForeground() {
        let signals = [SIGINT, SIGTERM]
        let signalFD = berth_signalfd_for(signals, Int32(signals.count))
        do throws(BerthError) {
            guard let (core, ns, id, attachment) = try startAttached() else { return }
            try? attachment.closeStdin()
            let tasks = core.tasks
            let status = attachment.follow(emit: { bytes in bytes.withUnsafeBytes { try? FileSystem.writeAll(1, $0, path: "stdout") } },
                                           signals: signalFD) { sig in try? tasks.kill(namespace: ns, id: id, signal: sig) }
            attachment.close()
            if rm { try core.removeContainer(namespace: ns, id: id, force: true) }
            TaskCLI.exit(status)
        } catch {
            TaskCLI.failStart(error, otherwise: TaskCLI.runFailed)
        }
    }

    /// `start` for a foreground run without a terminal: the attachment comes with the task.
    private func startAttached() throws(BerthError) -> (BerthCore, String, String, TaskAttachment)? {
        if detach { _ = try start(); return nil }
        let p = try prepare()
        let (_, attachment) = try p.core.runAttached(namespace: p.ns, id: p.id, rootfs: p.rootfs, options: p.options,
                                                     labels: p.labels, shim: p.shim)
        return (p.core, p.ns, p.id, attachment)
    }

    /// Creates the container and starts its task; nil when detached (its id printed).
    private func start() throws(BerthError) -> (BerthCore, String, String, [UInt8])? {
        let p = try prepare()
        try p.core.run(namespace: p.ns, id: p.id, rootfs: p.rootfs, options: p.options, labels: p.labels, shim: p.shim)
        if detach { print(p.id); return nil }
        return (p.core, p.ns, p.id, p.detachKeys)
    }

    /// Everything a start needs.
    private struct Prepared {
        let core: BerthCore
        let ns: String
        let id: String
        let rootfs: BerthCore.RootfsChoice
        let options: ContainerOptions
        let labels: Labels
        let shim: PreparedShim?
        let detachKeys: [UInt8]
    }

    /// The options checked, the shim started (it detaches and makes the container's
    /// namespaces while the database is opened and the container created) and the core.
    private func prepare() throws(BerthError) -> Prepared {
        let keys = try AttachSession.parseDetachKeys(detachKeys)
        if rm && detach { throw BerthError.invalidArgument("--rm and --detach cannot be combined") }
        var (rootfs, options, labels) = try flags.resolve(positionals: args, terminal: tty)
        options.removeOnExit = rm
        let ns = global.ns
        let id = flags.name ?? BerthCore.newContainerID()
        let shim = BerthCore.prepareShim(paths: global.paths, namespace: ns, id: id, options: options)
        let core: BerthCore
        do { core = try global.core(deferringRecovery: true) } catch { shim?.cancel(); throw error }
        return Prepared(core: core, ns: ns, id: id, rootfs: rootfs, options: options, labels: labels, shim: shim, detachKeys: keys)
    }
}

enum TaskCLI {
    /// Docker's status for a `run` that failed before its command could start.
    static let runFailed: Int32 = 125

    /// A failed start exits as Docker does: 127 for a missing command, 126 when not executable;
    /// anything else with `otherwise` (or berth's usual status for the error).
    static func failStart(_ error: BerthError, otherwise: Int32? = nil) -> Never {
        if let code = error.underlying as? ProcessExitCode {
            CLI.printError(error.message)
            Foundation.exit(code.code)
        }
        guard let otherwise else { CLI.fail(error) }
        CLI.printError(error.description)
        Foundation.exit(otherwise)
    }

    /// Leaves with the task's status. Output is flushed, then the process ends without exit's
    /// atexit and static-destructor work (the runtime's and ICU's teardown), which nothing
    /// here needs and which are a noticeable part of a short run.
    static func exit(_ status: Int32) -> Never {
        fflush(nil)
        _exit(status)
    }
}
