import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// berth's files at rest hold every container's environment (secrets) and every digest: no
/// other local user may read them.
@Suite(.serialized) struct RootPermissionsTests {
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }

    /// `argv` as nobody, without root's groups.
    static func asNobody(_ argv: [String]) throws -> CommandResult {
        try Command.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func anotherUserReadsNothing() throws {
        let f = try RuntimeFixture("perm"); defer { f.cleanup() }
        // Only berth's own modes stand between another user and the files.
        #expect(chmod(f.tmp.dir, 0o755) == 0)
        try f.check(["run", "-d", "--name", "secret", "--env", "API_TOKEN=hunter2", "--rootfs", f.rootfs, "sleep", "1000"])
        let root = f.tmp.paths.root, state = f.tmp.paths.state
        let db = f.tmp.paths.metadataDB
        let bundle = f.tmp.paths.tasksDir + "/" + f.ns + "/secret"
        // A connection held open keeps the write-ahead log and shared memory files, which the
        // last one to close removes; a write goes into the log.
        let core = try f.core()
        defer { withExtendedLifetime(core) {} }
        try f.check(["namespaces", "create", "other"])
        // The secret is there to be read: in the database (or its log) and the task's files.
        let dbBytes = try FileSystem.readFile(db) + ((try? FileSystem.readFile(db + "-wal")) ?? [])
        #expect(String(decoding: dbBytes, as: UTF8.self).contains("hunter2"))
        #expect(try FileSystem.readString(bundle + "/config.json").contains("hunter2"))
        #expect(try FileSystem.readString(bundle + "/shim.conf").contains("hunter2"))

        #expect(Self.mode(root) == 0o700 && Self.mode(state) == 0o700)
        for file in [db, db + "-wal", db + "-shm"] {
            #expect(Self.mode(file) == 0o600, "\(file): \(String(Self.mode(file) ?? 0, radix: 8))")
        }
        for argv in [["cat", db], ["cat", db + "-wal"], ["cat", db + "-shm"], ["ls", root], ["ls", state],
                     ["cat", bundle + "/config.json"], ["cat", bundle + "/shim.conf"]] {
            let r = try Self.asNobody(argv)
            #expect(r.status != 0 && r.stderr.contains("Permission denied") && r.stdout.isEmpty,
                    "\(argv.joined(separator: " ")) as nobody: \(r.status) \(r.stdout) \(r.stderr)")
        }
        try f.check(["containers", "rm", "--force", "secret"])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    /// A root and state directory an older berth (or the admin) made readable by others are
    /// tightened by the next berth command; one made tighter than berth's is left alone.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func looseModesAreTightenedAtOpen() throws {
        let tmp = try TempRoot("perm-loose"); defer { tmp.cleanup() }
        #expect(chmod(tmp.dir, 0o755) == 0)
        let cli = BerthCLI(tmp: tmp)
        try cli.check(["namespaces", "create", "team"])
        let db = tmp.paths.metadataDB
        let core = try tmp.core()
        defer { withExtendedLifetime(core) {} }
        for dir in [tmp.paths.root, tmp.paths.state] { #expect(chmod(dir, 0o755) == 0) }
        for file in [db, db + "-wal", db + "-shm"] { #expect(chmod(file, 0o644) == 0, "\(file)") }
        #expect(try Self.asNobody(["cat", db]).succeeded, "the loosened database must be readable before the fix-up")

        #expect(try cli.check(["namespaces", "ls", "-q"]).contains("team"))
        #expect(Self.mode(tmp.paths.root) == 0o700 && Self.mode(tmp.paths.state) == 0o700)
        for file in [db, db + "-wal", db + "-shm"] {
            #expect(Self.mode(file) == 0o600, "\(file): \(String(Self.mode(file) ?? 0, radix: 8))")
        }
        let r = try Self.asNobody(["cat", db])
        #expect(!r.succeeded && r.stderr.contains("Permission denied"))

        // Tighter than berth's own modes: kept as the admin set them.
        #expect(chmod(tmp.paths.root, 0o500) == 0 && chmod(db, 0o400) == 0)
        #expect(try cli.check(["namespaces", "ls", "-q"]).contains("team"))
        #expect(Self.mode(tmp.paths.root) == 0o500 && Self.mode(db) == 0o400)
        #expect(chmod(tmp.paths.root, 0o700) == 0)
    }
}
