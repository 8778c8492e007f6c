import BerthBase
import BerthMetadata
import BerthTestSupport
import Testing

@Suite struct NamespaceStoreTests {
    @Test func createListLabelRemove() throws {
        let tmp = try TempRoot("ns")
        defer { tmp.cleanup() }
        let store = NamespaceStore(db: try MetadataStore(path: tmp.paths.metadataDB))
        try store.create("team-a", labels: ["owner": "ops"])
        #expect(throws: BerthError.self) { try store.create("team-a") }
        try store.setLabels("team-a", ["owner": "", "tier": "gold"])
        #expect(try store.get("team-a").labels == ["tier": "gold"])
        #expect(try store.list().map(\.name) == ["team-a"])
        try store.remove("team-a")
        #expect(try store.list().isEmpty)
        #expect(throws: BerthError.self) { try store.remove("team-a") }
        #expect(throws: BerthError.self) { try store.create("bad name") }
    }
}
