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
        let image = try get(namespace: namespace, name)
        var manifests: [ManifestDetails] = []
        var seen: [Digest: Int64] = [:]
        try collect(namespace: namespace, Descriptor(mediaType: image.mediaType, digest: image.digest, size: image.size),
                    into: &manifests, sizes: &seen)
        return ImageDetails(image: image, manifests: manifests, size: seen.values.reduce(0, +))
    }

    /// The manifests below `d` whose content is present (an import of one platform of an
    /// index holds only that platform's blobs).
    func collect(namespace: String, _ d: Descriptor, into out: inout [ManifestDetails], sizes: inout [Digest: Int64]) throws(BerthError) {
        // A blob the namespace does not hold is skipped.
        guard let bytes = try content.readBlobIfPresent(namespace: namespace, d.digest) else { return }
        sizes[d.digest] = d.size
        if MediaType.isIndex(d.mediaType) {
            let index = try decodeIndex(bytes, what: "index \(d.digest)")
            for m in index.manifests { try collect(namespace: namespace, m, into: &out, sizes: &sizes) }
            return
        }
        guard MediaType.isManifest(d.mediaType) else { return }
        let m = try decodeManifest(bytes, what: "manifest \(d.digest)")
        guard let configBytes = try content.readBlobIfPresent(namespace: namespace, m.config.digest) else { return }
        let config = try decodeImageConfig(configBytes, what: "config \(m.config.digest)")
        var size = d.size + m.config.size
        sizes[m.config.digest] = m.config.size
        for l in m.layers { size += l.size; sizes[l.digest] = l.size }
        out.append(ManifestDetails(digest: d.digest, mediaType: d.mediaType, platform: d.platform ?? config.platform,
                                   config: m.config, imageConfig: config, layers: m.layers, size: size))
    }
}
