import Testing
@testable import BerthUI

@Suite struct LayoutTests {
    @Test(arguments: [(24, 80), (35, 120), (50, 200), (16, 60), (100, 300)])
    func panesTileTheBodyWithoutOverlap(rows: Int, cols: Int) {
        let l = Layout(rows: rows, cols: cols)
        #expect(!l.tooSmall)
        var covered = Array(repeating: Array(repeating: 0, count: cols), count: rows)
        for p in Pane.allCases {
            let r = l[p]
            #expect(r.h >= 3, "pane \(p) too short at \(rows)x\(cols)")
            for y in r.y..<(r.y + r.h) { for x in r.x..<(r.x + r.w) { covered[y][x] += 1 } }
        }
        for y in 1..<(rows - 2) { for x in 0..<cols { #expect(covered[y][x] == 1, "cell \(y),\(x)") } }
        #expect(covered[0].allSatisfy { $0 == 0 } && covered[rows - 1].allSatisfy { $0 == 0 })
        #expect(l.status.y == rows - 2 && l.hints.y == rows - 1)
    }

    @Test func consoleSizeIsThePaneInside() {
        let l = Layout(rows: 35, cols: 120)
        let c = l[.console]
        #expect(l.consoleSize.rows == c.h - 2 && l.consoleSize.cols == c.w - 2)
    }

    @Test func paneUnderAPoint() {
        let l = Layout(rows: 40, cols: 100)
        for p in Pane.allCases {
            let r = l[p]
            #expect(l.pane(atY: r.y + r.h / 2, x: r.x + r.w / 2) == p)
        }
        #expect(l.pane(atY: 0, x: 5) == nil)
    }

    @Test func tooSmall() {
        #expect(Layout(rows: 10, cols: 80).tooSmall)
        #expect(Layout(rows: 30, cols: 40).tooSmall)
    }

    @Test func cursorScrollsToKeepTheSelectionVisible() {
        var c = ListCursor()
        c.move(by: 15, count: 100, height: 10)
        #expect(c.selected == 15 && c.top == 6)
        c.move(by: -10, count: 100, height: 10)
        #expect(c.selected == 5 && c.top == 5)
        c.move(by: 1000, count: 100, height: 10)
        #expect(c.selected == 99 && c.top == 90)
        c.clamp(count: 3, height: 10)
        #expect(c.selected == 2 && c.top == 0)
        c.clamp(count: 0, height: 10)
        #expect(c.selected == 0 && c.top == 0)
    }
}
