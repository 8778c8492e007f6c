import ArgumentParser
import BerthCore
import Foundation

struct ContainersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "containers", abstract: "Manage containers.",
        subcommands: [List.self, Create.self, Info.self, Remove.self], aliases: ["c", "container"])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List containers.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var format: FormatOption
        @Flag(name: .shortAndLong, help: "Print only ids.")
        var quiet = false

        func run() throws {
            let core = try global.core()
            let list = try core.tasks.containers(namespace: global.ns)
            if quiet { list.forEach { print($0.id) }; return }
            if format.format == .json { try CLI.printJSON(list); return }
            CLI.printTable(["CONTAINER", "IMAGE", "RUNTIME", "COMMAND"], list.map {
                [$0.id, $0.image.isEmpty ? "-" : $0.image, $0.runtime, ($0.spec.process?.args ?? []).joined(separator: " ")]
            })
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create", abstract: "Create a container from an image (or --rootfs DIR); prints its id.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var flags: ContainerFlags
        @Flag(name: [.short, .long], help: "Allocate a terminal for the task.")
        var tty = false
        @Argument(parsing: .captureForPassthrough, help: "IMAGE [COMMAND [ARG...]] (COMMAND... with --rootfs)")
        var args: [String] = []

        func run() throws {
            let core = try global.core()
            let (rootfs, options, labels) = try flags.values.resolve(positionals: args, terminal: tty)
            let id = flags.name ?? BerthCore.newContainerID()
            try core.createContainer(namespace: global.ns, id: id, rootfs: rootfs, options: options, labels: labels)
            print(id)
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "info", abstract: "Show a container as JSON (with its spec).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String

        func run() throws {
            try CLI.printJSON(try global.core().tasks.container(namespace: global.ns, id: id))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove containers with their snapshots (a running task needs --force).",
            aliases: ["remove", "delete", "del"])
        @OptionGroup var global: GlobalOptions
        @Flag(name: .shortAndLong, help: "Kill and remove a running task first.")
        var force = false
        @Argument var ids: [String]

        func run() throws {
            let core = try global.core()
            var failed: BerthError?
            for id in ids {
                do throws(BerthError) {
                    try core.removeContainer(namespace: global.ns, id: id, force: force)
                } catch {
                    if ids.count == 1 { throw error }
                    CLI.printError(error.description)
                    failed = error
                }
            }
            if let failed { throw failed }
        }
    }
}
