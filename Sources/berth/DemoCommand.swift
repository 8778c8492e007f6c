import ArgumentParser
import BerthCore

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Create the demo image localhost/busybox:latest from the host's static busybox.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        if let image = try global.core().createDemoImage(namespace: global.ns) {
            print("created \(image.name) \(image.target.digest)")
        } else {
            print("\(BerthCore.demoImageName) already exists")
        }
    }
}
