import BerthBase
import Foundation
import GRDB

/// containerd's snapshot kinds: one key space holds all three.
public enum SnapshotKind: String, Codable, Sendable, CaseIterable {
    /// Writable, made by prepare; becomes committed by commit.
    case active
    /// Read-only, made by view; never a parent.
    case view
    /// Immutable; the only kind that can be a parent.
    case committed
}

/// What stat and walk report about a snapshot.
public struct SnapshotInfo: Codable, Sendable, Equatable {
    public var snapshotter: String
    public var name: String
    public var parent: String?
    public var kind: SnapshotKind
    public var labels: Labels
    public var createdAt: Date
    public var updatedAt: Date
    /// The directory number under `<root>/snapshots/<snapshotter>/`.
    public var backendID: Int64

    public init(snapshotter: String, name: String, parent: String?, kind: SnapshotKind, labels: Labels,
                createdAt: Date, updatedAt: Date, backendID: Int64) {
        self.snapshotter = snapshotter
        self.name = name
        self.parent = parent
        self.kind = kind
        self.labels = labels
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.backendID = backendID
    }
}

/// The snapshot records of every snapshotter, within one transaction. A snapshotter's backend
/// keeps the directories; these say which exist, what they hold and how they stack.
public struct SnapshotRecords {
    let db: Database

    public func get(snapshotter: String, namespace: String, key: String) throws -> SnapshotInfo? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM snapshots WHERE namespace = ? AND snapshotter = ? AND key = ?"),
                         arguments: [namespace, snapshotter, key]).map(Self.info)
    }

    /// The parents of `info`, immediate parent first.
    public func ancestors(of info: SnapshotInfo, namespace: String) throws -> [SnapshotInfo] {
        var out: [SnapshotInfo] = []
        var next = info.parent
        while let key = next {
            guard let p = try get(snapshotter: info.snapshotter, namespace: namespace, key: key) else {
                throw BerthError.internal("snapshot \(info.name.debugDescription): parent \(key.debugDescription) is missing")
            }
            out.append(p)
            next = p.parent
        }
        return out
    }

    /// Every snapshot of `snapshotter` in `namespace`, ordered by key.
    public func list(snapshotter: String, namespace: String) throws -> [SnapshotInfo] {
        try Row.fetchAll(db, sql: "SELECT * FROM snapshots WHERE namespace = ? AND snapshotter = ? ORDER BY key",
                         arguments: [namespace, snapshotter]).map(Self.info)
    }

    /// Records a new snapshot under a fresh backend id (returned). A duplicate key is refused
    /// by the primary key, the id's allocation rolling back with the transaction.
    public func create(_ kind: SnapshotKind, snapshotter: String, namespace: String, key: String, parent: String?,
                       labels: Labels, at now: Date) throws -> Int64 {
        let id = try Int64.fetchOne(db.cachedStatement(sql: """
            INSERT INTO snapshot_ids(snapshotter, next_id) VALUES (?, 1)
            ON CONFLICT(snapshotter) DO UPDATE SET next_id = next_id + 1 RETURNING next_id
            """), arguments: [snapshotter])!
        try MetadataStore.refusingDuplicate("snapshot \(key.debugDescription) already exists") {
            try db.executeCached(sql: """
                INSERT INTO snapshots(namespace, snapshotter, key, backend_id, kind, parent, labels, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [namespace, snapshotter, key, id, kind.rawValue, parent, LabelsColumn.encode(labels),
                                 now.unixSeconds, now.unixSeconds])
        }
        return id
    }

    /// Renames active snapshot `key` to `name` and marks it committed, with `labels`.
    public func commit(snapshotter: String, namespace: String, key: String, as name: String, labels: Labels) throws {
        try db.execute(sql: """
            UPDATE snapshots SET key = ?, kind = 'committed', labels = ?, updated_at = ?
            WHERE namespace = ? AND snapshotter = ? AND key = ?
            """, arguments: [name, LabelsColumn.encode(labels), Date().unixSeconds, namespace, snapshotter, key])
    }

    public func setLabels(snapshotter: String, namespace: String, key: String, _ labels: Labels, at now: Date) throws {
        try db.execute(sql: "UPDATE snapshots SET labels = ?, updated_at = ? WHERE namespace = ? AND snapshotter = ? AND key = ?",
                       arguments: [LabelsColumn.encode(labels), now.unixSeconds, namespace, snapshotter, key])
    }

    /// Deletes the record of snapshot `key` (refused while another snapshot has it as parent);
    /// its backend id, or nil when there is no such snapshot.
    public func delete(snapshotter: String, namespace: String, key: String) throws -> Int64? {
        guard let info = try get(snapshotter: snapshotter, namespace: namespace, key: key) else { return nil }
        let children = try String.fetchAll(db.cachedStatement(sql: """
            SELECT key FROM snapshots WHERE namespace = ? AND snapshotter = ? AND parent = ? ORDER BY key LIMIT 3
            """), arguments: [namespace, snapshotter, key])
        if !children.isEmpty {
            throw BerthError.failedPrecondition("snapshot \(key.debugDescription) has children (\(children.joined(separator: ", "))): remove them first")
        }
        try db.executeCached(sql: "DELETE FROM snapshots WHERE namespace = ? AND snapshotter = ? AND key = ?",
                             arguments: [namespace, snapshotter, key])
        return info.backendID
    }

    /// The backend ids `snapshotter`'s records own, in every namespace.
    public func backendIDs(snapshotter: String) throws -> Set<Int64> {
        Set(try Int64.fetchAll(db.cachedStatement(sql: "SELECT backend_id FROM snapshots WHERE snapshotter = ?"), arguments: [snapshotter]))
    }

    /// The backend ids of every snapshotter's records, by snapshotter.
    public func allBackendIDs() throws -> [String: Set<Int64>] {
        var owned: [String: Set<Int64>] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT snapshotter, backend_id FROM snapshots")) {
            owned[row["snapshotter"] as String, default: []].insert(row["backend_id"])
        }
        return owned
    }

    /// Active snapshots whose key starts with `prefix` (temporary extraction snapshots).
    public func active(keyPrefix prefix: String) throws -> [(snapshotter: String, namespace: String, key: String)] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT snapshotter, namespace, key FROM snapshots WHERE kind = 'active' AND key LIKE ? || '%'"),
                         arguments: [prefix])
            .map { (snapshotter: $0["snapshotter"] as String, namespace: $0["namespace"] as String, key: $0["key"] as String) }
    }

    static func info(_ row: Row) -> SnapshotInfo {
        SnapshotInfo(snapshotter: row["snapshotter"], name: row["key"], parent: row["parent"],
                     kind: SnapshotKind(rawValue: row["kind"]) ?? .active, labels: LabelsColumn.decode(row["labels"]),
                     createdAt: Date(timeIntervalSince1970: row["created_at"]),
                     updatedAt: Date(timeIntervalSince1970: row["updated_at"]), backendID: row["backend_id"])
    }
}
