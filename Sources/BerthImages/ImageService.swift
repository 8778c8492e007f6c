import BerthBase
import BerthContent
import BerthEvents
import BerthMetadata
import BerthOCI
import BerthSnapshots
import Foundation

/// Images: names pointing at target descriptors, import/export of archives, unpack.
public final class ImageService: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore
    public let content: ContentStore
    public let snapshotters: Snapshotters
    public let events: EventJournal
    public let leases: LeaseStore

    public init(paths: BerthPaths, metadata: MetadataStore, content: ContentStore, snapshotters: Snapshotters, events: EventJournal) {
        self.paths = paths
        self.metadata = metadata
        self.content = content
        self.snapshotters = snapshotters
        self.events = events
        self.leases = LeaseStore(db: metadata)
    }

    public func list(namespace: String) throws(BerthError) -> [ImageRecord] {
        try metadata.read { tx in try tx.images.list(namespace: namespace) }
    }

    /// The image called `name` (normalised, so `busybox` finds docker.io/library/busybox:latest).
    public func get(namespace: String, _ name: String) throws(BerthError) -> ImageRecord {
        try metadata.read { tx in try Self.record(tx, namespace: namespace, name) }
    }

    /// `get` inside the caller's read transaction.
    static func record(_ tx: MetadataTransaction, namespace: String, _ name: String) throws -> ImageRecord {
        let key = (try? Reference.normalize(name)) ?? name
        guard let r = try tx.images.get(namespace: namespace, name: key) ?? tx.images.get(namespace: namespace, name: name) else {
            throw BerthError.notFound("image \(name.debugDescription) not found in namespace \(namespace.debugDescription)")
        }
        return r
    }

    /// Gives the image `source` another name (replacing what that name pointed at).
    @discardableResult
    public func tag(namespace: String, _ source: String, as newName: String) throws(BerthError) -> ImageRecord {
        let src = try get(namespace: namespace, source)
        let name = try Reference.normalize(newName)
        var r = src
        r.name = name
        let image = r
        let existed = try metadata.write { tx in try tx.images.put(image) }
        events.publish(namespace: namespace, topic: existed ? Topic.imageUpdate : Topic.imageCreate, ["name": name])
        return try get(namespace: namespace, name)
    }

    /// Removes image records; their content goes at the next garbage collection.
    public func remove(namespace: String, _ names: [String]) throws(BerthError) -> [String] {
        var removed: [String] = []
        for n in names {
            let r = try get(namespace: namespace, n)
            let gone = try metadata.write { tx in try tx.images.delete(namespace: namespace, name: r.name) }
            if gone {
                removed.append(r.name)
                events.publish(namespace: namespace, topic: Topic.imageDelete, ["name": r.name])
            }
        }
        return removed
    }

    /// Writes image records and their parents' GC labels in one transaction: only now, with
    /// every blob committed and verified, do the images become visible.
    func record(namespace: String, _ resolved: ResolvedImport) throws(BerthError) -> [ImportedImage] {
        let now = Date()
        let out: [ImportedImage] = try metadata.write { tx in
            for (digest, labels) in resolved.gcLabels {
                try tx.content.setLabels(namespace: namespace, digest: digest, labels)
            }
            var out: [ImportedImage] = []
            for (name, target) in resolved.images {
                let existed = try tx.images.put(ImageRecord(namespace: namespace, name: name, mediaType: target.mediaType,
                                                                    digest: target.digest, size: target.size, createdAt: now, updatedAt: now))
                out.append(ImportedImage(name: name, target: target, updated: existed))
            }
            return out
        }
        for i in out {
            events.publish(namespace: namespace, topic: i.updated ? Topic.imageUpdate : Topic.imageCreate,
                           ["name": i.name, "target": i.target.digest.description])
        }
        return out
    }
}
