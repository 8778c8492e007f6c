@testable import BerthCore
@testable import BerthSnapshots
import BerthTestSupport
import CBerthSys
import Foundation
import Testing

/// A removed overlay snapshot's directories become the next new snapshot's when nothing was
/// written to them; anything else is deleted as before.
@Suite struct SpareDirectoriesTests {
    func inode(_ path: String) -> UInt64? {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    /// An overlay snapshotter on a throwaway root, removed after `body`.
    func withOverlay(_ label: String, _ body: (LocalSnapshotter, BerthCore) throws -> Void) throws {
        let t = try TempRoot(label)
        defer { t.cleanup() }
        let core = try t.core()
        try body(try core.snapshotters.local("overlayfs"), core)
    }

    /// The spares waiting in `s`'s pool.
    func spares(_ s: LocalSnapshotter) -> [String] { FileSystem.directoryEntries(s.root + "/spare") ?? [] }

    /// Removes `key`'s record and discards its directory as a container's removal does.
    func discard(_ s: LocalSnapshotter, _ key: String, unused: Bool = true) throws -> String {
        let id = try s.stat(namespace: "default", key: key).backendID
        try s.metadata.write { tx in _ = try s.removeRecord(tx, namespace: "default", key: key) }
        try s.discardDirectory(id, unused: unused)
        return s.directory(for: id)
    }

    @Test func anUntouchedSnapshotsDirectoriesAreTakenByTheNext() throws {
        try withOverlay("spare") { s, core in
            _ = try s.prepare(namespace: "default", key: "first", parent: nil, labels: [:])
            let firstID = try s.stat(namespace: "default", key: "first").backendID
            let firstFS = try #require(inode(s.fsDir(firstID)))
            // What overlayfs leaves in the work directory after a volatile mount.
            try FileSystem.makeDirectories(s.workDir(firstID) + "/work/incompat/volatile")

            let gone = try discard(s, "first")
            #expect(!FileSystem.exists(gone))
            #expect(spares(s).count == 1)

            _ = try s.prepare(namespace: "default", key: "second", parent: nil, labels: [:])
            let second = try s.stat(namespace: "default", key: "second").backendID
            #expect(second != firstID)
            #expect(inode(s.fsDir(second)) == firstFS, "the spare became the new snapshot's")
            #expect(spares(s).isEmpty)
            #expect(FileSystem.directoryEntries(s.workDir(second)) == [])
            #expect(SpareDirectories.isPristine(s.directory(for: second)))

            // Recovery leaves the pool alone.
            _ = try discard(s, "second")
            try core.snapshotters.recover()
            #expect(spares(s).count == 1)
        }
    }

    @Test func writtenOrChangedDirectoriesAreDeleted() throws {
        try withOverlay("spare-used") { s, _ in
            let changes: [(String, (String) -> Void)] = [
                ("a file", { dir in _ = FileManager.default.createFile(atPath: dir + "/fs/data", contents: Data("x".utf8)) }),
                ("a mode", { dir in chmod(dir + "/fs", 0o1777) }),
                ("an attribute", { dir in _ = berth_lsetxattr(dir + "/fs", "user.mark", "1", 1) }),
                ("a stray entry", { dir in mkdir(dir + "/extra", 0o700) }),
            ]
            // And one that something may still use.
            _ = try s.prepare(namespace: "default", key: "held", parent: nil, labels: [:])
            #expect(!FileSystem.exists(try discard(s, "held", unused: false)))
            #expect(spares(s).isEmpty)
            for (i, (what, change)) in changes.enumerated() {
                _ = try s.prepare(namespace: "default", key: "k\(i)", parent: nil, labels: [:])
                change(s.directory(for: try s.stat(namespace: "default", key: "k\(i)").backendID))
                let dir = try discard(s, "k\(i)")
                #expect(!FileSystem.exists(dir), "\(what)")
                #expect(spares(s).isEmpty, "\(what) made a spare")
            }
        }
    }

    /// A spare that changed while it waited (something wrote through an overlay that still
    /// used it) is not taken: the new snapshot gets new directories.
    @Test func aSpareThatChangedIsNotTaken() throws {
        try withOverlay("spare-changed") { s, _ in
            _ = try s.prepare(namespace: "default", key: "first", parent: nil, labels: [:])
            _ = try discard(s, "first")
            let spare = try #require(spares(s).first)
            _ = FileManager.default.createFile(atPath: s.root + "/spare/\(spare)/fs/late", contents: Data("x".utf8))
            _ = try s.prepare(namespace: "default", key: "second", parent: nil, labels: [:])
            let second = try s.stat(namespace: "default", key: "second").backendID
            #expect(FileSystem.directoryEntries(s.fsDir(second)) == [])
            #expect(SpareDirectories.isPristine(s.directory(for: second)))
            #expect(spares(s).isEmpty)
        }
    }

    @Test func thePoolIsBounded() throws {
        try withOverlay("spare-bound") { s, _ in
            for i in 0..<(SpareDirectories.limit + 3) { _ = try s.prepare(namespace: "default", key: "k\(i)", parent: nil, labels: [:]) }
            for i in 0..<(SpareDirectories.limit + 3) { _ = try discard(s, "k\(i)") }
            #expect(spares(s).count == SpareDirectories.limit)
            #expect(FileSystem.directoryEntries(s.root)?.filter { Int64($0) != nil } == [])
        }
    }
}
