import BerthBase
import Testing

@Suite struct TerminalTextTests {
    @Test func plainTextIsUnchanged() {
        for s in ["", "localhost/busybox:latest", "PATH=/usr/bin:/bin", "a b=c,d", "~!@#$%^&*()_+{}|:\"<>?"] {
            #expect(TerminalText.escape(s) == s)
        }
    }

    @Test func printableUnicodeIsUnchanged() {
        for s in ["café", "日本語のラベル", "emoji 🐳", "Ünïcödé ß", "\u{A0}nbsp", "\u{2603}"] {
            #expect(TerminalText.escape(s) == s)
            #expect(TerminalText.escape(bytes: Array(s.utf8)) == s)
        }
    }

    @Test func c0ControlsAreEscaped() {
        #expect(TerminalText.escape("a\u{1B}]0;owned\u{07}b") == "a\\e]0;owned\\ab")
        #expect(TerminalText.escape("\u{1B}[2J\u{1B}[H") == "\\e[2J\\e[H")
        #expect(TerminalText.escape("x\ny\tz\r") == "x\\ny\\tz\\r")
        #expect(TerminalText.escape("\u{00}\u{01}\u{08}\u{0B}\u{0C}\u{1F}") == "\\x00\\x01\\b\\v\\f\\x1f")
        for c in 0..<0x20 {
            let out = TerminalText.escape("<" + String(UnicodeScalar(UInt8(c))) + ">")
            #expect(out.utf8.allSatisfy { $0 >= 0x20 }, "control \(c) left raw: \(out.debugDescription)")
        }
    }

    @Test func deleteAndC1ControlsAreEscaped() {
        #expect(TerminalText.escape("a\u{7F}b") == "a\\x7fb")
        // U+009B is an eight-bit CSI to terminals that honour C1: "\u{9b}2J" clears the screen.
        #expect(TerminalText.escape("\u{9B}2J") == "\\u{9b}2J")
        #expect(TerminalText.escape("\u{80}\u{85}\u{9D}\u{9F}") == "\\u{80}\\u{85}\\u{9d}\\u{9f}")
        #expect(TerminalText.escape(bytes: [0xC2, 0x9B, 0x32, 0x4A]) == "\\u{9b}2J")
    }

    @Test func invalidUTF8BytesAreEscapedOneByOne() {
        #expect(TerminalText.escape(bytes: [0x61, 0xFF, 0x62]) == "a\\xffb")
        #expect(TerminalText.escape(bytes: [0x80]) == "\\x80")                          // stray continuation
        #expect(TerminalText.escape(bytes: [0xE2, 0x82]) == "\\xe2\\x82")              // truncated
        #expect(TerminalText.escape(bytes: [0xC0, 0x9B]) == "\\xc0\\x9b")              // overlong CSI
        #expect(TerminalText.escape(bytes: [0xED, 0xA0, 0x80]) == "\\xed\\xa0\\x80")  // surrogate
        #expect(TerminalText.escape(bytes: [0xF4, 0x90, 0x80, 0x80]) == "\\xf4\\x90\\x80\\x80")  // above U+10FFFF
        #expect(TerminalText.escape(bytes: Array("\u{1B}[31mred".utf8)) == "\\e[31mred")
    }

    @Test func backslashesStay() {
        #expect(TerminalText.escape("C:\\dir \\u{1B}") == "C:\\dir \\u{1B}")
    }

    @Test func outputNeverHoldsAControlByte() {
        var all = [UInt8](0...255)
        all += Array("\u{9B}\u{85}".utf8)
        let out = Array(TerminalText.escape(bytes: all).utf8)
        #expect(!out.contains { $0 < 0x20 || $0 == 0x7F })
        #expect(!String(decoding: out, as: UTF8.self).unicodeScalars.contains { (0x80..<0xA0).contains($0.value) })
    }
}
