import ArgumentParser
import BerthCore

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove unreferenced content and snapshots.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw BerthError.unavailable("gc is not implemented yet")
    }
}
