import CNcurses
import Testing
@testable import BerthUI

@Suite struct KeyDispatchTests {
    func state() -> AppState {
        var s = AppState(namespace: "default", rows: 40, cols: 120)
        _ = s.replaceData(namespaces: ["default", "other"],
                          images: [ImageRow(name: "alpine:3", digest: "d1", size: 10), ImageRow(name: "busybox:latest", digest: "d2", size: 20),
                                   ImageRow(name: "nginx:1", digest: "d3", size: 30)],
                          snapshots: [SnapshotRow(key: "a", parent: nil, kind: "committed"), SnapshotRow(key: "b", parent: "a", kind: "active")],
                          tasks: [TaskRow(id: "web", image: "nginx:1", state: .running), TaskRow(id: "job", image: "alpine:3", state: .paused)])
        return s
    }

    @Test func cursesKeysDecode() {
        #expect(Key.fromCurses(isKeyCode: true, value: UInt32(KEY_UP)) == .up)
        #expect(Key.fromCurses(isKeyCode: true, value: UInt32(KEY_BTAB)) == .backTab)
        #expect(Key.fromCurses(isKeyCode: true, value: UInt32(berth_key_f(5))) == .function(5))
        #expect(Key.fromCurses(isKeyCode: true, value: UInt32(KEY_RESIZE)) == .resize)
        #expect(Key.fromCurses(isKeyCode: false, value: 0x09) == .tab)
        #expect(Key.fromCurses(isKeyCode: false, value: 0x0d) == .enter)
        #expect(Key.fromCurses(isKeyCode: false, value: 0x10) == .control("p"))
        #expect(Key.fromCurses(isKeyCode: false, value: 0x7f) == .backspace)
        #expect(Key.fromCurses(isKeyCode: false, value: 0x6f22) == .char("漢"))
    }

    @Test func tabAndVimKeysMoveBetweenPanes() {
        var s = state()
        #expect(s.focus == .images)
        _ = s.handle(.tab); #expect(s.focus == .snapshots)
        _ = s.handle(.char("l")); #expect(s.focus == .tasks)
        _ = s.handle(.backTab); #expect(s.focus == .snapshots)
        _ = s.handle(.char("h")); #expect(s.focus == .images)
        _ = s.handle(.left); #expect(s.focus == .namespaces)
        _ = s.handle(.left); #expect(s.focus == .console)
    }

    @Test func upDownMoveTheSelectionAndReloadDetails() {
        var s = state()
        #expect(s.handle(.char("j")) == [.loadDetails])
        #expect(s.selectedImage?.name == "busybox:latest")
        #expect(s.handle(.down) == [.loadDetails])
        #expect(s.handle(.down) == [])
        #expect(s.handle(.char("k")) == [.loadDetails])
        #expect(s.detailSubject == .image("busybox:latest"))
    }

    @Test func filterNarrowsTheFocusedList() {
        var s = state()
        _ = s.handle(.char("/"))
        #expect(s.mode == .filter)
        for c in "ng".unicodeScalars { _ = s.handle(.char(c)) }
        #expect(s.visible(.images).count == 1)
        #expect(s.selectedImage?.name == "nginx:1")
        _ = s.handle(.enter)
        #expect(s.mode == .normal && s.filters[.images] == "ng")
        _ = s.handle(.escape)
        #expect(s.visible(.images).count == 3)
    }

    @Test func commandLine() {
        var s = state()
        _ = s.handle(.char(":"))
        for c in "run busybox:latest sh -c \"echo hi\"".unicodeScalars { _ = s.handle(.char(c)) }
        #expect(s.handle(.enter) == [.run(image: "busybox:latest", command: ["sh", "-c", "echo hi"])])
        #expect(CommandParser.parse("ns other") == .success(.switchNamespace("other")))
        #expect(CommandParser.parse("theme gruvbox") == .success(.setTheme("gruvbox")))
        #expect(CommandParser.parse("import /tmp/a.tar") == .success(.importArchive("/tmp/a.tar")))
        #expect(CommandParser.parse("q") == .success(.quit))
        _ = s.handle(.char(":"))
        for c in "frobnicate".unicodeScalars { _ = s.handle(.char(c)) }
        #expect(s.handle(.enter) == [])
        #expect(s.status.isError && s.status.text.contains("frobnicate"))
    }

