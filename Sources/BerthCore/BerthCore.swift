@_exported import BerthBase
import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
@_exported import BerthMount
@_exported import BerthOCI
import BerthRuntime
import BerthSnapshots

/// berth's public, embeddable API: one object per root, owning every core service.
/// The CLI and the UI use nothing else: what needs one service goes through that service's
/// protocol (`tasks`, `content`, `namespaces`, `leases`, `events`, `snapshotter(_:)`), what
/// needs two is a method here.
public final class BerthCore: Sendable {
    public let paths: BerthPaths
    let metadata: MetadataStore
    let eventJournal: EventJournal
    let namespaceStore: NamespaceStore
    let contentStore: ContentStore
    let snapshotters: Snapshotters
    let images: ImageService
    let runtime: Runtime

    /// Containers and their tasks.
    public var tasks: any TaskService { runtime }
    public var content: any ContentService { contentStore }
    public var namespaces: any NamespaceService { namespaceStore }
    public var leases: any LeaseService { images.leases }
    public var events: any EventService { eventJournal }

    /// Set while the start-up recovery waits for the first task start (see `init`).
    private let recoveryPending: Locked<Bool>
    /// `deferringRecovery`: the repair of what interrupted berth processes left (which every
    /// other front end runs first) waits until the first task start, which does it while the
    /// task's shim sets the task up: `berth run`, whose snapshot creation does not need it.
    /// Its commits leave the write-ahead log's checkpoint to that moment too.
    public init(paths: BerthPaths, deferringRecovery: Bool = false) throws(BerthError) {
        self.paths = paths
        // Both hold every container's environment (secrets): no other user may look inside.
        try FileSystem.makePrivateDirectory(paths.root)
        try FileSystem.makePrivateDirectory(paths.state)
        metadata = try MetadataStore(path: paths.metadataDB, deferringCheckpoints: deferringRecovery)
        eventJournal = EventJournal(directory: paths.eventsDir)
        namespaceStore = NamespaceStore(db: metadata)
        contentStore = ContentStore(paths: paths, metadata: metadata)
        snapshotters = Snapshotters(paths: paths, metadata: metadata)
        images = ImageService(paths: paths, metadata: metadata, content: contentStore, snapshotters: snapshotters, events: eventJournal)
        runtime = Runtime(paths: paths, metadata: metadata, events: eventJournal)
        recoveryPending = Locked(deferringRecovery)
        // Leftovers of a berth process killed mid-way (temporary extraction snapshots,
        // directories without records) go before anything else looks at snapshots.
        if !deferringRecovery { try? snapshotters.recover() }
        // Tasks whose shim died while no berth process was looking.
        runtime.reconcile()
    }
}

extension BerthCore {
    /// The start-up recovery and the deferred checkpoint, if `init` deferred them and nothing
    /// has run them since.
    func recoverIfPending() {
        guard recoveryPending.withLock({ pending in defer { pending = false }; return pending }) else { return }
        try? snapshotters.recover()
        metadata.checkpointIfLong()
    }
}
