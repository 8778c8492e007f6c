import BerthBase
import BerthMetadata
import BerthOCI

/// The content-addressable store: read-only blobs under `<root>/content/blobs/sha256/<hex>`,
/// shared on disk by every namespace, with per-namespace visibility in the metadata database.
public final class ContentStore: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore

    public init(paths: BerthPaths, metadata: MetadataStore) {
        self.paths = paths
        self.metadata = metadata
    }

    public func blobPath(_ digest: Digest) -> String { paths.blobsDir + "/" + digest.encoded }
}
