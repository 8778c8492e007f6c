import ArgumentParser
import BerthCore
import BerthUI
import Foundation

struct UICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Open the terminal UI.",
        discussion: """
        Themes: --theme NAME or FILE, else BERTH_THEME, else `default`. Names are looked up in \
        $BERTH_THEME_DIR, ~/.config/berth/themes, <prefix>/share/berth/themes and the source \
        tree's themes/. NO_COLOR turns colour off.
        """)
    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "Theme name or theme file (env BERTH_THEME).")
    var theme: String?

    @Flag(name: .long, help: "Play a self-running tour; any key stops it.")
    var demo = false

    @Option(name: .long, help: .hidden)
    var fakeBackend: String?

    @Option(name: .long, help: .hidden)
    var benchFrames: Int?

    func run() throws {
        guard isatty(0) == 1, isatty(1) == 1 else {
            throw BerthError.invalidArgument("the UI needs a terminal; see `berth --help` for the commands")
        }
        let env = ProcessInfo.processInfo.environment
        let locator = ThemeLocator.standard()
        var startMessage: StatusLine?
        var chosen = Theme.builtinDefault
        if let name = theme ?? env["BERTH_THEME"].flatMap({ $0.isEmpty ? nil : $0 }) {
            do { chosen = try locator.load(name) } catch {
                startMessage = StatusLine("using the default theme: " + error.description, isError: true)
            }
        }
        let backend: any UIBackend
        if let spec = fakeBackend {
            backend = FakeBackend(spec: spec)
        } else {
            try NamespaceName.validate(global.ns)
            backend = CoreBackend(core: try global.core())
        }
        let options = UIOptions(namespace: global.ns, theme: chosen, themes: locator,
                                noColor: !(env["NO_COLOR"] ?? "").isEmpty, tour: demo,
                                startMessage: startMessage, benchFrames: benchFrames)
        App.run(backend: backend, options: options)
        (backend as? FakeBackend)?.shutdown()
    }
}
