import ArgumentParser
import BerthCore

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "Stream events.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw BerthError.unavailable("events is not implemented yet")
    }
}
