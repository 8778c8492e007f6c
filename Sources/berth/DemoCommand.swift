import ArgumentParser
import BerthCore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Create the demo images from the host's busybox.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        throw BerthError.unavailable("demo is not implemented yet")
    }
}
