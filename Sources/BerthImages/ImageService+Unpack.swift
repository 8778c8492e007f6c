import BerthBase
import BerthContent
import BerthEvents
import BerthMetadata
import BerthOCI
import BerthSnapshots
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One layer of an unpack: the blob, its uncompressed digest and the snapshot it became.
public struct UnpackedLayer: Codable, Sendable, Equatable {
    public var digest: Digest
    public var diffID: Digest
    public var chainID: Digest
    /// False when the snapshot was already there.
    public var applied: Bool
}

public struct UnpackResult: Codable, Sendable, Equatable {
    public var image: String
    public var platform: String
    public var snapshotter: String
    public var layers: [UnpackedLayer]
    /// The chain ID of the top layer: the parent of a container's root file system.
    public var chainID: Digest? { layers.last?.chainID }
}

extension ImageService {
    /// The manifest of `name` for `platform`, among those whose content is present.
    public func manifest(namespace: String, _ name: String, platform: Platform) throws(BerthError) -> ManifestDetails {
        let details = try inspect(namespace: namespace, name)
        if let m = details.manifests.first(where: { $0.platform.matchesStrictly(platform) }) { return m }
        throw .notFound("image \(details.image.name.debugDescription) has no manifest for platform \(platform) (has: \(details.platforms.isEmpty ? "none" : details.platforms.joined(separator: ", ")))")
    }

    /// The chain IDs of the image's layers, bottom first (what unpack commits them as).
    public func chainIDs(namespace: String, _ name: String, platform: Platform) throws(BerthError) -> [Digest] {
        let m = try manifest(namespace: namespace, name, platform: platform)
        return ChainID.chain(m.imageConfig.rootfs.diff_ids)
    }

    /// Unpacks an image's layers into committed snapshots named by chain ID, as containerd
    /// does: layers in order, each applied to a temporary active snapshot
    /// `extract-<random>-<chainID>` held by a lease and an flock, its diff ID checked
    /// against the config, then committed. Chains already present are skipped, so running
    /// it again after an interruption completes the job. A failing layer leaves nothing of
    /// itself: its temporary snapshot is removed and the error names image, layer and entry.
    @discardableResult
    public func unpack(namespace: String, _ name: String, platform: Platform = .host,
                       snapshotter snapshotterName: String = Snapshotters.defaultName) throws(BerthError) -> UnpackResult {
        let image = try get(namespace: namespace, name)
        let m = try manifest(namespace: namespace, image.name, platform: platform)
        let diffIDs = m.imageConfig.rootfs.diff_ids
        guard diffIDs.count == m.layers.count else {
            throw .invalidArgument("image \(image.name.debugDescription): config \(m.config.digest) lists \(diffIDs.count) diff IDs for \(m.layers.count) layers")
        }
        for l in m.layers where MediaType.layerCompression(l.mediaType) == nil {
            throw .invalidArgument("image \(image.name.debugDescription): layer \(l.digest): unsupported media type \(l.mediaType)")
        }
        let snapshotter = try snapshotters.snapshotter(named: snapshotterName)
        let chain = ChainID.chain(diffIDs)
        let lease = try leases.create(namespace: namespace, expiresIn: 24 * 3600, labels: ["berth.io/unpack": image.name])
        defer { try? leases.delete(namespace: namespace, id: lease.id) }

        // Chains already present are skipped. The layers to apply are decompressed ahead,
        // a few at a time, while earlier ones are written and committed in order.
        let missing = m.layers.indices.filter { (try? snapshotter.stat(namespace: namespace, key: chain[$0].description))?.kind != .committed }
        var streams: [Int: LayerStream] = [:]
        defer { for s in streams.values { s.cancel() } }
        var result = UnpackResult(image: image.name, platform: m.platform.description, snapshotter: snapshotterName, layers: [])
        for (i, layer) in m.layers.enumerated() {
            let chainID = chain[i].description
            let subject = "image \(image.name.debugDescription): layer \(layer.digest)"
            var applied = false
            if let pos = missing.firstIndex(of: i) {
                for j in missing[pos..<min(missing.count, pos + Self.layersDecompressedAtOnce)] where streams[j] == nil {
                    let s = LayerStream(blob: content.blobPath(m.layers[j].digest))
                    s.start()
                    streams[j] = s
                }
                try applyLayer(namespace: namespace, snapshotter: snapshotter, lease: lease.id, blob: layer.digest, stream: streams[i]!,
                               parent: i == 0 ? nil : chain[i - 1].description, chainID: chainID,
                               diffID: diffIDs[i], subject: subject)
                streams[i] = nil
                applied = true
            }
            try content.setLabels(namespace: namespace, layer.digest, [
                GCLabel.snapshotPrefix + snapshotterName: chainID,
                GCLabel.uncompressed: diffIDs[i].description,
            ])
            result.layers.append(UnpackedLayer(digest: layer.digest, diffID: diffIDs[i], chainID: chain[i], applied: applied))
        }
        if let top = chain.last {
            // containerd's reference from the image config to its unpacked top layer.
            try content.setLabels(namespace: namespace, m.config.digest, [GCLabel.snapshotPrefix + snapshotterName: top.description])
        }
        return result
    }

    /// How many layers decompress at once (the one being written included): each uses a
    /// core and up to LayerStream.defaultLimit of memory for what waits to be written.
    static let layersDecompressedAtOnce = min(4, max(2, ProcessInfo.processInfo.activeProcessorCount))

    private func applyLayer(namespace: String, snapshotter: any Snapshotter, lease: String, blob: Digest, stream: LayerStream, parent: String?,
                            chainID: String, diffID: Digest, subject: String) throws(BerthError) {
        guard content.exists(namespace: namespace, blob) else { throw .notFound("\(subject): blob not in the content store") }
        let key = "extract-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))-\(chainID)"
        let kind = LeaseStore.snapshotKind(snapshotter.name)
        // The lease keeps both the temporary and the committed snapshot from GC until the
        // content labels point at the result; the flock tells recovery this process is alive.
        try metadata.write { tx in
            try tx.leases.addResource(namespace: namespace, lease: lease, LeaseResource(kind: kind, id: key))
            try tx.leases.addResource(namespace: namespace, lease: lease, LeaseResource(kind: kind, id: chainID))
        }
        let lock = try ExtractionLock.acquire(directory: snapshotters.extractLocksDirectory, snapshotter: snapshotter.name,
                                              namespace: namespace, key: key)
        defer { lock.release() }
        let mounts = try snapshotter.prepare(namespace: namespace, key: key, parent: parent, labels: [:])
        var written: ApplyTarget?
        do throws(BerthError) {
            let target = try ApplyTarget(mounts: mounts)
            written = target
            let applied = try LayerApplier.apply(stream: stream, to: target, subject: subject)
            guard applied.diffID == diffID else {
                throw BerthError.invalidArgument("\(subject): diff ID mismatch: the config lists \(diffID), the layer's content is \(applied.diffID)")
            }
            do throws(BerthError) {
                try snapshotter.commit(namespace: namespace, name: chainID, key: key, labels: [:])
            } catch where error.code == .alreadyExists {
                // Another unpack committed the same chain first: theirs is as good as ours.
                try snapshotter.remove(namespace: namespace, key: key)
                return
            }
            events.publish(namespace: namespace, topic: Topic.snapshotCommit, ["key": chainID, "snapshotter": snapshotter.name])
        } catch {
            // What the layer wrote goes first: on a full disk it holds the space that removing
            // the snapshot's record (and the lease, after) needs.
            written?.discardContents()
            try? snapshotter.remove(namespace: namespace, key: key)
            throw error
        }
    }
}
