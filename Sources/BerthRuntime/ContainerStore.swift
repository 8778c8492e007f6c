import BerthBase
import BerthMetadata
import Foundation
import GRDB

/// A container as containerd has it: metadata only (its task is the live process).
public struct Container: Codable, Sendable, Equatable {
    public var namespace: String
    public var id: String
    /// The image name it was created from ("" for a directory rootfs).
    public var image: String
    public var runtime: String
    /// Which snapshotter holds the rootfs, or `Container.hostDirectory` for a bind-mounted directory.
    public var snapshotter: String
    /// The active snapshot's key, or the directory for `hostDirectory`.
    public var snapshotKey: String
    public var spec: Spec
    public var labels: Labels
    public var createdAt: Date
    public var updatedAt: Date

    /// A rootfs that is a host directory (`--rootfs DIR`), bind-mounted as ctr does.
    public static let hostDirectory = "host-directory"
    public static let runtimeName = "io.berth.shim.v1"
}

/// Container records in the metadata database.
public struct ContainerStore: Sendable {
    public let db: MetadataStore
    public init(db: MetadataStore) { self.db = db }

    public func create(_ c: Container) throws(BerthError) {
        let insert = Self.inserting(c)
        try db.write { db in try insert(db) }
    }

    /// What records `c` inside a write transaction of the caller's (its spec encoded now, before
    /// the transaction takes the write lock).
    public static func inserting(_ c: Container) -> @Sendable (Database) throws -> Void {
        let spec = Data(c.spec.jsonBytes())
        let labels = LabelsColumn.encode(c.labels)
        return { db in
            try NamespaceStore.ensure(db, c.namespace)
            // A duplicate id is refused by the primary key: no look-up first.
            try MetadataStore.refusingDuplicate("container \(c.id.debugDescription) already exists") {
                try db.executeCached(sql: """
                    INSERT INTO containers(namespace, id, image, runtime, snapshotter, snapshot_key, spec, labels, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [c.namespace, c.id, c.image, c.runtime, c.snapshotter, c.snapshotKey, spec,
                                     labels, c.createdAt.unixSeconds, c.updatedAt.unixSeconds])
            }
        }
    }

    public func get(namespace: String, id: String) throws(BerthError) -> Container {
        let c = try db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM containers WHERE namespace = ? AND id = ?", arguments: [namespace, id]).map(Self.record)
        }
        guard let c else { throw .notFound("container \(id.debugDescription) not found") }
        return c
    }

    /// The image a container was created from, without decoding its spec.
    public func image(namespace: String, id: String) throws(BerthError) -> String {
        let image = try db.read { db in
            try String.fetchOne(db, sql: "SELECT image FROM containers WHERE namespace = ? AND id = ?", arguments: [namespace, id])
        }
        guard let image else { throw .notFound("container \(id.debugDescription) not found") }
        return image
    }

    public func list(namespace: String) throws(BerthError) -> [Container] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM containers WHERE namespace = ? ORDER BY id", arguments: [namespace]).map(Self.record)
        }
    }

    /// Deletes the record inside the caller's write transaction and says where the container's
    /// rootfs was (snapshotter and key).
    @discardableResult
    static func delete(_ db: Database, namespace: String, id: String) throws -> (snapshotter: String, key: String) {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "DELETE FROM containers WHERE namespace = ? AND id = ? RETURNING snapshotter, snapshot_key"),
                                         arguments: [namespace, id]) else {
            throw BerthError.notFound("container \(id.debugDescription) not found")
        }
        return (row["snapshotter"], row["snapshot_key"])
    }

    public func setLabels(namespace: String, id: String, _ changes: Labels) throws(BerthError) {
        for (k, v) in changes { try LabelRules.validate(k, v) }
        try db.write { db in
            guard let text = try String.fetchOne(db, sql: "SELECT labels FROM containers WHERE namespace = ? AND id = ?", arguments: [namespace, id]) else {
                throw BerthError.notFound("container \(id.debugDescription) not found")
            }
            var labels = LabelsColumn.decode(text)
            for (k, v) in changes { labels[k] = v.isEmpty ? nil : v }
            try db.execute(sql: "UPDATE containers SET labels = ?, updated_at = ? WHERE namespace = ? AND id = ?",
                           arguments: [LabelsColumn.encode(labels), Date().unixSeconds, namespace, id])
        }
    }


    static func record(_ row: Row) throws -> Container {
        let id: String = row["id"]
        let data: Data = row["spec"] ?? Data()
        let spec: Spec
        do { spec = try JSONDecoder().decode(Spec.self, from: data) } catch {
            throw BerthError.internal("container \(id.debugDescription): stored spec is unreadable: \(error)")
        }
        return Container(namespace: row["namespace"], id: id, image: row["image"], runtime: row["runtime"],
                         snapshotter: row["snapshotter"], snapshotKey: row["snapshot_key"], spec: spec,
                         labels: LabelsColumn.decode(row["labels"]),
                         createdAt: Date(timeIntervalSince1970: row["created_at"]),
                         updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}
