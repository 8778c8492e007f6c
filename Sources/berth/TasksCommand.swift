import ArgumentParser
import BerthCore

struct TasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "Manage tasks.",
        subcommands: [])
}
