import ArgumentParser
import BerthCore
import Foundation

struct LeasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leases", abstract: "Manage leases (what protects content and snapshots from garbage collection).",
        subcommands: [List.self, Create.self, Remove.self], aliases: ["lease"])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List leases.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @Flag(name: .shortAndLong, help: "Print only ids.") var quiet = false

        func run() throws {
            let all = try global.core().leases.list(namespace: global.ns)
            if output.format == .json { return try CLI.printJSON(all) }
            if quiet { all.forEach { CLI.say("\($0.id)") }; return }
            CLI.printTable(["ID", "CREATED AT", "LABELS"], all.map {
                [$0.id, ISO8601DateFormatter().string(from: $0.createdAt), CLI.formatLabels($0.labels)]
            })
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a lease and print its id.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Lease id (default: generated).") var id: String?
        @Option(help: "Expire after this long, e.g. 24h, 30m, 1h30m (default: never).") var expires: String?
        @Argument(help: "Labels, KEY=VALUE.") var labels: [String] = []

        func run() throws {
            let expiry = try expires.map { try LeasesCommand.parseDuration($0) }
            let l = try global.core().leases.create(namespace: global.ns, id: id, expiresIn: expiry, labels: CLI.parseLabels(labels))
            CLI.say("\(l.id)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove leases, then collect garbage.", aliases: ["remove", "delete"])
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Lease ids.") var ids: [String]

        func run() throws {
            _ = try global.core().removeLeases(namespace: global.ns, ids)
            ids.forEach { CLI.say("\($0)") }
        }
    }

    /// Go-style durations as ctr takes them: `90s`, `30m`, `1h30m`, `24h`.
    static func parseDuration(_ s: String) throws(BerthError) -> TimeInterval {
        var total = 0.0, number = ""
        var sawUnit = false
        for c in s {
            if c.isNumber || c == "." { number.append(c); continue }
            guard let v = Double(number) else { throw .invalidArgument("invalid duration \(s.debugDescription)") }
            switch c {
            case "h": total += v * 3600
            case "m": total += v * 60
            case "s": total += v
            default: throw .invalidArgument("invalid duration \(s.debugDescription): unknown unit \(String(c).debugDescription)")
            }
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit, total > 0 else { throw .invalidArgument("invalid duration \(s.debugDescription): want e.g. 24h or 30m") }
        return total
    }
}
