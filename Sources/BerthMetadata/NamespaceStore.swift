import BerthBase
import Foundation
import GRDB

public struct NamespaceRecord: Codable, Sendable, Equatable {
    public var name: String
    public var labels: Labels
    public var createdAt: Date
    public var updatedAt: Date
}

/// Namespaces as containerd has them: administrative tenants that own images, content
/// references, containers, snapshots and leases.
public struct NamespaceStore: Sendable {
    public let db: MetadataStore
    public init(db: MetadataStore) { self.db = db }

    /// Creates the namespace if it does not exist yet (what every write into a namespace does).
    static func ensure(_ db: Database, _ name: String) throws {
        try NamespaceName.validate(name)
        let now = Date().unixSeconds
        try db.executeCached(sql: "INSERT OR IGNORE INTO namespaces(name, labels, created_at, updated_at) VALUES (?, '{}', ?, ?)",
                             arguments: [name, now, now])
    }

    public func list() throws(BerthError) -> [NamespaceRecord] {
        try db.readDatabase { db in
            try Row.fetchAll(db, sql: "SELECT * FROM namespaces ORDER BY name").map(Self.record)
        }
    }

    public func get(_ name: String) throws(BerthError) -> NamespaceRecord {
        let r = try db.readDatabase { db in try Row.fetchOne(db, sql: "SELECT * FROM namespaces WHERE name = ?", arguments: [name]).map(Self.record) }
        guard let r else { throw .notFound("namespace \(name.debugDescription) not found") }
        return r
    }

    public func create(_ name: String, labels: Labels = [:]) throws(BerthError) {
        try NamespaceName.validate(name)
        for (k, v) in labels { try LabelRules.validate(k, v) }
        try db.writeDatabase { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM namespaces WHERE name = ?", arguments: [name]) == true {
                throw BerthError.alreadyExists("namespace \(name.debugDescription) already exists")
            }
            let now = Date().unixSeconds
            try db.execute(sql: "INSERT INTO namespaces(name, labels, created_at, updated_at) VALUES (?, ?, ?, ?)",
                           arguments: [name, LabelsColumn.encode(labels), now, now])
        }
    }

    /// Sets (or with an empty value, removes) labels.
    public func setLabels(_ name: String, _ changes: Labels) throws(BerthError) {
        for (k, v) in changes { try LabelRules.validate(k, v) }
        try db.writeDatabase { db in
            guard let text = try String.fetchOne(db, sql: "SELECT labels FROM namespaces WHERE name = ?", arguments: [name]) else {
                throw BerthError.notFound("namespace \(name.debugDescription) not found")
            }
            var labels = LabelsColumn.decode(text)
            for (k, v) in changes { labels[k] = v.isEmpty ? nil : v }
            try db.execute(sql: "UPDATE namespaces SET labels = ?, updated_at = ? WHERE name = ?",
                           arguments: [LabelsColumn.encode(labels), Date().unixSeconds, name])
        }
    }

    /// Removes an empty namespace; one that still owns anything is refused, naming what.
    public func remove(_ name: String) throws(BerthError) {
        try db.writeDatabase { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM namespaces WHERE name = ?", arguments: [name]) == true else {
                throw BerthError.notFound("namespace \(name.debugDescription) not found")
            }
            for (table, what) in [("images", "images"), ("containers", "containers"), ("snapshots", "snapshots"),
                                  ("content", "content"), ("leases", "leases")] {
                let n = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE namespace = ?", arguments: [name]) ?? 0
                if n > 0 {
                    throw BerthError.failedPrecondition("namespace \(name.debugDescription) is not empty: it has \(n) \(what)")
                }
            }
            try db.execute(sql: "DELETE FROM namespaces WHERE name = ?", arguments: [name])
        }
    }

    static func record(_ row: Row) -> NamespaceRecord {
        NamespaceRecord(name: row["name"], labels: LabelsColumn.decode(row["labels"]),
                        createdAt: Date(timeIntervalSince1970: row["created_at"]),
                        updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}
