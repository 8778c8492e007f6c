import Testing
@testable import BerthUI

@Suite struct CellMappingTests {
    @Test func defaultsAndAttributes() {
        let c = CellMapper.map(TermCell(chars: [0x41], flags: 1 | 2 | 16), colors: 256)
        #expect(c.chars == [0x41] && c.fg == -1 && c.bg == -1)
        #expect(c.bold && c.underline && c.reverse && !c.italic)
        #expect(CellMapper.map(TermCell(chars: []), colors: 256).chars == [0x20])
    }

    @Test func paletteColoursPassOnBigTerminals() {
        let c = CellMapper.map(TermCell(chars: [0x41], fg: 196, bg: 21), colors: 256)
        #expect(c.fg == 196 && c.bg == 21)
    }

    @Test func directColourBecomesTheNearestPaletteEntry() {
        #expect(CellMapper.map(TermCell(chars: [0x41], fg: 0x1000000 | 0xff0000), colors: 256).fg == 196)
        #expect(CellMapper.map(TermCell(chars: [0x41], fg: 0x1000000 | 0x808080), colors: 256).fg == 244)
    }

    @Test func eightColourFallback() {
        #expect(CellMapper.map(TermCell(chars: [0x41], fg: 196), colors: 8).fg == 1)
        #expect(CellMapper.map(TermCell(chars: [0x41], fg: 46, bg: 21), colors: 8) == CursesCell(chars: [0x41], fg: 2, bg: 4))
        let bright = CellMapper.map(TermCell(chars: [0x41], fg: 11), colors: 8)
        #expect(bright.fg == 3 && bright.bold)
        #expect(CellMapper.map(TermCell(chars: [0x41], fg: 11), colors: 16).fg == 11)
    }

    @Test func noColourKeepsOnlyAttributes() {
        let c = CellMapper.map(TermCell(chars: [0x41], flags: 16, fg: 1, bg: 2), colors: 0)
        #expect(c.fg == -1 && c.bg == -1 && c.reverse)
    }

    @Test func emulatorCellsCarryColoursAttributesAndWideCharacters() {
        let t = Terminal(rows: 5, cols: 20)
        t.feed(Array("\u{1b}[1;31mR\u{1b}[0;4;44mU\u{1b}[0m漢\u{1b}[38;5;200mX\u{1b}[7mV".utf8))
        let r = t.cell(row: 0, col: 0)
        #expect(r.chars == [0x52] && r.flags & 1 != 0 && r.fg == 1)
        let u = t.cell(row: 0, col: 1)
        #expect(u.flags & 2 != 0 && u.bg == 4 && u.fg == -1)
        let wide = t.cell(row: 0, col: 2)
        #expect(wide.chars == [0x6f22] && wide.width == 2)
        #expect(t.cell(row: 0, col: 4).fg == 200)
        #expect(t.cell(row: 0, col: 5).flags & 16 != 0)
        #expect(t.text(row: 0) == "RU漢XV")
        #expect(t.cursor == (0, 6))
    }

    @Test func keysBecomeTheBytesATerminalSends() {
        let t = Terminal(rows: 5, cols: 20)
        #expect(t.bytes(for: .up) == Array("\u{1b}[A".utf8))
        #expect(t.bytes(for: .enter) == [0x0d])
        #expect(t.bytes(for: .control("c")) == [0x03])
        #expect(t.bytes(for: .backspace) == [0x7f])
        #expect(t.bytes(for: .backTab) == Array("\u{1b}[Z".utf8))
        #expect(t.bytes(for: .function(1)) == Array("\u{1b}OP".utf8))
        #expect(t.bytes(for: .char("é")) == Array("é".utf8))
        // vi and less switch on application cursor keys.
        t.feed(Array("\u{1b}[?1h".utf8))
        #expect(t.bytes(for: .up) == Array("\u{1b}OA".utf8))
    }

    @Test func resizeKeepsTheEmulatorUsable() {
        let t = Terminal(rows: 5, cols: 10)
        t.resize(rows: 10, cols: 40)
        t.feed(Array("\u{1b}[10;40Hz".utf8))
        #expect(t.cell(row: 9, col: 39).chars == [0x7a])
    }

    @Test func logTextDropsEscapes() {
        let lines = LogText.lines(Array("\u{1b}[1mbold\u{1b}[0m line\r\nnext\rover\nab\u{08}c\n\u{1b}]0;title\u{07}t".utf8))
        #expect(lines == ["bold line", "over", "ac", "t"])
    }

    @Test func sparklines() {
        #expect(Sparkline.render([0, 50, 100], width: 3, max: 100) == "▁▅█")
        #expect(Sparkline.render([1, 2, 3, 4], width: 2) == "▆█")
        #expect(Sparkline.render([0, 0], width: 2, unicode: false) == "__")
        let s = [MetricsSample(time: 0, cpuUsageNanos: 0, memoryBytes: 0), MetricsSample(time: 2, cpuUsageNanos: 1_000_000_000, memoryBytes: 0)]
        #expect(Sparkline.cpuPercent(s) == [50])
    }
}
