import ArgumentParser
import BerthCore

struct ContainersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "containers", abstract: "Manage containers.",
        subcommands: [])
}
