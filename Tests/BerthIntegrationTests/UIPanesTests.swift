@testable import BerthCore
import BerthTestSupport
import BerthUI
import Foundation
import Testing

/// The UI on a real root: panes, keys, filter, namespaces, help, commands, the demo offer.
@Suite(.serialized) struct UIPanesTests {
    /// A root with the demo image, two more names for it, and two more namespaces.
    func populatedRoot() throws -> TempRoot {
        let tmp = try TempRoot("ui")
        let core = try tmp.core()
        _ = try core.createDemoImage(namespace: "default")
        _ = try core.tagImage(namespace: "default", "localhost/busybox:latest", as: "localhost/alpha:1")
        _ = try core.tagImage(namespace: "default", "localhost/busybox:latest", as: "localhost/omega:2")
        try core.namespaceStore.create("staging")
        try core.namespaceStore.create("testing")
        _ = try core.tagImage(namespace: "default", "localhost/busybox:latest", as: "localhost/busybox:copy")
        _ = try core.createDemoImage(namespace: "staging")
        try core.unpackImage(namespace: "default", "localhost/busybox:latest")
        return tmp
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func opensAndMovesThroughEveryPane() throws {
        let tmp = try populatedRoot(); defer { tmp.cleanup() }
        let ui = try UITmux([], tmp: tmp)
        defer { ui.close() }
        // tmux may show a frame half drawn, so the whole first screen is waited for.
        let titles = ["Namespaces 3", "Images 4", "Snapshots", "Tasks", "Details", "Console", "namespace default"]
        let first = try ui.wait("every pane's title") { s in s.contains("localhost/omega:2") && titles.allSatisfy { s.contains($0) } }
        #expect(ui.hintBar(first).contains("Images │"))
        // Tab visits every pane in order, and wraps.
        for pane in ["Snapshots", "Tasks", "Details", "Console", "Namespaces", "Images"] {
            try ui.keys("Tab")
            try ui.wait("focus on \(pane)") { ui.hintBar($0).contains("\(pane) │") }
        }
        try ui.keys("BTab")
        try ui.wait("Shift-Tab back to Namespaces") { ui.hintBar($0).contains("Namespaces │") }
        try ui.keys("l")
        try ui.wait("l forward to Images") { ui.hintBar($0).contains("Images │") }
        // j/k and arrows move the selection; details follow.
        try ui.wait(for: "name       localhost/alpha:1")
        try ui.keys("j")
        try ui.wait(for: "name       localhost/busybox:copy")
        try ui.keys("Down", "Down")
        try ui.wait(for: "name       localhost/omega:2")
        try ui.keys("k")
        try ui.wait(for: "name       localhost/busybox:latest")
        // Snapshots: the unpacked chain and its details.
        try ui.keys("Tab")
        try ui.wait("the snapshot's details and chain") { $0.contains("Snapshot:") && $0.contains("Chain (") }
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func filterNamespacesHelpAndCommands() throws {
        let tmp = try populatedRoot(); defer { tmp.cleanup() }
        let ui = try UITmux([], tmp: tmp)
        defer { ui.close() }
        try ui.wait(for: "localhost/omega:2")
        try ui.keys("/")
        try ui.type("ome")
        // tmux may show a frame half drawn, so the whole expected screen is waited for.
        try ui.wait("the list filtered to omega") {
            $0.contains("Images 1/4") && $0.contains("/ome") && !$0.contains("localhost/alpha:1")
        }
        try ui.keys("Enter")
        try ui.wait(for: "name       localhost/omega:2")
        try ui.keys("Escape")
        try ui.wait(for: "localhost/alpha:1")
        // Switch namespace from its pane.
        try ui.keys("h")
        try ui.wait("Namespaces focused") { ui.hintBar($0).contains("Namespaces │") }
        try ui.keys("Down")
        try ui.keys("Enter")
        try ui.wait("the staging namespace's one image") { $0.contains("namespace staging") && $0.contains("Images 1") }
        // And back with the command line.
        try ui.keys(":")
        try ui.type("ns default")
        try ui.keys("Enter")
        try ui.wait(for: "namespace default")
        try ui.wait(for: "Images 4")
        // Help overlay, closed by any key.
        try ui.keys("?")
        try ui.wait(for: "berth — keys")
        try ui.keys("x")
        try ui.wait("help closed") { !$0.contains("berth — keys") }
        // A bad command goes to the status line; the UI carries on.
        try ui.keys(":")
        try ui.type("frobnicate now")
        try ui.keys("Enter")
        try ui.wait(for: "unknown command \"frobnicate\"")
        try ui.keys(":")
        try ui.type("q")
        try ui.keys("Enter")
        try ui.wait(for: "__EXIT__0")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func offersTheDemoImageOnAnEmptyRoot() throws {
        let tmp = try TempRoot("ui-empty"); defer { tmp.cleanup() }
        let ui = try UITmux([], tmp: tmp)
        defer { ui.close() }
        try ui.wait(for: "Create the demo image now? (y/n)")
        try ui.keys("y")
        try ui.wait(for: "localhost/busybox:latest")
        try ui.wait(for: "cmd        [\"/bin/sh\"]")
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
        #expect(try tmp.core().listImages(namespace: "default").map(\.name) == ["localhost/busybox:latest"])
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func deleteImageThroughTheDialog() throws {
        let tmp = try populatedRoot(); defer { tmp.cleanup() }
        let ui = try UITmux([], tmp: tmp)
        defer { ui.close() }
        try ui.wait(for: "localhost/alpha:1")
        try ui.keys("d")
        try ui.wait(for: "Delete image localhost/alpha:1? (y/n)")
        try ui.keys("n")
        try ui.wait(for: "cancelled")
        #expect(try tmp.core().listImages(namespace: "default").count == 4)
        try ui.keys("d")
        try ui.wait(for: "Delete image localhost/alpha:1? (y/n)")
        try ui.keys("y")
        try ui.wait(for: "Images 3")
        #expect(try !tmp.core().listImages(namespace: "default").map(\.name).contains("localhost/alpha:1"))
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func anotherProcessesChangesShowUp() throws {
        let tmp = try populatedRoot(); defer { tmp.cleanup() }
        let ui = try UITmux([], tmp: tmp)
        defer { ui.close() }
        try ui.wait(for: "Images 4")
        // The CLI in another process: the UI follows the event journal.
        try Command.check([BuiltProducts.berth, "images", "tag", "localhost/busybox:latest", "localhost/fresh:9"],
                          environment: ["BERTH_ROOT": tmp.paths.root, "BERTH_STATE": tmp.paths.state])
        try ui.wait(for: "localhost/fresh:9", timeout: 5)
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    @Test func refusesWithoutATerminal() throws {
        let r = try Command.run([BuiltProducts.berth, "ui"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("berth: the UI needs a terminal"))
    }
}
