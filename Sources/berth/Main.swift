import ArgumentParser
import BerthCore
import Foundation

@main
struct BerthMain {
    static func main() async {
        do {
            var command = try Berth.parseAsRoot()
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

    var paths: BerthPaths { BerthPaths.fromEnvironment(root: root, state: state) }

    var ns: String {
        namespace ?? ProcessInfo.processInfo.environment["BERTH_NAMESPACE"] ?? NamespaceName.default
    }

    func core() throws(BerthError) -> BerthCore {
        try NamespaceName.validate(ns)
        return try BerthCore(paths: paths)
    }
}
