import ArgumentParser
import BerthCore
import Foundation

struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "Manage tasks (the live processes of containers).",
        subcommands: [List.self, Start.self, Attach.self, Exec.self, Kill.self, Pause.self, Resume.self, Ps.self,
                      Metrics.self, Remove.self],
        aliases: ["t", "task"])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List tasks.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOption

        func run() throws {
            let tasks = try global.core().tasks.tasks(namespace: global.ns)
            if format.format == .json { try CLI.printJSON(tasks); return }
            CLI.printTable(["TASK", "PID", "STATUS", "EXIT", "IMAGE"], tasks.map {
                [$0.id, $0.pid.map(String.init) ?? "-", $0.status.rawValue.uppercased(),
                 $0.exitStatus.map(String.init) ?? "-", $0.image.isEmpty ? "-" : $0.image]
            })
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start", abstract: "Start a container's task (in the background unless --attach).")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Attach and wait; exit with the task's status.")
        var attach = false
        @Option(name: .long, help: "Key sequence that detaches.")
        var detachKeys = "ctrl-p,ctrl-q"
        @Argument var id: String

        func run() async throws {
            let core = try global.core()
            let keys = try AttachSession.parseDetachKeys(detachKeys)
            let info: TaskInfo
            do throws(BerthError) {
                info = try core.startTask(namespace: global.ns, id: id)
            } catch {
                TaskCLI.failStart(error)
            }
            guard attach else { print(info.pid.map(String.init) ?? ""); return }
            let a = try core.tasks.attach(namespace: global.ns, id: id)
            let status = await AttachSession(attachment: a, terminal: info.terminal, interactive: true, detachKeys: keys).run()
            if let status { TaskCLI.exit(status) }
        }
    }

    struct Attach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attach", abstract: "Attach to a task's terminal or output; ctrl-p ctrl-q detaches.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .long, help: "Key sequence that detaches.")
        var detachKeys = "ctrl-p,ctrl-q"
        @Flag(name: .long, help: "Do not forward stdin.")
        var noStdin = false
        @Argument var id: String

        func run() async throws {
            let core = try global.core()
            let keys = try AttachSession.parseDetachKeys(detachKeys)
            let info = try core.tasks.task(namespace: global.ns, id: id)
            let a = try core.tasks.attach(namespace: global.ns, id: id)
            let status = await AttachSession(attachment: a, terminal: info.terminal, interactive: !noStdin && info.status != .stopped,
                                              detachKeys: keys, forwardSignal: nil).run()
            if let status { TaskCLI.exit(status) }
        }
    }

    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "exec", abstract: "Run a process inside a running task.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: [.short, .long], help: "Allocate a terminal.")
        var tty = false
        @Flag(name: [.short, .long], help: "Keep stdin open and forward it.")
        var interactive = false
        @Flag(name: .shortAndLong, help: "Do not wait; print the exec id.")
        var detach = false
        @Option(name: .long, help: "Exec id (default: random).")
        var execId: String?
        @Option(name: [.short, .long], parsing: .singleValue, help: "Environment variable KEY=VALUE.")
        var env: [String] = []
        @Option(name: [.customShort("w"), .long], help: "Working directory.")
        var cwd: String?
        @Option(name: [.short, .long], help: "UID[:GID] or NAME[:GROUP].")
        var user: String?
        @Argument var id: String
        @Argument(parsing: .captureForPassthrough) var command: [String] = []

        func run() async throws {
            let core = try global.core()
            let a = try core.tasks.exec(namespace: global.ns, id: id, execID: execId, args: command, env: env, cwd: cwd,
                                          user: user, terminal: tty)
            if detach { print(a.execID ?? ""); return }
            let status = await AttachSession(attachment: a, terminal: tty, interactive: interactive,
                                             detachKeys: try AttachSession.parseDetachKeys("ctrl-p,ctrl-q")).run()
            if let status { TaskCLI.exit(status) }
        }
    }

    struct Kill: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal to a task.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .shortAndLong, help: "Signal name or number.")
        var signal = "TERM"
        @Flag(name: .shortAndLong, help: "Signal every process of the container, not only its init.")
        var all = false
        @Argument var id: String

        func run() throws {
            try global.core().tasks.kill(namespace: global.ns, id: id, signal: try SignalName.parse(signal), all: all)
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze every process of a task.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws { try global.core().tasks.pause(namespace: global.ns, id: id) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume", abstract: "Thaw a paused task.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() throws { try global.core().tasks.resume(namespace: global.ns, id: id) }
    }

    struct Ps: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ps", abstract: "List a task's processes (host pids).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOption
        @Argument var id: String

        func run() throws {
            let pids = try global.core().tasks.pids(namespace: global.ns, id: id)
            if format.format == .json { try CLI.printJSON(pids); return }
            CLI.printTable(["PID", "COMMAND"], pids.map { pid in
                // Raw bytes: a process names itself, in any encoding.
                let cmd = (try? FileSystem.readFile("/proc/\(pid)/cmdline")).map {
                    TerminalText.escape(bytes: $0.map { $0 == 0 ? 32 : $0 }).trimmingCharacters(in: .whitespaces)
                } ?? ""
                return [String(pid), cmd]
            })
        }
    }

    struct Metrics: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Show a task's cgroup metrics.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOption
        @Argument var id: String

        func run() throws {
            let m = try global.core().tasks.metrics(namespace: global.ns, id: id)
            if format.format == .json { try CLI.printJSON(m); return }
            func size(_ v: Int64?) -> String { v.map { $0 >= Int64.max / 2 ? "max" : CLI.humanSize($0) } ?? "-" }
            CLI.printTable(["METRIC", "VALUE"], [
                ["cpu usage", m.cpuUsageNanos.map { String(format: "%.3fs", Double($0) / 1e9) } ?? "-"],
                ["memory current", size(m.memoryCurrent)],
                ["memory peak", size(m.memoryPeak)],
                ["memory limit", size(m.memoryLimit)],
                ["pids current", m.pidsCurrent.map(String.init) ?? "-"],
                ["pids limit", m.pidsLimit.map(String.init) ?? "max"],
                ["oom kills", m.oomKills.map(String.init) ?? "-"],
            ])
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Delete a stopped task (a running one needs --force).", aliases: ["delete", "del"])
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Kill the task first if it runs.")
        var force = false
        @Argument var id: String

        func run() throws {
            let status = try global.core().tasks.deleteTask(namespace: global.ns, id: id, force: force)
            print("\(id) exited \(status)")
        }
    }
}
