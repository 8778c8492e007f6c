import BerthBase
import BerthMetadata

/// The snapshotters of one root, by name (`overlayfs`, the default, and `native`).
public final class Snapshotters: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore
    public static let defaultName = "overlayfs"

    public init(paths: BerthPaths, metadata: MetadataStore) {
        self.paths = paths
        self.metadata = metadata
    }
}
