import Testing
@testable import BerthUI

/// Every list, detail and status line goes through `Screen.clip`: strings from images and
/// tasks reach ncurses with their control characters shown escaped, never raw.
@Suite struct ScreenTextTests {
    func drawn(_ text: String, width: Int = 200) -> String {
        let (chars, _) = Screen.clip(text, width: width)
        return String(String.UnicodeScalarView(chars.compactMap { Unicode.Scalar(UInt32(bitPattern: $0)) }))
    }

    @Test func escapeSequencesAreShownNotSent() {
        #expect(drawn(" Env: TITLE=\u{1B}]0;owned\u{07}\u{1B}[2J") == " Env: TITLE=\\e]0;owned\\a\\e[2J")
        #expect(drawn("web\u{9B}2J\u{7F}") == "web\\u{9b}2J\\x7f")
        #expect(drawn("line\nnext\tcol\r") == "line\\nnext\\tcol\\r")
    }

    @Test func noControlCharacterReachesNcurses() {
        var text = ""
        for v in 0..<0xA0 { text.unicodeScalars.append(Unicode.Scalar(UInt8(v))) }
        let (chars, used) = Screen.clip(text, width: 1000)
        #expect(!chars.contains { $0 < 0x20 || (0x7F..<0xA0).contains($0) })
        #expect(used == chars.count)
    }

    /// The log view lays out tabs itself, so they show as spaces there, not as `\t`.
    @Test func logTabsBecomeSpacesToTheNextStop() {
        #expect(LogText.lines(Array("a\tb\tc\n\tx\n".utf8)) == ["a       b       c", "        x"])
    }

    @Test func clippingCountsTheEscapedWidth() {
        let (chars, used) = Screen.clip("\u{1B}[2J", width: 4)
        #expect(used == 4 && chars.count == 4)
    }
}
