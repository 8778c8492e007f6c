import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
import Foundation

/// What one garbage collection removed.
public struct GCReport: Codable, Sendable {
    /// Content rows removed, as `namespace digest`.
    public var content: [String] = []
    /// Blob files deleted from disk (no namespace referenced them any more).
    public var blobs: [Digest] = []
    public var snapshots: [RemovedSnapshot] = []
    /// Expired leases removed, as `namespace/id`.
    public var leases: [String] = []
    /// Abandoned ingests removed, as `namespace/ref`.
    public var ingests: [String] = []

    public var isEmpty: Bool { content.isEmpty && blobs.isEmpty && snapshots.isEmpty && leases.isEmpty && ingests.isEmpty }
}

extension BerthCore {
    /// How long an ingest nobody writes to and no lease holds is kept for resuming.
    public static let ingestIdleLimit: TimeInterval = 24 * 3600

    /// containerd's garbage collector: mark and sweep the metadata in one transaction (roots:
    /// images, containers, unexpired leases, gc.root labels), then delete blob files no
    /// namespace references (under the content store's exclusive lock) and the directories
    /// of removed snapshots.
    @discardableResult
    public func garbageCollect() throws(BerthError) -> GCReport {
        let sweep = try metadata.write { tx in try tx.markAndSweep() }
        var report = GCReport()
        report.content = sweep.content.map { "\($0.namespace) \($0.digest)" }
        report.leases = sweep.leases.map { "\($0.namespace)/\($0.id)" }
        report.snapshots = sweep.snapshots
        report.blobs = try contentStore.deleteUnreferencedBlobs(nil)
        report.ingests = contentStore.removeStaleIngests(leased: sweep.leasedIngests, idle: Self.ingestIdleLimit)
        for c in sweep.content { eventJournal.publish(namespace: c.namespace, topic: Topic.contentDelete, ["digest": c.digest.description]) }
        for s in sweep.snapshots {
            eventJournal.publish(namespace: s.namespace, topic: Topic.snapshotRemove, ["key": s.key, "snapshotter": s.snapshotter])
        }
        try snapshotters.removeBackendDirectories(sweep.snapshots)
        return report
    }
}
