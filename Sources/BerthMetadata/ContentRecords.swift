import BerthBase
import Foundation
import GRDB

/// What a namespace knows about one blob: its digest, size and labels. The blob itself is
/// shared on disk by every namespace that has a row for it.
public struct ContentRecord: Codable, Sendable, Equatable {
    public var namespace: String
    public var digest: Digest
    public var size: Int64
    public var labels: Labels
    public var createdAt: Date
    public var updatedAt: Date
}

/// Queries on the `content` table, run inside a caller's transaction.
public enum ContentRecords {
    /// Records (or refreshes) that `namespace` sees `digest`, keeping existing labels and
    /// merging `labels` into them.
    static func upsert(_ db: Database, namespace: String, digest: Digest, size: Int64, labels: Labels = [:]) throws {
        try NamespaceStore.ensure(db, namespace)
        let now = Date().unixSeconds
        if let text = try String.fetchOne(db, sql: "SELECT labels FROM content WHERE namespace = ? AND digest = ?",
                                          arguments: [namespace, digest.description]) {
            var merged = LabelsColumn.decode(text)
            for (k, v) in labels { merged[k] = v }
            try db.execute(sql: "UPDATE content SET size = ?, labels = ?, updated_at = ? WHERE namespace = ? AND digest = ?",
                           arguments: [size, LabelsColumn.encode(merged), now, namespace, digest.description])
        } else {
            try db.execute(sql: "INSERT INTO content(namespace, digest, size, labels, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [namespace, digest.description, size, LabelsColumn.encode(labels), now, now])
        }
    }

    static func get(_ db: Database, namespace: String, digest: Digest) throws -> ContentRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM content WHERE namespace = ? AND digest = ?",
                         arguments: [namespace, digest.description]).map(record)
    }

    /// The blob's size when the namespace holds it (its labels left undecoded).
    static func size(_ db: Database, namespace: String, digest: Digest) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT size FROM content WHERE namespace = ? AND digest = ?"),
                           arguments: [namespace, digest.description])
    }

    static func list(_ db: Database, namespace: String) throws -> [ContentRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM content WHERE namespace = ? ORDER BY digest", arguments: [namespace]).map(record)
    }

    /// Sets labels (an empty value removes the key); false when the row does not exist.
    @discardableResult
    static func setLabels(_ db: Database, namespace: String, digest: Digest, _ changes: Labels) throws -> Bool {
        guard let text = try String.fetchOne(db, sql: "SELECT labels FROM content WHERE namespace = ? AND digest = ?",
                                             arguments: [namespace, digest.description]) else { return false }
        var labels = LabelsColumn.decode(text)
        for (k, v) in changes { labels[k] = v.isEmpty ? nil : v }
        try db.execute(sql: "UPDATE content SET labels = ?, updated_at = ? WHERE namespace = ? AND digest = ?",
                       arguments: [LabelsColumn.encode(labels), Date().unixSeconds, namespace, digest.description])
        return true
    }

    static func delete(_ db: Database, namespace: String, digest: Digest) throws -> Bool {
        try db.execute(sql: "DELETE FROM content WHERE namespace = ? AND digest = ?", arguments: [namespace, digest.description])
        return db.changesCount > 0
    }

    /// Whether any namespace still references the blob.
    static func isReferenced(_ db: Database, digest: Digest) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM content WHERE digest = ? LIMIT 1", arguments: [digest.description]) == true
    }

    /// Every digest some namespace references.
    static func allDigests(_ db: Database) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT DISTINCT digest FROM content"))
    }

    static func record(_ row: Row) -> ContentRecord {
        ContentRecord(namespace: row["namespace"], digest: Digest(sha256Hex: String((row["digest"] as String).dropFirst(7))),
                      size: row["size"], labels: LabelsColumn.decode(row["labels"]),
                      createdAt: Date(timeIntervalSince1970: row["created_at"]),
                      updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}
