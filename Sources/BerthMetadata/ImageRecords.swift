import BerthBase
import Foundation
import GRDB

/// An image as containerd keeps it: a name in a namespace pointing at a target descriptor.
public struct ImageRecord: Codable, Sendable, Equatable {
    public var namespace: String
    public var name: String
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var labels: Labels
    public var createdAt: Date
    public var updatedAt: Date

    public init(namespace: String, name: String, mediaType: String, digest: Digest, size: Int64, labels: Labels = [:],
                createdAt: Date = Date(), updatedAt: Date = Date()) {
        self.namespace = namespace
        self.name = name
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.labels = labels
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Queries on the `images` table, run inside a caller's transaction.
public enum ImageRecords {
    static func get(_ db: Database, namespace: String, name: String) throws -> ImageRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM images WHERE namespace = ? AND name = ?"),
                         arguments: [namespace, name]).map(record)
    }

    static func list(_ db: Database, namespace: String) throws -> [ImageRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM images WHERE namespace = ? ORDER BY name", arguments: [namespace]).map(record)
    }

    /// Creates or replaces the record (an import of a name that exists moves it, as in
    /// containerd); returns whether it existed before.
    @discardableResult
    static func put(_ db: Database, _ image: ImageRecord) throws -> Bool {
        try NamespaceStore.ensure(db, image.namespace)
        let existed = try get(db, namespace: image.namespace, name: image.name)
        let now = Date().unixSeconds
        if let existed {
            try db.execute(sql: """
                UPDATE images SET media_type = ?, digest = ?, size = ?, labels = ?, updated_at = ?
                WHERE namespace = ? AND name = ?
                """, arguments: [image.mediaType, image.digest.description, image.size,
                                 LabelsColumn.encode(existed.labels.merging(image.labels) { $1 }), now, image.namespace, image.name])
            return true
        }
        try db.execute(sql: """
            INSERT INTO images(namespace, name, media_type, digest, size, labels, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [image.namespace, image.name, image.mediaType, image.digest.description, image.size,
                             LabelsColumn.encode(image.labels), now, now])
        return false
    }

    static func delete(_ db: Database, namespace: String, name: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM images WHERE namespace = ? AND name = ?", arguments: [namespace, name])
        return db.changesCount > 0
    }

    static func record(_ row: Row) -> ImageRecord {
        ImageRecord(namespace: row["namespace"], name: row["name"], mediaType: row["media_type"],
                    digest: Digest(sha256Hex: String((row["digest"] as String).dropFirst(7))), size: row["size"],
                    labels: LabelsColumn.decode(row["labels"]),
                    createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }
}
