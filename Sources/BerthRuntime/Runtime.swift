import BerthBase
import BerthEvents
import BerthMetadata
import BerthOCI
import BerthSnapshots

/// Containers (metadata) and tasks (live processes, each behind its own berth-shim).
public final class Runtime: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore
    public let snapshotters: Snapshotters
    public let events: EventJournal

    public init(paths: BerthPaths, metadata: MetadataStore, snapshotters: Snapshotters, events: EventJournal) {
        self.paths = paths
        self.metadata = metadata
        self.snapshotters = snapshotters
        self.events = events
    }
}
