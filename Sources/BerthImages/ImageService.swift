import BerthBase
import BerthContent
import BerthEvents
import BerthMetadata
import BerthOCI
import BerthSnapshots

/// Images: names pointing at target descriptors, import/export of archives, unpack.
public final class ImageService: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore
    public let content: ContentStore
    public let snapshotters: Snapshotters
    public let events: EventJournal

    public init(paths: BerthPaths, metadata: MetadataStore, content: ContentStore, snapshotters: Snapshotters, events: EventJournal) {
        self.paths = paths
        self.metadata = metadata
        self.content = content
        self.snapshotters = snapshotters
        self.events = events
    }
}
