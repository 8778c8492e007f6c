import BerthBase
@testable import BerthMetadata
import BerthTestSupport
import GRDB
import Testing

@Suite struct SchemaTests {
    /// The fast "is the schema current" check lists the migrations by hand.
    @Test func identifiersMatchTheMigrator() {
        #expect(Schema.identifiers == Schema.migrator.migrations)
    }

    @Test func currentOnlyOnceEveryMigrationRan() throws {
        let tmp = try TempRoot("schema")
        defer { tmp.cleanup() }
        let queue = try DatabaseQueue(path: tmp.dir + "/plain.db")
        // No migrations table at all: not current (the open then migrates).
        #expect((try? queue.read(Schema.isCurrent)) != true)
        try Schema.migrator.migrate(queue)
        #expect(try queue.read(Schema.isCurrent))
        try queue.write { db in try db.execute(sql: "DELETE FROM grdb_migrations") }
        #expect(try queue.read(Schema.isCurrent) == false)
    }

    /// A second open takes the fast path (no migrator, no authorizer) and sees the data;
    /// writes through it work and are seen by the next open.
    @Test func reopenFindsTheSchemaCurrent() throws {
        let tmp = try TempRoot("reopen")
        defer { tmp.cleanup() }
        try NamespaceStore(db: try MetadataStore(path: tmp.paths.metadataDB)).create("first")
        let again = NamespaceStore(db: try MetadataStore(path: tmp.paths.metadataDB))
        try again.create("second")
        #expect(throws: BerthError.self) { try again.create("first") }
        let third = NamespaceStore(db: try MetadataStore(path: tmp.paths.metadataDB))
        #expect(try third.list().map(\.name).sorted() == ["first", "second"])
    }

    /// Both ways of opening (migrating a new file, or finding the schema current) leave the
    /// connection enforcing foreign keys, and a failed write transaction leaves nothing.
    @Test func connectionsEnforceForeignKeysAndRollBack() throws {
        let tmp = try TempRoot("pragmas")
        defer { tmp.cleanup() }
        let fresh = try MetadataStore(path: tmp.paths.metadataDB)
        let reopened = try MetadataStore(path: tmp.paths.metadataDB, deferringCheckpoints: true)
        for store in [fresh, reopened] {
            #expect(try store.readDatabase { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") } == 1)
            #expect(try store.readDatabase { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 1, "NORMAL")
        }
        #expect(throws: BerthError.self) {
            try reopened.writeDatabase { db in
                try NamespaceStore.ensure(db, "kept-out")
                throw BerthError.internal("fails after a write")
            }
        }
        #expect(try NamespaceStore(db: fresh).list().map(\.name).contains("kept-out") == false)
        try reopened.writeDatabase { db in try NamespaceStore.ensure(db, "kept") }
        #expect(try NamespaceStore(db: fresh).list().map(\.name).contains("kept"))
    }

    /// A store that defers its checkpoints lets the write-ahead log grow past the length at
    /// which a commit would checkpoint it, until its owner checkpoints; the next commit then
    /// starts the log over. A store that does not defer them leaves nothing to its owner.
    @Test func deferredCheckpointsWaitForTheOwner() throws {
        let tmp = try TempRoot("checkpoint")
        defer { tmp.cleanup() }
        let plain = try MetadataStore(path: tmp.paths.metadataDB)
        #expect(plain.deferredLogFrames == nil)
        #expect(plain.checkpointIfLong() == false)

        let store = try MetadataStore(path: tmp.paths.metadataDB, deferringCheckpoints: true)
        let namespaces = NamespaceStore(db: store)
        try namespaces.create("first")
        #expect(store.checkpointIfLong() == false, "a short log is left alone")
        var lengths: [Int32] = []
        for i in 0..<200 where (lengths.last ?? 0) <= MetadataStore.checkpointFrames + 8 {
            try namespaces.create("ns\(i)")
            lengths.append(try #require(store.deferredLogFrames))
        }
        #expect(lengths == lengths.sorted() && lengths.last! > MetadataStore.checkpointFrames + 8,
                "no commit checkpointed the log: \(lengths)")
        #expect(store.checkpointIfLong())
        try namespaces.create("after")
        let restarted = try #require(store.deferredLogFrames)
        #expect(restarted < 8, "the log starts over after the checkpoint: \(restarted) frames")
        let names = Set(try NamespaceStore(db: plain).list().map(\.name))
        #expect(names.isSuperset(of: ["first", "ns0", "ns\(lengths.count - 1)", "after"]), "every commit kept: \(names.count)")
    }
}

/// Containers recorded before image names were normalised in their records get them
/// normalised by the v2 migration.
@Suite struct SchemaMigrationTests {
    @Test func containerImagesAreNormalisedOnUpgrade() throws {
        let tmp = try TempRoot("migrate")
        defer { tmp.cleanup() }
        try FileSystem.makeDirectories(tmp.paths.root)
        let queue = try DatabaseQueue(path: tmp.paths.metadataDB)
        try Schema.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO namespaces(name, created_at, updated_at) VALUES ('default', 0, 0)")
            for (id, image) in [("typed", "busybox"), ("full", "docker.io/library/alpine:3"), ("rootfs", "")] {
                try db.execute(sql: "INSERT INTO containers(namespace, id, image, created_at, updated_at) VALUES ('default', ?, ?, 0, 0)",
                               arguments: [id, image])
            }
        }
        try queue.close()
        let store = try MetadataStore(path: tmp.paths.metadataDB)
        let images = try store.readDatabase { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT id, image FROM containers").map { ($0["id"] as String, $0["image"] as String) })
        }
        #expect(images == ["typed": "docker.io/library/busybox:latest", "full": "docker.io/library/alpine:3", "rootfs": ""])
    }
}
