import BerthBase
import Foundation
import GRDB

/// One transaction on the metadata database as the services see it: typed stores over its
/// tables. No SQL and no database type leave BerthMetadata; a service that must change records
/// of another kind in the same commit (a container and its snapshot) does it through these.
public struct MetadataTransaction {
    let db: Database

    public var namespaces: Namespaces { Namespaces(db: db) }
    public var content: Content { Content(db: db) }
    public var images: Images { Images(db: db) }
    public var leases: Leases { Leases(db: db) }
    public var snapshots: SnapshotRecords { SnapshotRecords(db: db) }
    public var containers: ContainerRecords { ContainerRecords(db: db) }

    public struct Namespaces {
        let db: Database
        /// Creates the namespace if it does not exist yet (what every write into a namespace does).
        public func ensure(_ name: String) throws { try NamespaceStore.ensure(db, name) }
    }

    public struct Content {
        let db: Database
        public func upsert(namespace: String, digest: Digest, size: Int64, labels: Labels = [:]) throws {
            try ContentRecords.upsert(db, namespace: namespace, digest: digest, size: size, labels: labels)
        }
        public func get(namespace: String, digest: Digest) throws -> ContentRecord? {
            try ContentRecords.get(db, namespace: namespace, digest: digest)
        }
        public func size(namespace: String, digest: Digest) throws -> Int64? {
            try ContentRecords.size(db, namespace: namespace, digest: digest)
        }
        public func list(namespace: String) throws -> [ContentRecord] { try ContentRecords.list(db, namespace: namespace) }
        @discardableResult
        public func setLabels(namespace: String, digest: Digest, _ changes: Labels) throws -> Bool {
            try ContentRecords.setLabels(db, namespace: namespace, digest: digest, changes)
        }
        @discardableResult
        public func delete(namespace: String, digest: Digest) throws -> Bool {
            try ContentRecords.delete(db, namespace: namespace, digest: digest)
        }
        public func isReferenced(digest: Digest) throws -> Bool { try ContentRecords.isReferenced(db, digest: digest) }
        public func allDigests() throws -> Set<String> { try ContentRecords.allDigests(db) }
    }

    public struct Images {
        let db: Database
        public func get(namespace: String, name: String) throws -> ImageRecord? { try ImageRecords.get(db, namespace: namespace, name: name) }
        public func list(namespace: String) throws -> [ImageRecord] { try ImageRecords.list(db, namespace: namespace) }
        @discardableResult
        public func put(_ image: ImageRecord) throws -> Bool { try ImageRecords.put(db, image) }
        @discardableResult
        public func delete(namespace: String, name: String) throws -> Bool { try ImageRecords.delete(db, namespace: namespace, name: name) }
    }

    public struct Leases {
        let db: Database
        public func addResource(namespace: String, lease: String, _ r: LeaseResource) throws {
            try LeaseStore.addResource(db, namespace: namespace, lease: lease, r)
        }
        public func removeResource(namespace: String, lease: String, _ r: LeaseResource) throws {
            try LeaseStore.removeResource(db, namespace: namespace, lease: lease, r)
        }
    }

    /// containerd's garbage collection over this transaction's records (see `MetadataGC`).
    public func markAndSweep(now: Date = Date()) throws -> MetadataSweep { try MetadataGC.markAndSweep(db, now: now) }

    /// The snapshot keys a collection now would remove (see `MetadataGC`).
    public func unreferencedSnapshotKeys(namespace: String, snapshotter: String) throws -> Set<String> {
        try MetadataGC.unreferencedSnapshotKeys(db, namespace: namespace, snapshotter: snapshotter)
    }
}

extension MetadataStore {
    /// Runs `body` in one IMMEDIATE write transaction; it commits when `body` returns.
    public func write<T: Sendable>(_ body: (MetadataTransaction) throws -> T) throws(BerthError) -> T {
        try writeDatabase { db in try body(MetadataTransaction(db: db)) }
    }

    /// Runs `body` on a consistent snapshot of the records (one DEFERRED transaction).
    public func read<T: Sendable>(_ body: (MetadataTransaction) throws -> T) throws(BerthError) -> T {
        try readDatabase { db in try body(MetadataTransaction(db: db)) }
    }
}