    @Test func taskKeysNeedATaskAndActOnTheSelectedOne() {
        var s = state()
        #expect(s.handle(.char("r")) == [.run(image: "alpine:3", command: [])])
        _ = s.setFocus(.tasks)
        #expect(s.handle(.char("a")) == [.attach("web")])
        #expect(s.handle(.char("s")) == [.stop("web")])
        #expect(s.handle(.char("K")) == [.kill("web")])
        #expect(s.handle(.char("p")) == [.pause("web")])
        #expect(s.handle(.char("e")) == [.execShell("web")])
        #expect(s.handle(.char("L")) == [.showLog("web")])
        #expect(s.handle(.char("z")) == [.zoom("web")])
        _ = s.handle(.down)
        #expect(s.handle(.char("p")) == [.resume("job")])
        #expect(s.handle(.char("g")) == [.gc])
        #expect(s.handle(.char("m")) == [.toggleMouse])
        #expect(s.handle(.char("q")) == [.quit])
        var empty = AppState(namespace: "default", rows: 40, cols: 120)
        #expect(empty.handle(.char("a")) == [])
        #expect(empty.status.isError)
    }

    @Test func deleteAsksFirst() {
        var s = state()
        _ = s.setFocus(.tasks)
        #expect(s.handle(.char("d")) == [])
        guard case .confirm(let prompt, _) = s.mode else { Issue.record("no dialog"); return }
        #expect(prompt.contains("web"))
        #expect(s.handle(.char("x")) == [])
        #expect(s.handle(.char("y")) == [.deleteTask("web")])
        #expect(s.mode == .normal)
        _ = s.handle(.char("d"))
        #expect(s.handle(.char("n")) == [])
        #expect(s.mode == .normal)
        _ = s.setFocus(.images)
        _ = s.handle(.char("d"))
        #expect(s.handle(.enter) == [.deleteImage("alpine:3")])
    }

    @Test func consoleKeysGoToTheTaskUntilCtrlPCtrlQ() {
        var s = state()
        _ = s.setFocus(.tasks)
        s.consoleTask = "web"
        s.mode = .console
        #expect(s.handle(.char("q")) == [.consoleInput(.char("q"))])
        #expect(s.handle(.tab) == [.consoleInput(.tab)])
        #expect(s.handle(.up) == [.consoleInput(.up)])
        #expect(s.handle(.control("p")) == [])
        #expect(s.handle(.control("p")) == [.consoleInput(.control("p"))])
        #expect(s.handle(.control("p")) == [])
        #expect(s.handle(.char("x")) == [.consoleInput(.control("p")), .consoleInput(.char("x"))])
        _ = s.handle(.control("p"))
        #expect(s.handle(.char("z")) == [.zoom("web")])
        _ = s.handle(.control("p"))
        #expect(s.handle(.control("q")) == [])
        #expect(s.mode == .normal && s.focus == .tasks)
    }

    @Test func helpOverlayClosesOnAnyKey() {
        var s = state()
        _ = s.handle(.char("?"))
        #expect(s.mode == .help)
        #expect(s.handle(.char("j")) == [])
        #expect(s.mode == .normal)
        #expect(AppState.helpText.contains { $0.contains(":run") })
    }

    @Test func mouseClickFocusesAndSelects() {
        var s = state()
        let r = s.layout[.tasks].inner
        let e = s.click(y: r.y + 1, x: r.x + 2)
        #expect(s.focus == .tasks)
        #expect(s.selectedTask?.id == "job")
        #expect(e.contains(.loadDetails))
        let n = s.layout[.namespaces].inner
        _ = s.click(y: n.y + 1, x: n.x + 1)
        #expect(s.focus == .namespaces && s.selectedNamespace == "other")
        #expect(s.handle(.enter) == [.switchNamespace("other")])
    }

    @Test func newDataKeepsTheSelectedItem() {
        var s = state()
        _ = s.handle(.down)
        #expect(s.selectedImage?.name == "busybox:latest")
        _ = s.replaceData(namespaces: ["default"], images: [ImageRow(name: "aaa", digest: "", size: 1)] + s.images, snapshots: [], tasks: s.tasks)
        #expect(s.selectedImage?.name == "busybox:latest")
    }

    @Test func snapshotTreeIndentsChains() {
        let rows = SnapshotTree.rows([SnapshotRow(key: "c", parent: "b", kind: "active"), SnapshotRow(key: "a", parent: nil, kind: "committed"),
                                      SnapshotRow(key: "b", parent: "a", kind: "committed"), SnapshotRow(key: "x", parent: "gone", kind: "view")])
        #expect(rows.map(\.key) == ["a", "b", "c", "x"])
        #expect(rows.map(\.depth) == [0, 1, 2, 0])
        #expect(rows[2].text == "  └ A c")
    }
}
