import ArgumentParser
import BerthCore

struct ContentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "content", abstract: "Manage the content store.",
        subcommands: [])
}
