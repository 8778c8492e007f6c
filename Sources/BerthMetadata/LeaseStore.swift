import BerthBase
import Foundation
import GRDB

public struct LeaseRecord: Codable, Sendable, Equatable {
    public var namespace: String
    public var id: String
    public var labels: Labels
    public var createdAt: Date

    /// When the lease stops protecting its resources (containerd's gc.expire label).
    public var expiresAt: Date? { labels[GCLabel.expire].flatMap(LeaseStore.parseTime) }
}

public struct LeaseResource: Codable, Sendable, Hashable {
    /// `content`, `ingests` or `snapshots/<snapshotter>`.
    public var kind: String
    public var id: String
    public init(kind: String, id: String) { self.kind = kind; self.id = id }
}

/// Leases as containerd has them: a lease holds resources (content, ingests, snapshots)
/// so garbage collection leaves them alone while work that has not yet written its final
/// references (an import, an unpack) is under way.
public struct LeaseStore: Sendable {
    public let db: MetadataStore
    public init(db: MetadataStore) { self.db = db }

    public static let contentKind = "content"
    public static let ingestKind = "ingests"
    public static func snapshotKind(_ snapshotter: String) -> String { "snapshots/" + snapshotter }

    public func create(namespace: String, id: String? = nil, expiresIn: TimeInterval? = nil, labels: Labels = [:]) throws(BerthError) -> LeaseRecord {
        let id = id ?? Self.generatedID()
        guard !id.isEmpty, id.utf8.count <= 256, !id.contains("/") else {
            throw .invalidArgument("invalid lease id \(id.debugDescription)")
        }
        var labels = labels
        for (k, v) in labels { try LabelRules.validate(k, v) }
        if let expiresIn { labels[GCLabel.expire] = Self.formatTime(Date().addingTimeInterval(expiresIn)) }
        let final = labels
        return try db.writeDatabase { db in
            try NamespaceStore.ensure(db, namespace)
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM leases WHERE namespace = ? AND id = ?", arguments: [namespace, id]) == true {
                throw BerthError.alreadyExists("lease \(id.debugDescription) already exists")
            }
            let now = Date()
            try db.execute(sql: "INSERT INTO leases(namespace, id, labels, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [namespace, id, LabelsColumn.encode(final), now.unixSeconds])
            return LeaseRecord(namespace: namespace, id: id, labels: final, createdAt: now)
        }
    }

    public func list(namespace: String) throws(BerthError) -> [LeaseRecord] {
        try db.readDatabase { db in
            try Row.fetchAll(db, sql: "SELECT * FROM leases WHERE namespace = ? ORDER BY created_at, id", arguments: [namespace]).map(Self.record)
        }
    }

    public func resources(namespace: String, id: String) throws(BerthError) -> [LeaseResource] {
        try db.readDatabase { db in
            try Row.fetchAll(db, sql: "SELECT kind, resource FROM lease_resources WHERE namespace = ? AND lease = ? ORDER BY kind, resource",
                             arguments: [namespace, id]).map { LeaseResource(kind: $0["kind"], id: $0["resource"]) }
        }
    }

    public func delete(namespace: String, id: String) throws(BerthError) {
        try db.writeDatabase { db in
            try db.execute(sql: "DELETE FROM lease_resources WHERE namespace = ? AND lease = ?", arguments: [namespace, id])
            try db.execute(sql: "DELETE FROM leases WHERE namespace = ? AND id = ?", arguments: [namespace, id])
            if db.changesCount == 0 { throw BerthError.notFound("lease \(id.debugDescription) not found") }
        }
    }

    /// Adds a resource to a lease inside the caller's transaction; a lease that vanished
    /// is an error, since the resource would then be unprotected.
    static func addResource(_ db: Database, namespace: String, lease: String, _ r: LeaseResource) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM leases WHERE namespace = ? AND id = ?", arguments: [namespace, lease]) == true else {
            throw BerthError.notFound("lease \(lease.debugDescription) not found")
        }
        try db.execute(sql: "INSERT OR IGNORE INTO lease_resources(namespace, lease, kind, resource) VALUES (?, ?, ?, ?)",
                       arguments: [namespace, lease, r.kind, r.id])
    }

    static func removeResource(_ db: Database, namespace: String, lease: String, _ r: LeaseResource) throws {
        try db.execute(sql: "DELETE FROM lease_resources WHERE namespace = ? AND lease = ? AND kind = ? AND resource = ?",
                       arguments: [namespace, lease, r.kind, r.id])
    }

    static func record(_ row: Row) -> LeaseRecord {
        LeaseRecord(namespace: row["namespace"], id: row["id"], labels: LabelsColumn.decode(row["labels"]),
                    createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    static func generatedID() -> String {
        let t = Int(Date().timeIntervalSince1970 * 1000)
        return "berth-\(t)-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    public static func formatTime(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }

    public static func parseTime(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }
}
