@testable import BerthCore
import BerthTestSupport
import BerthUI
import Foundation
import Testing

/// The UI with real containers: run from an image, type into the console, top, resize,
/// quit and re-attach (tasks outlive the UI), delete through the dialog.
@Suite(.serialized) struct UIRuntimeTests {
    func consoleRect(rows: Int, cols: Int) -> (x: Int, y: Int, h: Int, w: Int) {
        let r = Layout(rows: rows, cols: cols)[.console].inner
        return (r.x, r.y, r.h, r.w)
    }

    func removeAll(_ tmp: TempRoot) {
        guard let core = try? tmp.core() else { return }
        for c in (try? core.runtime.containers(namespace: "default")) ?? [] {
            try? core.removeContainer(namespace: "default", id: c.id, force: true)
        }
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func runTypeTopResizeReattachAndDelete() throws {
        let tmp = try TempRoot("ui-run"); defer { tmp.cleanup() }
        defer { removeAll(tmp) }
        _ = try tmp.core().createDemoImage(namespace: "default")
        let pane = consoleRect(rows: 35, cols: 120)
        var ui = try UITmux([], tmp: tmp)
        defer { ui.close() }
        try ui.wait(for: "localhost/busybox:latest")
        // r runs the selected image; the console attaches with the keyboard on it.
        try ui.keys("r")
        try ui.wait(for: "started task ")
        try ui.wait("the shell prompt") { ui.consoleLines($0, layout: pane).contains("/ #") }
        let id = try #require(try tmp.core().runtime.tasks(namespace: "default").first?.id)
        try ui.type("echo $((6*7)) from-the-container")
        try ui.keys("Enter")
        try ui.wait("the echo") { ui.consoleLines($0, layout: pane).contains("42 from-the-container") }
        // top draws its header inside the pane.
        try ui.type("top")
        try ui.keys("Enter")
        try ui.wait("top's header") { $0.contains("PID") && $0.contains("Mem:") }
        try ui.type("q")
        // Resizing the terminal resizes the task's pty.
        try ui.resize(rows: 45, cols: 160)
        let size = Layout(rows: 45, cols: 160).consoleSize
        try ui.type("clear; stty size")
        try ui.keys("Enter")
        try ui.wait(for: "\(size.rows) \(size.cols)")
        // Quit: the task keeps running.
        try ui.keys("C-p", "C-q")
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
        ui.close()
        #expect(try tmp.core().runtime.task(namespace: "default", id: id).status == .running)
        // Reopen: the task is listed as running and re-attaches.
        ui = try UITmux([], tmp: tmp)
        try ui.wait(for: "\(id)  running")
        try ui.keys("Tab", "Tab")
        try ui.wait("Tasks focused") { ui.hintBar($0).contains("Tasks │") }
        try ui.keys("Enter")
        try ui.wait("the re-attached console") { ui.hintBar($0).contains("Console │") }
        try ui.type("echo again-$((1+1))")
        try ui.keys("Enter")
        try ui.wait("the echo after re-attaching") { ui.consoleLines($0, layout: pane).contains("again-2") }
        // Delete through the confirmation dialog.
        try ui.keys("C-p", "C-q")
        try ui.wait("Tasks focused") { ui.hintBar($0).contains("Tasks │") }
        try ui.keys("d")
        try ui.wait(for: "Delete task \(id)? It will be killed. (y/n)")
        try ui.keys("y")
        try ui.wait(for: "deleted \(id)", timeout: 30)
        try ui.wait(for: "Tasks 0")
        #expect(try tmp.core().runtime.containers(namespace: "default").isEmpty)
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func demoTourRunsAndCleansUp() throws {
        let tmp = try TempRoot("ui-tour"); defer { tmp.cleanup() }
        defer { removeAll(tmp) }
        let ui = try UITmux(["--demo"], tmp: tmp)
        defer { ui.close() }
        try ui.wait(for: "hello from a berth task", timeout: 40)
        try ui.wait("top in the pane") { $0.contains("PID") && $0.contains("Mem:") }
        try ui.wait(for: "Demo finished", timeout: 40)
        // The tour's deletion runs in the background; on a busy machine it may finish after
        // the tour's last line. Deleting a running task may itself wait up to 15 s (10 for the
        // killed task's exit, 5 for its shim), so the deadline leaves room beyond that.
        #expect(try Command.waitUntil(timeout: 45) { try tmp.core().runtime.containers(namespace: "default").isEmpty })
        #expect(try tmp.core().listImages(namespace: "default").map(\.name) == ["localhost/busybox:latest"])
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func anyKeyStopsTheTour() throws {
        let tmp = try TempRoot("ui-tour"); defer { tmp.cleanup() }
        defer { removeAll(tmp) }
        let ui = try UITmux(["--demo"], tmp: tmp)
        defer { ui.close() }
        try ui.wait(for: "Demo: berth manages")
        try ui.keys("x")
        try ui.wait(for: "tour stopped")
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
        #expect(try tmp.core().runtime.containers(namespace: "default").isEmpty)
    }
}
