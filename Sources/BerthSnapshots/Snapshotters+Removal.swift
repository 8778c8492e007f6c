import BerthBase
import BerthMetadata
import Foundation

extension Snapshotters {
    /// Removes the directories of snapshot rows that garbage collection deleted
    /// (`<root>/snapshots/<snapshotter>/<backend_id>`). A directory with anything mounted at
    /// or below it is left alone and reported: deleting through a mount would destroy what
    /// is mounted there.
    public func removeBackendDirectories(_ removed: [RemovedSnapshot]) throws(BerthError) {
        let mounts = Self.mountPoints()
        var refused: [String] = []
        for r in removed {
            guard !r.snapshotter.isEmpty, !r.snapshotter.contains("/"), r.snapshotter != "..", r.snapshotter != "." else { continue }
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

    /// Mount points of this mount namespace, from /proc/self/mountinfo (octal escapes decoded).
    static func mountPoints() -> [String] {
        guard let text = try? FileSystem.readString("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { return nil }
            return unescape(String(fields[4]))
        }
    }

    private static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = [UInt8]()
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == 92, i + 3 < u.count, let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v); i += 4
            } else {
                out.append(u[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
