import ArgumentParser
import BerthCore

struct LeasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leases", abstract: "Manage leases.",
        subcommands: [])
}
