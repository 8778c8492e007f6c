import BerthBase
import Foundation
import GRDB

/// A container's record as stored: its runtime spec kept as the bytes of its JSON (the runtime
/// decodes them).
public struct ContainerRecord: Sendable, Equatable {
    public var namespace: String
    public var id: String
    public var image: String
    public var runtime: String
    public var snapshotter: String
    public var snapshotKey: String
    public var spec: Data
    public var labels: Labels
    public var createdAt: Date
    public var updatedAt: Date

    public init(namespace: String, id: String, image: String, runtime: String, snapshotter: String, snapshotKey: String,
                spec: Data, labels: Labels, createdAt: Date, updatedAt: Date) {
        self.namespace = namespace
        self.id = id
        self.image = image
        self.runtime = runtime
        self.snapshotter = snapshotter
        self.snapshotKey = snapshotKey
        self.spec = spec
        self.labels = labels
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// The container records, within one transaction.
public struct ContainerRecords {
    let db: Database

    /// Records a container (its namespace made if need be); a duplicate id is refused by the
    /// primary key, without a look-up first.
    public func insert(_ c: ContainerRecord) throws {
        try NamespaceStore.ensure(db, c.namespace)
        try MetadataStore.refusingDuplicate("container \(c.id.debugDescription) already exists") {
            try db.executeCached(sql: """
                INSERT INTO containers(namespace, id, image, runtime, snapshotter, snapshot_key, spec, labels, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [c.namespace, c.id, c.image, c.runtime, c.snapshotter, c.snapshotKey, c.spec,
                                 LabelsColumn.encode(c.labels), c.createdAt.unixSeconds, c.updatedAt.unixSeconds])
        }
    }

    public func get(namespace: String, id: String) throws -> ContainerRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM containers WHERE namespace = ? AND id = ?", arguments: [namespace, id]).map(Self.record)
    }

    /// The image a container was created from, without reading its spec.
    public func image(namespace: String, id: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT image FROM containers WHERE namespace = ? AND id = ?", arguments: [namespace, id])
    }

    public func list(namespace: String) throws -> [ContainerRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM containers WHERE namespace = ? ORDER BY id", arguments: [namespace]).map(Self.record)
    }

    /// Deletes the record and says where the container's rootfs was (snapshotter and key);
    /// nil when there was no such container.
    public func delete(namespace: String, id: String) throws -> (snapshotter: String, key: String)? {
        try Row.fetchOne(db.cachedStatement(sql: "DELETE FROM containers WHERE namespace = ? AND id = ? RETURNING snapshotter, snapshot_key"),
                         arguments: [namespace, id]).map { ($0["snapshotter"], $0["snapshot_key"]) }
    }

    /// Sets labels (an empty value removes the key); false when there is no such container.
    public func setLabels(namespace: String, id: String, _ changes: Labels) throws -> Bool {
        guard let text = try String.fetchOne(db, sql: "SELECT labels FROM containers WHERE namespace = ? AND id = ?", arguments: [namespace, id]) else {
            return false
        }
        var labels = LabelsColumn.decode(text)
        for (k, v) in changes { labels[k] = v.isEmpty ? nil : v }
        try db.execute(sql: "UPDATE containers SET labels = ?, updated_at = ? WHERE namespace = ? AND id = ?",
                       arguments: [LabelsColumn.encode(labels), Date().unixSeconds, namespace, id])
        return true
    }

    static func record(_ row: Row) -> ContainerRecord {
        ContainerRecord(namespace: row["namespace"], id: row["id"], image: row["image"], runtime: row["runtime"],
                        snapshotter: row["snapshotter"], snapshotKey: row["snapshot_key"], spec: row["spec"] ?? Data(),
                        labels: LabelsColumn.decode(row["labels"]),
                        createdAt: Date(timeIntervalSince1970: row["created_at"]),
                        updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}
