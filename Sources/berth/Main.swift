import ArgumentParser
import BerthCore
import Foundation

@main
struct BerthMain {
    /// Synchronous: `berth run` without a terminal (what scripts do, over and over) runs on the
    /// main thread alone; everything else goes to an async task, as an async main would.
    static func main() {
        let args = hoistingGlobalOptions(Array(CommandLine.arguments.dropFirst()))
        let request = args.first == "run" ? FastRunParser.parse(args.dropFirst()) : nil
        if let request, request.runsInForeground {
            request.executeInForeground()
            exit(0)
        }
        runAsync(request, args)
    }

    /// Apart from `main`, so that the foreground run's path never touches the concurrency
    /// runtime's types (a fresh process pays for each type's first use).
    @inline(never)
    static func runAsync(_ request: RunRequest?, _ args: [String]) -> Never {
        Task {
            if let request { await request.execute() } else { await run(args) }
            exit(0)
        }
        dispatchMain()
    }

    static func run(_ args: [String]) async {
        do {
            var command = try parse(args)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as BerthError {
            CLI.fail(error)
        } catch {
            Berth.exit(withError: error)
        }
    }
}

func parse(_ args: [String]) throws -> any ParsableCommand {
    try Berth.parseAsRoot(args)
}

/// Global options may stand before the command (`berth -n team-a images ls`, as ctr and
/// podman take them). Every command declares them itself, and a command line with only options
/// would otherwise open the UI, so leading ones are moved into the environment the commands
/// read their defaults from.
func hoistingGlobalOptions(_ args: [String]) -> [String] {
    func envFor(_ option: String) -> String? {
        switch option {
        case "--root": return "BERTH_ROOT"
        case "--state": return "BERTH_STATE"
        case "--namespace", "-n": return "BERTH_NAMESPACE"
        default: return nil
        }
    }
    var i = 0
    while i < args.count {
        let a = args[i]
        guard a.hasPrefix("-") else { break }
        if let eq = a.firstIndex(of: "="), let key = envFor(String(a[..<eq])) {
            setenv(key, String(a[a.index(after: eq)...]), 1)
            i += 1
        } else if let key = envFor(a), i + 1 < args.count {
            setenv(key, args[i + 1], 1)
            i += 2
        } else {
            break
        }
    }
    return Array(args[i...])
}

struct Berth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "berth",
        abstract: "A container manager for Linux: images, snapshots and tasks, with a terminal UI.",
        discussion: "With no command on a terminal, berth opens its UI.",
        subcommands: [
            UICommand.self,
            NamespacesCommand.self,
            ContentCommand.self,
            ImagesCommand.self,
            SnapshotsCommand.self,
            LeasesCommand.self,
            GCCommand.self,
            ContainersCommand.self,
            TasksCommand.self,
            RunCommand.self,
            EventsCommand.self,
            DemoCommand.self,
            SystemCommand.self,
        ],
        defaultSubcommand: UICommand.self
    )
}

/// Options every command takes: which root, which state directory, which namespace.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Persistent data directory (env BERTH_ROOT).")
    var root: String?

    @Option(name: .long, help: "Runtime state directory (env BERTH_STATE).")
    var state: String?

    @Option(name: [.short, .long], help: "Namespace (env BERTH_NAMESPACE).")
    var namespace: String?

    var values: GlobalValues { GlobalValues(root: root, state: state, namespace: namespace) }
    var paths: BerthPaths { values.paths }
    var ns: String { values.ns }
    func core() throws(BerthError) -> BerthCore { try values.core() }
}

/// What GlobalOptions parsed, as plain values.
struct GlobalValues: Equatable {
    var root: String?
    var state: String?
    var namespace: String?

    var paths: BerthPaths { BerthPaths.fromEnvironment(root: root, state: state) }

    var ns: String {
        namespace ?? Environment.value("BERTH_NAMESPACE") ?? NamespaceName.default
    }

    func core(deferringRecovery: Bool = false) throws(BerthError) -> BerthCore {
        try NamespaceName.validate(ns)
        return try BerthCore(paths: paths, deferringRecovery: deferringRecovery)
    }
}
