import BerthBase
import BerthMetadata
import Foundation

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

/// Container records in the metadata database, with their specs decoded.
public struct ContainerStore: Sendable {
    public let db: MetadataStore
    public init(db: MetadataStore) { self.db = db }

    public func create(_ c: Container) throws(BerthError) {
        let insert = Self.inserting(c)
        try db.write { tx in try insert(tx) }
    }

    /// What records `c` inside a write transaction of the caller's (its spec encoded now, before
    /// the transaction takes the write lock).
    public static func inserting(_ c: Container) -> @Sendable (MetadataTransaction) throws -> Void {
        let record = ContainerRecord(namespace: c.namespace, id: c.id, image: c.image, runtime: c.runtime, snapshotter: c.snapshotter,
                                     snapshotKey: c.snapshotKey, spec: Data(c.spec.jsonBytes()), labels: c.labels,
                                     createdAt: c.createdAt, updatedAt: c.updatedAt)
        return { tx in try tx.containers.insert(record) }
    }

    public func get(namespace: String, id: String) throws(BerthError) -> Container {
        guard let r = try db.read({ tx in try tx.containers.get(namespace: namespace, id: id) }) else {
            throw .notFound("container \(id.debugDescription) not found")
        }
        return try Self.container(r)
    }

    /// The image a container was created from, without decoding its spec.
    public func image(namespace: String, id: String) throws(BerthError) -> String {
        guard let image = try db.read({ tx in try tx.containers.image(namespace: namespace, id: id) }) else {
            throw .notFound("container \(id.debugDescription) not found")
        }
        return image
    }

    public func list(namespace: String) throws(BerthError) -> [Container] {
        var out: [Container] = []
        for r in try db.read({ tx in try tx.containers.list(namespace: namespace) }) { out.append(try Self.container(r)) }
        return out
    }

    public func setLabels(namespace: String, id: String, _ changes: Labels) throws(BerthError) {
        for (k, v) in changes { try LabelRules.validate(k, v) }
        guard try db.write({ tx in try tx.containers.setLabels(namespace: namespace, id: id, changes) }) else {
            throw .notFound("container \(id.debugDescription) not found")
        }
    }

    static func container(_ r: ContainerRecord) throws(BerthError) -> Container {
        let spec: Spec
        do { spec = try JSONDecoder().decode(Spec.self, from: r.spec) } catch {
            throw .internal("container \(r.id.debugDescription): stored spec is unreadable: \(error)")
        }
        return Container(namespace: r.namespace, id: r.id, image: r.image, runtime: r.runtime, snapshotter: r.snapshotter,
                         snapshotKey: r.snapshotKey, spec: spec, labels: r.labels, createdAt: r.createdAt, updatedAt: r.updatedAt)
    }
}
