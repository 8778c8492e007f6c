import BerthCore
import Foundation
import Testing
@testable import BerthUI

@Suite struct ThemeTests {
    static let themesDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("themes").path

    @Test func builtinDefaultGivesEveryRole() {
        for r in ThemeRole.allCases { #expect(Theme.builtinDefault.styles[r] != nil, "\(r.rawValue)") }
        #expect(Theme.builtinDefault[.selection] == Style(fg: 231, bg: 25, bold: true))
    }

    @Test func theTreesDefaultFileIsTheBuiltinOne() throws {
        let t = try ThemeLocator(searchDirectories: [Self.themesDir]).load("default")
        #expect(t == Theme.builtinDefault)
    }

    @Test func everyShippedThemeParsesCompletely() throws {
        let loc = ThemeLocator(searchDirectories: [Self.themesDir])
        let names = loc.available()
        #expect(names.count >= 4)
        for n in names {
            let text = try String(contentsOfFile: Self.themesDir + "/\(n).theme", encoding: .utf8)
            // Parsed without a base, so a file missing a role fails here.
            let t = try ThemeParser.parse(text, file: n + ".theme", base: nil)
            #expect(t.name == n)
        }
    }

    @Test func valueGrammar() throws {
        #expect(try ThemeParser.parseStyle("red") == Style(fg: 1))
        #expect(try ThemeParser.parseStyle("bright-blue on black bold underline") == Style(fg: 12, bg: 0, bold: true, underline: true))
        #expect(try ThemeParser.parseStyle("default on 236 reverse dim") == Style(fg: -1, bg: 236, reverse: true, dim: true))
        #expect(try ThemeParser.parseStyle("#ff0000") == Style(fg: 196))
        #expect(try ThemeParser.parseStyle("#000000 on #ffffff") == Style(fg: 16, bg: 231))
        #expect(try ThemeParser.parseStyle("grey # a comment") == Style(fg: 8))
    }

    func parseError(_ text: String) -> String {
        do { _ = try ThemeParser.parse(text, file: "/etc/x/broken.theme"); return "" } catch { return error.message }
    }

    @Test func badFilesNameFileKeyAndLine() {
        let unknownKey = parseError("# c\nborder = red\nbordr = blue\n")
        #expect(unknownKey.contains("/etc/x/broken.theme") && unknownKey.contains("line 3") && unknownKey.contains("\"bordr\""))
        let badColour = parseError("\n\nselection = purpleish on black\n")
        #expect(badColour.contains("line 3") && badColour.contains("\"selection\"") && badColour.contains("purpleish"))
        let range = parseError("header = 300\n")
        #expect(range.contains("line 1") && range.contains("300"))
        let noEquals = parseError("text red\n")
        #expect(noEquals.contains("line 1") && noEquals.contains("key = value"))
        let twice = parseError("text = red\ntext = blue\n")
        #expect(twice.contains("line 2") && twice.contains("twice"))
        let attr = parseError("hint = red blinking\n")
        #expect(attr.contains("\"hint\"") && attr.contains("blinking"))
    }

    @Test func missingRolesKeepTheBase() throws {
        let t = try ThemeParser.parse("name = tiny\nborder = red\n", file: "tiny.theme")
        #expect(t.name == "tiny")
        #expect(t[.border] == Style(fg: 1))
        #expect(t[.selection] == Theme.builtinDefault[.selection])
    }

    @Test func locatorFindsFilesAndNamesWhatIsMissing() throws {
        let dir = NSTemporaryDirectory() + "berth-themes-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "border = green\n".write(toFile: dir + "/mine.theme", atomically: true, encoding: .utf8)
        try "border = nope\n".write(toFile: dir + "/bad.theme", atomically: true, encoding: .utf8)
        let loc = ThemeLocator(searchDirectories: ["/nonexistent", dir])
        #expect(try loc.load("mine")[.border] == Style(fg: 2))
        #expect(try loc.load(dir + "/mine.theme")[.border] == Style(fg: 2))
        #expect(try loc.load("default") == Theme.builtinDefault)
        #expect(loc.available() == ["bad", "default", "mine"])
        do { _ = try loc.load("absent"); Issue.record("loaded a missing theme") } catch {
            #expect(error.code == .notFound && error.message.contains("absent") && error.message.contains("mine"))
        }
        do { _ = try loc.load("bad"); Issue.record("loaded a bad theme") } catch {
            #expect(error.message.contains(dir + "/bad.theme") && error.message.contains("line 1") && error.message.contains("\"border\""))
        }
    }

    @Test func standardLookupFindsTheSourceTreeAndPrefix() {
        let loc = ThemeLocator.standard(environment: ["BERTH_THEME_DIR": "/opt/t", "HOME": "/home/u"],
                                        executable: Self.themesDir + "/../.build/debug/berth")
        #expect(loc.searchDirectories.first == "/opt/t")
        #expect(loc.searchDirectories.contains("/home/u/.config/berth/themes"))
        #expect(loc.searchDirectories.contains { $0.hasSuffix("share/berth/themes") })
        #expect(loc.path(for: "gruvbox") != nil)
    }
}
