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
}
