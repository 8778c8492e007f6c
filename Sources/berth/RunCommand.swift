import ArgumentParser
import BerthCore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a command in a new container.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw BerthError.unavailable("run is not implemented yet")
    }
}
