import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
import Foundation

/// A snapshot as listings show it.
public struct SnapshotListing: Codable, Sendable {
    public var info: SnapshotInfo
    /// `berth gc` would remove it: no image, container, lease or gc.root label reaches it.
    public var unreferenced: Bool
}

/// Snapshot, unpack and root file system operations for front ends and the runtime.
extension BerthCore {
    public func snapshotter(_ name: String? = nil) throws(BerthError) -> any Snapshotter {
        try snapshotters.snapshotter(named: name ?? Snapshotters.defaultName)
    }

    public func listSnapshots(namespace: String, snapshotter name: String? = nil) throws(BerthError) -> [SnapshotListing] {
        let s = try snapshotter(name)
        let infos = try s.walk(namespace: namespace)
        let unreferenced = try metadata.read { tx in try tx.unreferencedSnapshotKeys(namespace: namespace, snapshotter: s.name) }
        return infos.map { SnapshotListing(info: $0, unreferenced: unreferenced.contains($0.name)) }
    }

    /// `berth images unpack`: see ImageService.unpack.
    @discardableResult
    public func unpackImage(namespace: String, _ name: String, platform: Platform = .host,
                            snapshotter: String? = nil) throws(BerthError) -> UnpackResult {
        try images.unpack(namespace: namespace, name, platform: platform, snapshotter: snapshotter ?? Snapshotters.defaultName)
    }

    /// The top chain ID of the image, unpacking it first if any layer is missing.
    public func unpackedChainID(namespace: String, image: String, platform: Platform = .host,
                                snapshotter: String? = nil) throws(BerthError) -> Digest? {
        try unpackedChainID(namespace: namespace, image: image, platform: platform, snapshotter: snapshotter,
                            chain: try images.chainIDs(namespace: namespace, image, platform: platform))
    }

    /// `unpackedChainID` for a caller that has read the image's chain IDs already.
    func unpackedChainID(namespace: String, image: String, platform: Platform, snapshotter: String?,
                         chain: [Digest]) throws(BerthError) -> Digest? {
        let s = try self.snapshotter(snapshotter)
        if let top = chain.last, (try? s.stat(namespace: namespace, key: top.description))?.kind == .committed {
            return top
        }
        return try unpackImage(namespace: namespace, image, platform: platform, snapshotter: s.name).chainID
    }

    /// A container's root file system: a new active snapshot `key` on top of the image's
    /// layers (unpacked first when needed), or a view of them with `readOnly`. Mount the
    /// result with `Mount.mountAll(_:at:)`; remove the snapshot with
    /// `snapshotter(name).remove(namespace:key:)` once unmounted.
    /// `chain`: the image's chain IDs when the caller has read them already.
    public func prepareContainerRootfs(namespace: String, image: String, key: String, snapshotter: String? = nil,
                                       platform: Platform = .host, readOnly: Bool = false,
                                       labels: Labels = [:], chain: [Digest]? = nil) throws(BerthError) -> [Mount] {
        try prepareContainerRootfs(namespace: namespace, image: image, key: key, snapshotter: snapshotter, platform: platform,
                                   readOnly: readOnly, labels: labels, chain: chain, alongside: nil)
    }

    /// `prepareContainerRootfs`; `alongside` (for an active snapshot) runs in the snapshot's
    /// write transaction (see `Snapshotter.prepare(namespace:key:parent:labels:alongside:)`).
    func prepareContainerRootfs(namespace: String, image: String, key: String, snapshotter: String?,
                                platform: Platform = .host, readOnly: Bool, labels: Labels, chain: [Digest]?,
                                alongside: ((MetadataTransaction) throws -> Void)?) throws(BerthError) -> [Mount] {
        let s = try self.snapshotter(snapshotter)
        let chainIDs: [Digest]
        if let chain { chainIDs = chain } else { chainIDs = try images.chainIDs(namespace: namespace, image, platform: platform) }
        func create(on parent: Digest?) throws(BerthError) -> [Mount] {
            readOnly
                ? try s.view(namespace: namespace, key: key, parent: parent?.description, labels: labels)
                : try s.prepare(namespace: namespace, key: key, parent: parent?.description, labels: labels,
                                alongside: alongside ?? { _ in })
        }
        let mounts: [Mount]
        if let top = chainIDs.last {
            // Usually the image is unpacked: the snapshot goes straight onto its top chain ID,
            // and only a failure looks whether that is missing (then the image is unpacked
            // first, as `unpackedChainID` would have found).
            do {
                mounts = try create(on: top)
            } catch {
                guard (try? s.stat(namespace: namespace, key: top.description))?.kind != .committed else { throw error }
                mounts = try create(on: try unpackImage(namespace: namespace, image, platform: platform, snapshotter: s.name).chainID)
            }
        } else {
            mounts = try create(on: try unpackedChainID(namespace: namespace, image: image, platform: platform, snapshotter: s.name,
                                                        chain: chainIDs))
        }
        eventJournal.publish(namespace: namespace, topic: Topic.snapshotPrepare, ["key": key, "snapshotter": s.name])
        return mounts
    }

