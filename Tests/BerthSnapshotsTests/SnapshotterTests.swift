import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
@testable import BerthCore
import BerthTestSupport
import Foundation
import Testing

@Suite struct SnapshotterTests {
    @Test(arguments: ["overlayfs", "native"])
    func kindsParentsAndRemoval(_ name: String) throws {
        let t = try TempRoot("snap")
        defer { t.cleanup() }
        let core = try t.core()
        let s = try core.snapshotters.snapshotter(named: name)

        let m0 = try s.prepare(namespace: "default", key: "a-active", parent: nil, labels: ["x": "1"])
        #expect(m0.count == 1 && m0[0].type == "bind" && m0[0].options.contains("rw"))
        // A parent must be committed.
        #expect(throws: BerthError.self) { try s.prepare(namespace: "default", key: "b", parent: "a-active", labels: [:]) }
        try s.commit(namespace: "default", name: "a", key: "a-active", labels: [:])
        #expect(try s.stat(namespace: "default", key: "a").kind == .committed)
        #expect(throws: BerthError.self) { try s.stat(namespace: "default", key: "a-active") }

        _ = try s.prepare(namespace: "default", key: "b-active", parent: "a", labels: [:])
        try s.commit(namespace: "default", name: "b", key: "b-active", labels: [:])
        let active = try s.prepare(namespace: "default", key: "c", parent: "b", labels: [:])
        // A duplicate key is refused, and the snapshot it names stays as it was.
        #expect { try s.prepare(namespace: "default", key: "c", parent: "a", labels: [:]) }
            throws: { ($0 as? BerthError)?.code == .alreadyExists && ($0 as? BerthError)?.message == "snapshot \"c\" already exists" }
        #expect(try s.stat(namespace: "default", key: "c").parent == "b")
        let view1 = try s.view(namespace: "default", key: "v1", parent: "a", labels: [:])
        let view2 = try s.view(namespace: "default", key: "v2", parent: "b", labels: [:])
        if name == "overlayfs" {
            #expect(active[0].type == "overlay")
            #expect(active[0].lowerDirs.count == 2)
            let b = try s.stat(namespace: "default", key: "b"), a = try s.stat(namespace: "default", key: "a")
            #expect(active[0].lowerDirs == ["\(t.paths.root)/snapshots/overlayfs/\(b.backendID)/fs",
                                            "\(t.paths.root)/snapshots/overlayfs/\(a.backendID)/fs"])
            #expect(view1[0].type == "bind" && view1[0].isReadOnly)
            #expect(view1[0].source.hasSuffix("/\(a.backendID)/fs"))
            #expect(view2[0].type == "overlay" && view2[0].upperDir == nil)
        } else {
            #expect(active[0].type == "bind" && view2[0].isReadOnly)
        }
        // Same key space for every kind.
        #expect(throws: BerthError.self) { try s.view(namespace: "default", key: "a", parent: nil, labels: [:]) }
        // Committed snapshots have no mounts; views are never parents.
        #expect(throws: BerthError.self) { try s.mounts(namespace: "default", key: "a") }
        #expect(throws: BerthError.self) { try s.prepare(namespace: "default", key: "d", parent: "v1", labels: [:]) }
        // Remove fails while children exist.
        #expect(throws: BerthError.self) { try s.remove(namespace: "default", key: "a") }
        // Namespaces are separate key spaces.
        #expect(try s.walk(namespace: "other").isEmpty)
        #expect(try s.walk(namespace: "default").map(\.name) == ["a", "b", "c", "v1", "v2"])

        let info = try s.update(namespace: "default", key: "c", labels: ["k": "v"])
        #expect(info.labels == ["k": "v"])
        #expect(try s.update(namespace: "default", key: "c", labels: ["k": ""]).labels.isEmpty)

        for k in ["c", "v1", "v2", "b", "a"] { try s.remove(namespace: "default", key: k) }
        #expect(try s.walk(namespace: "default").isEmpty)
        let left = try FileManager.default.contentsOfDirectory(atPath: t.paths.snapshotterDir(name))
        #expect(left.isEmpty)
    }

    @Test func orphanDirectoriesAreRemovedOnRecovery() throws {
        let t = try TempRoot("snap")
        defer { t.cleanup() }
        let core = try t.core()
        let s = try core.snapshotters.snapshotter(named: "overlayfs")
        _ = try s.prepare(namespace: "default", key: "keep", parent: nil, labels: [:])
        let dir = t.paths.snapshotterDir("overlayfs")
        // What a kill between mkdir and the transaction's commit leaves behind.
        try FileSystem.makeDirectories(dir + "/999/fs")
        try core.snapshotters.recover()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["\(try s.stat(namespace: "default", key: "keep").backendID)"])
    }

    @Test func staleExtractionSnapshotsAreRemoved() throws {
        let t = try TempRoot("snap")
        defer { t.cleanup() }
        let core = try t.core()
        let s = try core.snapshotters.snapshotter(named: "overlayfs")
        let locks = core.snapshotters.extractLocksDirectory
        let live = try ExtractionLock.acquire(directory: locks, snapshotter: "overlayfs", namespace: "default", key: "extract-1-live")
        _ = try s.prepare(namespace: "default", key: "extract-1-live", parent: nil, labels: [:])
        // A dead unpacker: its snapshot exists, nobody holds its lock.
        _ = try s.prepare(namespace: "default", key: "extract-2-dead", parent: nil, labels: [:])
        try core.snapshotters.recover()
        #expect(try s.walk(namespace: "default").map(\.name) == ["extract-1-live"])
        live.release()
    }
}
