import BerthCore
import BerthTestSupport
import BerthUI
import Foundation
import Testing

/// The console pane end to end: the fake backend's tasks are real local shells on ptys, so
/// these exercise libvterm, key translation, pty resizing and zoom in the real binary.
@Suite(.serialized) struct UIConsoleTests {
    func consoleRect(rows: Int, cols: Int) -> (x: Int, y: Int, h: Int, w: Int) {
        let r = Layout(rows: rows, cols: cols)[.console].inner
        return (r.x, r.y, r.h, r.w)
    }

    func openOnTask0(rows: Int = 35, cols: Int = 120) throws -> UITmux {
        let ui = try UITmux(["--fake-backend", "images=5,tasks=3"], tmp: nil, rows: rows, cols: cols)
        try ui.wait(for: "task0  running")
        try ui.keys("Tab", "Tab")
        try ui.wait("Tasks focused") { ui.hintBar($0).contains("Tasks │") }
        try ui.keys("Enter")
        try ui.wait(for: "task0$")
        return ui
    }

    @Test func typeIntoTheConsoleAndReadTheOutput() throws {
        let ui = try openOnTask0()
        defer { ui.close() }
        try ui.type("echo $((6*7)) done")
        try ui.keys("Enter")
        let s = try ui.wait("the answer in the console") { s in
            ui.consoleLines(s, layout: consoleRect(rows: 35, cols: 120)).contains("42 done")
        }
        #expect(ui.hintBar(s).contains("Console │"))
        // Control keys reach the task: ctrl-c abandons a line, ctrl-d at an empty prompt is EOF.
        try ui.type("sleep 100")
        try ui.keys("Enter")
        try ui.wait(for: "task0$ sleep 100")
        try ui.keys("C-c")
        // The interrupt flushes typeahead: wait for the fresh prompt before typing on.
        try ui.wait("a fresh prompt") {
            ui.consoleLines($0, layout: consoleRect(rows: 35, cols: 120)).last { !$0.isEmpty } == "task0$"
        }
        try ui.type("echo after-interrupt")
        try ui.keys("Enter")
        try ui.wait("the echo after ctrl-c") { ui.consoleLines($0, layout: consoleRect(rows: 35, cols: 120)).contains("after-interrupt") }
        // ctrl-p ctrl-q gives the keys back to the panes; the task keeps running.
        try ui.keys("C-p", "C-q")
        try ui.wait("back in the panes") { ui.hintBar($0).contains("Tasks │") }
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    @Test func fullScreenProgramsDrawInThePane() throws {
        let ui = try openOnTask0()
        defer { ui.close() }
        try ui.type("top -d 1")
        try ui.keys("Enter")
        let s = try ui.wait("top's header") { $0.contains("PID USER") && $0.contains("load average") }
        let lines = ui.consoleLines(s, layout: consoleRect(rows: 35, cols: 120))
        #expect(lines.first?.hasPrefix("top - ") == true, "top's first line should be the pane's first line: \(lines)")
        let pane = consoleRect(rows: 35, cols: 120)
        func lastLine(_ s: String) -> String { ui.consoleLines(s, layout: pane).last { !$0.isEmpty } ?? "" }
        try ui.type("q")
        try ui.wait("the prompt after top") { lastLine($0) == "task0$" }
        // less uses application cursor keys and the alternate screen.
        try ui.type("seq 1 200 | less")
        try ui.keys("Enter")
        try ui.wait("less showing 1") { ui.consoleLines($0, layout: pane).first == "1" }
        try ui.keys("Down", "Down", "Down")
        try ui.wait("less scrolled to 4") { ui.consoleLines($0, layout: pane).first == "4" }
        try ui.type("q")
        try ui.wait("the prompt after less") { lastLine($0) == "task0$" }
    }

    @Test func resizingTheTerminalResizesTheTasksPty() throws {
        let ui = try openOnTask0()
        defer { ui.close() }
        let before = Layout(rows: 35, cols: 120).consoleSize
        try ui.type("stty size")
        try ui.keys("Enter")
        try ui.wait(for: "\(before.rows) \(before.cols)")
        try ui.resize(rows: 50, cols: 180)
        let after = Layout(rows: 50, cols: 180).consoleSize
        try ui.wait("the wider layout") { s in s.split(separator: "\n").dropFirst().first.map { $0.count > 150 } ?? false }
        try ui.type("clear; stty size")
        try ui.keys("Enter")
        try ui.wait(for: "\(after.rows) \(after.cols)")
        #expect(after.rows != before.rows && after.cols != before.cols)
    }

    @Test func zoomGivesTheTaskTheWholeTerminalAndCtrlPCtrlQComesBack() throws {
        let ui = try openOnTask0(rows: 40, cols: 130)
        defer { ui.close() }
        try ui.keys("C-p", "z")
        try ui.wait("zoomed: no pane borders") { !$0.contains("┌─ Namespaces") }
        try ui.type("stty size")
        try ui.keys("Enter")
        try ui.wait(for: "40 130")
        try ui.keys("C-p", "C-q")
        // The panes are back, with the keyboard still on the console.
        try ui.wait("the panes again") { $0.contains("┌─ Namespaces") && ui.hintBar($0).contains("Console │") }
        try ui.type("stty size")
        try ui.keys("Enter")
        let pane = Layout(rows: 40, cols: 130).consoleSize
        try ui.wait(for: "\(pane.rows) \(pane.cols)")
    }

    @Test func deleteATaskThroughTheConfirmationDialog() throws {
        let ui = try UITmux(["--fake-backend", "images=5,tasks=3"], tmp: nil)
        defer { ui.close() }
        try ui.wait(for: "task2  running")
        try ui.keys("Tab", "Tab", "Down", "Down")
        try ui.keys("d")
        try ui.wait(for: "Delete task task2? It will be killed. (y/n)")
        try ui.keys("n")
        try ui.wait(for: "cancelled")
        try ui.keys("d")
        try ui.wait(for: "Delete task task2?")
        try ui.keys("y")
        try ui.wait("task2 gone from the list") { $0.contains("deleted task2") && $0.contains("Tasks 2") && !$0.contains("task2  running") }
    }

    @Test func runAnImageFromTheImagesPane() throws {
        let ui = try UITmux(["--fake-backend", "images=5,tasks=0"], tmp: nil)
        defer { ui.close() }
        try ui.wait(for: "example.com/app0:v0")
        try ui.keys("r")
        try ui.wait(for: "started task task0")
        try ui.wait(for: "task0$")
        try ui.type("echo from-the-new-task")
        try ui.keys("Enter")
        try ui.wait("the new task's echo") { ui.consoleLines($0, layout: consoleRect(rows: 35, cols: 120)).contains("from-the-new-task") }
        try ui.keys("C-p", "C-q")
        // The full log of the task's output (the fake keeps none) and the mouse toggle.
        try ui.keys("m")
        try ui.wait(for: "mouse released")
        try ui.keys("m")
        try ui.wait(for: "mouse captured")
    }
}
