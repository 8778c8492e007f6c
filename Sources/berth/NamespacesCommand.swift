import ArgumentParser
import BerthCore
import Foundation

struct NamespacesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespaces", abstract: "Manage namespaces.",
        subcommands: [List.self, Create.self, Remove.self, Label.self], aliases: ["namespace", "ns"])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List namespaces.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @Flag(name: .shortAndLong, help: "Print only names.") var quiet = false

        func run() throws {
            let all = try global.core().namespaces.list()
            if output.format == .json { return try CLI.printJSON(all) }
            if quiet { all.forEach { print($0.name) }; return }
            CLI.printTable(["NAME", "LABELS"], all.map { [$0.name, CLI.formatLabels($0.labels)] })
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a namespace.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Namespace name.") var name: String
        @Argument(help: "Labels, KEY=VALUE.") var labels: [String] = []

        func run() throws {
            try global.core().createNamespace(name, labels: CLI.parseLabels(labels))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove empty namespaces.", aliases: ["remove", "delete"])
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Namespace names.") var names: [String]

        func run() throws {
            let core = try global.core()
            for n in names {
                try core.removeNamespace(n)
                print(n)
            }
        }
    }

    struct Label: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set or clear (KEY=) labels on a namespace.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Namespace name.") var name: String
        @Argument(help: "Labels, KEY=VALUE; KEY= removes.") var labels: [String] = []

        func run() throws {
            var changes: Labels = [:]
            for a in labels { let (k, v) = try LabelRules.parse(a); changes[k] = v }
            try global.core().namespaces.setLabels(name, changes)
        }
    }
}
