@testable import BerthCore
import BerthTestSupport
import BerthUI
import Foundation
import Testing

/// Themes in the real binary: every shipped theme loads, `:theme` switches, a broken file is
/// reported and the default used, NO_COLOR draws without colour.
@Suite(.serialized) struct UIThemesTests {
    static let themesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("themes").path

    static var shipped: [String] { ThemeLocator(searchDirectories: [themesDir]).available() }

    @Test(.enabled(if: Privilege.canRunRootTests), arguments: shipped)
    func eachThemeLoads(name: String) throws {
        let tmp = try TempRoot("ui-theme"); defer { tmp.cleanup() }
        try tmp.core().namespaceStore.create("default")
        let ui = try UITmux(["--theme", name], tmp: tmp, env: ["BERTH_THEME_DIR": Self.themesDir])
        defer { ui.close() }
        let s = try ui.wait(for: "Create the demo image now?")
        #expect(!s.contains("theme \""), "theme error on screen:\n\(s)")
        try ui.keys("n")
        let colours = ui.screen(escapes: true)
        if name == "mono" {
            #expect(!colours.contains("[38;5;") && !colours.contains("[48;5;"))
        } else {
            #expect(colours.contains("\u{1b}["), "no attributes drawn")
        }
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func switchThemesFromTheCommandLine() throws {
        let tmp = try TempRoot("ui-theme"); defer { tmp.cleanup() }
        let ui = try UITmux([], tmp: tmp, env: ["BERTH_THEME_DIR": Self.themesDir])
        defer { ui.close() }
        try ui.wait(for: "Create the demo image now?")
        try ui.keys("n")
        try ui.keys(":")
        try ui.type("theme gruvbox")
        try ui.keys("Enter")
        try ui.wait(for: "theme gruvbox")
        try ui.keys(":")
        try ui.type("theme no-such-theme")
        try ui.keys("Enter")
        try ui.wait(for: "theme \"no-such-theme\" not found")
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func brokenThemeFileIsReportedAndTheDefaultUsed() throws {
        let tmp = try TempRoot("ui-theme"); defer { tmp.cleanup() }
        let bad = tmp.dir + "/broken.theme"
        try "# mine\nborder = red\nbordr = blue\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let ui = try UITmux(["--theme", bad], tmp: tmp)
        defer { ui.close() }
        let s = try ui.wait(for: "using the default theme")
        #expect(s.contains("theme \(bad), line 3: unknown key \"bordr\""))
        // Through BERTH_THEME as well, with a bad colour.
        try ui.keys("n", "q")
        try ui.wait(for: "__EXIT__0")
        try "selection = purplish\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let ui2 = try UITmux([], tmp: tmp, cols: 220, env: ["BERTH_THEME": bad])
        defer { ui2.close() }
        let s2 = try ui2.wait(for: "using the default theme")
        #expect(s2.contains("line 1, key \"selection\": unknown colour \"purplish\""))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func noColorMeansNoColour() throws {
        let tmp = try TempRoot("ui-theme"); defer { tmp.cleanup() }
        let ui = try UITmux([], tmp: tmp, env: ["NO_COLOR": "1"])
        defer { ui.close() }
        try ui.wait(for: "Create the demo image now?")
        let s = ui.screen(escapes: true)
        for sgr in ["[38;5;", "[48;5;", "[31m", "[32m", "[34m", "[44m"] { #expect(!s.contains(sgr), "colour \(sgr) drawn under NO_COLOR") }
        #expect(s.contains("\u{1b}[7m"), "the dialog should still stand out in reverse video")
        try ui.keys("n", "q")
        try ui.wait(for: "__EXIT__0")
    }
}
