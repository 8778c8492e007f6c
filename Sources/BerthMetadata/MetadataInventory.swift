import BerthBase
import Foundation
import GRDB

/// Every record of a root, read in one transaction, as plain values: what `berth system check`
/// compares with the blobs, directories, mounts, cgroups and processes on the machine.
public struct MetadataInventory: Sendable {
    public struct Content: Sendable, Equatable {
        public var namespace: String, digest: String, size: Int64, labels: Labels
    }
    public struct Image: Sendable, Equatable {
        public var namespace: String, name: String, digest: String
    }
    public struct Snapshot: Sendable, Equatable {
        public var namespace: String, snapshotter: String, key: String, backendID: Int64, kind: String, parent: String?
    }
    public struct Container: Sendable, Equatable {
        public var namespace: String, id: String, snapshotter: String, snapshotKey: String
    }

    public var content: [Content] = []
    public var images: [Image] = []
    public var snapshots: [Snapshot] = []
    public var containers: [Container] = []
    /// What SQLite's own checks found: `integrity_check` lines other than "ok", and rows whose
    /// foreign keys point nowhere.
    public var databaseProblems: [String] = []
}

extension MetadataStore {
    /// Reads every record in one transaction (a consistent picture), with SQLite's integrity and
    /// foreign-key checks. `whileLocked` runs inside it, under the write lock: what it reads from
    /// the disk is then in step with the records (a creator of a snapshot directory holds that
    /// lock from its mkdir to its commit).
    public func inventory<T: Sendable>(whileLocked: @Sendable () -> T) throws(BerthError) -> (MetadataInventory, T) {
        let body = { (db: Database) throws -> (MetadataInventory, T) in
            var inv = MetadataInventory()
            for line in try String.fetchAll(db, sql: "PRAGMA integrity_check") where line != "ok" {
                inv.databaseProblems.append(line)
            }
            for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") {
                let table: String = row[0], parent: String = row[2]
                let rowid: Int64? = row[1]
                inv.databaseProblems.append("\(table) row \(rowid.map(String.init) ?? "?") refers to a missing \(parent) record")
            }
            inv.content = try Row.fetchAll(db, sql: "SELECT namespace, digest, size, labels FROM content ORDER BY namespace, digest").map {
                .init(namespace: $0["namespace"], digest: $0["digest"], size: $0["size"], labels: LabelsColumn.decode($0["labels"]))
            }
            inv.images = try Row.fetchAll(db, sql: "SELECT namespace, name, digest FROM images ORDER BY namespace, name").map {
                .init(namespace: $0["namespace"], name: $0["name"], digest: $0["digest"])
            }
            inv.snapshots = try Row.fetchAll(db, sql: """
                SELECT namespace, snapshotter, key, backend_id, kind, parent FROM snapshots ORDER BY namespace, snapshotter, key
                """).map {
                .init(namespace: $0["namespace"], snapshotter: $0["snapshotter"], key: $0["key"],
                      backendID: $0["backend_id"], kind: $0["kind"], parent: $0["parent"])
            }
            inv.containers = try Row.fetchAll(db, sql: "SELECT namespace, id, snapshotter, snapshot_key FROM containers ORDER BY namespace, id").map {
                .init(namespace: $0["namespace"], id: $0["id"], snapshotter: $0["snapshotter"], snapshotKey: $0["snapshot_key"])
            }
            return (inv, whileLocked())
        }
        return try writeDatabase(body)
    }
}
