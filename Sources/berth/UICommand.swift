import ArgumentParser
import BerthCore

struct UICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ui", abstract: "Open the terminal UI.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw BerthError.unavailable("ui is not implemented yet")
    }
}
