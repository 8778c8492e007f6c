@testable import berth
import Foundation
import Testing

/// Human-readable output escapes what it interpolates; JSON output stays the same JSON value.
@Suite struct TerminalOutputTests {
    @Test func interpolatedValuesAreEscapedTheLayoutIsNot() {
        let name = "web\u{1B}]0;owned\u{07}"
        let line: TerminalLine = "Name:\t\(name)\n  Env: \(["A=\u{9B}2J"])"
        #expect(line.text == "Name:\tweb\\e]0;owned\\a\n  Env: [\"A=\\u{9b}2J\"]")
    }

    @Test func jsonKeepsTheValueWithoutRawControls() throws {
        let value = ["k\u{7F}": "v\u{1B}[2J\u{9B}31m\u{85}ü\u{A0}"]
        let encoded = try JSONEncoder().encode(value)
        let safe = CLI.escapingTerminalControls(json: encoded)
        #expect(!safe.contains { $0 < 0x20 || $0 == 0x7F })
        #expect(!String(decoding: safe, as: UTF8.self).unicodeScalars.contains { (0x80..<0xA0).contains($0.value) })
        #expect(try JSONDecoder().decode([String: String].self, from: safe) == value)
        let plain = try JSONEncoder().encode(["name": "localhost/busybox:latest"])
        #expect(CLI.escapingTerminalControls(json: plain) == plain)
    }
}
