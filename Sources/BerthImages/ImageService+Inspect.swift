import BerthBase
import BerthContent
import BerthMetadata
import BerthOCI
import Foundation

/// One platform's manifest of an image, as far as the namespace holds its content.
public struct ManifestDetails: Codable, Sendable {
    public var digest: Digest
    public var mediaType: String
    public var platform: Platform
    public var config: Descriptor
    public var imageConfig: ImageConfig
    public var layers: [Descriptor]
    /// Manifest, config and layers, compressed as stored.
    public var size: Int64
}

/// What `berth images inspect` shows: the record and the manifests present.
public struct ImageDetails: Codable, Sendable {
    public var image: ImageRecord
    public var manifests: [ManifestDetails]
    /// Bytes of content the image holds in the store (each blob counted once).
    public var size: Int64
    public var platforms: [String] { manifests.map(\.platform.description) }
}

extension ImageService {
    public func inspect(namespace: String, _ name: String) throws(BerthError) -> ImageDetails {
        let content = self.content
        // One read transaction for the record and every blob it leads to (`berth run` starts
        // here).
        return try metadata.read { tx in
            let image = try Self.record(tx, namespace: namespace, name)
            var manifests: [ManifestDetails] = []
            var seen = BlobSizes()
            try self.collect(Descriptor(mediaType: image.mediaType, digest: image.digest, size: image.size), into: &manifests, sizes: &seen) { d in
                try content.readBlobIfPresent(tx, namespace: namespace, d)
            }
            return ImageDetails(image: image, manifests: manifests, size: seen.total)
        }
    }

    /// The manifests below `d` whose content is present (an import of one platform of an
    /// index holds only that platform's blobs); `blob` reads a blob the namespace holds.
    func collect(_ d: Descriptor, into out: inout [ManifestDetails], sizes: inout BlobSizes,
                 blob: (Digest) throws -> [UInt8]?) throws {
        // A blob the namespace does not hold is skipped.
        guard let bytes = try blob(d.digest) else { return }
        sizes.add(d.digest, d.size)
        if MediaType.isIndex(d.mediaType) {
            let index = try decodeIndex(bytes, what: "index \(d.digest)")
            for m in index.manifests { try collect(m, into: &out, sizes: &sizes, blob: blob) }
            return
        }
        guard MediaType.isManifest(d.mediaType) else { return }
        let m = try decodeManifest(bytes, what: "manifest \(d.digest)")
        guard let configBytes = try blob(m.config.digest) else { return }
        let config = try decodeImageConfig(configBytes, what: "config \(m.config.digest)")
        var size = d.size + m.config.size
        sizes.add(m.config.digest, m.config.size)
        for l in m.layers { size += l.size; sizes.add(l.digest, l.size) }
        out.append(ManifestDetails(digest: d.digest, mediaType: d.mediaType, platform: d.platform ?? config.platform,
                                   config: m.config, imageConfig: config, layers: m.layers, size: size))
    }
}

/// The blobs an image holds, each counted once: a list, not a dictionary (an image has a few
/// dozen blobs, and a dictionary keyed by digest costs a fresh process its first use).
struct BlobSizes {
    private var digests: [Digest] = []
    private(set) var total: Int64 = 0

    mutating func add(_ digest: Digest, _ size: Int64) {
        guard !digests.contains(digest) else { return }
        digests.append(digest)
        total += size
    }
}