    /// `berth images mount IMAGE DIR`: a read-only view (or with `writable`, an active
    /// snapshot) of the image mounted at `target`, kept from GC by a gc.root label until
    /// `unmountImage`. The snapshot key is the target's absolute path, as ctr does.
    @discardableResult
    public func mountImage(namespace: String, image: String, at target: String, writable: Bool = false,
                           snapshotter: String? = nil, platform: Platform = .host) throws(BerthError) -> [Mount] {
        let dir = Self.absolute(target)
        guard FileSystem.isDirectory(dir) else { throw .notFound("mount target \(dir): not a directory") }
        let s = try self.snapshotter(snapshotter)
        let mounts = try prepareContainerRootfs(namespace: namespace, image: image, key: dir, snapshotter: s.name, platform: platform,
                                                readOnly: !writable, labels: [GCLabel.gcRoot: LeaseStore.formatTime(Date())])
        // An image is a stranger's: its setuid files and device nodes have no power on the host.
        let guarded = mounts.map { m in Mount(type: m.type, source: m.source, options: m.options + ["nosuid", "nodev"]) }
        do {
            try Mount.mountAll(guarded, at: dir)
        } catch {
            try? s.remove(namespace: namespace, key: dir)
            throw error
        }
        return mounts
    }

    /// `berth images unmount DIR`: unmounts and removes the snapshot `mountImage` made.
    public func unmountImage(namespace: String, at target: String, snapshotter: String? = nil) throws(BerthError) {
        let dir = Self.absolute(target)
        let s = try self.snapshotter(snapshotter)
        try Mount.unmountAll(dir)
        do {
            try s.remove(namespace: namespace, key: dir)
        } catch where error.code == .notFound {
            return
        }
    }

    /// Disk use of the image's unpacked layers (each layer's own directory, summed).
    public func imageUsage(namespace: String, image: String, snapshotter: String? = nil,
                           platform: Platform = .host) throws(BerthError) -> (layers: [(chainID: Digest, usage: SnapshotUsage?)], total: SnapshotUsage) {
        let s = try self.snapshotter(snapshotter)
        var out: [(Digest, SnapshotUsage?)] = []
        var total = SnapshotUsage()
        for c in try images.chainIDs(namespace: namespace, image, platform: platform) {
            let u = try? s.usage(namespace: namespace, key: c.description)
            if let u { total = total + u }
            out.append((c, u))
        }
        return (out, total)
    }

    /// Unpacks what an import brought in, for the import's platform (or the host's).
    /// Images without content for that platform are skipped: the import kept other platforms.
    func unpackImported(namespace: String, _ imported: [ImportedImage], options: ImportOptions) throws(BerthError) {
        guard options.unpack else { return }
        let platform = options.platforms.first ?? .host
        var done = Set<Digest>()
        for i in imported where done.insert(i.target.digest).inserted {
            guard (try? images.manifest(namespace: namespace, i.name, platform: platform)) != nil else { continue }
            try unpackImage(namespace: namespace, i.name, platform: platform, snapshotter: options.snapshotter)
        }
    }

    static func absolute(_ p: String) -> String {
        let full = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
        return (full as NSString).standardizingPath
    }
}
