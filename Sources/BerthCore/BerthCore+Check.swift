import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
import Foundation

extension BerthCore {
    /// `berth system check`: compares every record of every namespace with what is on the
    /// machine (blobs, snapshot directories, task bundles, mounts, cgroups, shims) and reports
    /// each inconsistency. With `repair`, fixes what can be fixed without losing data: orphan
    /// directories, stale mounts and cgroups, tasks whose shim vanished; the rest is reported
    /// with what the admin can do. Open the core with `deferringRecovery` for it, or the
    /// start-up recovery repairs part of what the check would report before it looks.
    public func checkStore(repair: Bool) throws(BerthError) -> StoreCheckReport {
        // The snapshot directories are listed under the write lock that their creators hold
        // from mkdir to commit, so a snapshot being made is not taken for an orphan.
        let (records, listing) = try metadata.inventory { [snapshotters] in snapshotters.directoryListing() }
        var found = records.databaseProblems.map { Inconsistency(.database, paths.metadataDB, $0) }
        found += contentStore.check(records.content)
        let contentKeys = Set(records.content.map { $0.namespace + "\u{0}" + $0.digest })
        for image in records.images where !contentKeys.contains(image.namespace + "\u{0}" + image.digest) {
            found.append(Inconsistency(.image, namespace: image.namespace, image.name,
                                       "target \(image.digest) is not in the namespace's content; import or pull it again"))
        }
        let snapshotKeys = Set(records.snapshots.map { $0.namespace + "\u{0}" + $0.snapshotter + "\u{0}" + $0.key })
        for c in records.containers where c.snapshotter != Container.hostDirectory {
            if !snapshotKeys.contains(c.namespace + "\u{0}" + c.snapshotter + "\u{0}" + c.snapshotKey) {
                found.append(Inconsistency(.container, namespace: c.namespace, c.id,
                                           "rootfs snapshot \(c.snapshotter)/\(c.snapshotKey) has no record; remove the container"))
            }
        }
        // Tasks first: a stale mount released here lets the snapshot repair below go ahead.
        found += runtime.check(containers: records.containers, mountPoints: Mount.mountPoints(), repair: repair)
        found += snapshotters.check(records.snapshots, listing: listing, repair: repair)
        return StoreCheckReport(inconsistencies: found)
    }
}
