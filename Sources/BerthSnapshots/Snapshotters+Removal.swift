import BerthBase
import BerthMount
import BerthMetadata
import Foundation

extension Snapshotters {
    /// Removes the directories of snapshot rows that garbage collection deleted
    /// (`<root>/snapshots/<snapshotter>/<backend_id>`). A directory with anything mounted at
    /// or below it is left alone and reported: deleting through a mount would destroy what
    /// is mounted there.
    public func removeBackendDirectories(_ removed: [RemovedSnapshot]) throws(BerthError) {
        let mounts = Mount.mountPoints()
        var refused: [String] = []
        for r in removed {
            guard !r.snapshotter.isEmpty, !r.snapshotter.utf8.contains(UInt8(ascii: "/")), r.snapshotter != "..", r.snapshotter != "." else { continue }
            let dir = paths.snapshotterDir(r.snapshotter) + "/" + String(r.backendID)
            guard FileSystem.exists(dir) else { continue }
            if mounts.contains(where: { $0 == dir || $0.hasPrefix(dir + "/") }) {
                refused.append(dir)
                continue
            }
            do { try FileSystem.removeTree(dir) } catch { refused.append(dir) }
        }
        if !refused.isEmpty {
            throw .failedPrecondition("snapshot directories still in use (mounted): \(refused.joined(separator: ", "))")
        }
    }
}
