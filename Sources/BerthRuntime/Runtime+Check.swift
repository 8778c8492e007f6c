import BerthBase
import BerthMetadata
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// The tasks' side of `berth system check`: bundles against container records, and what a
    /// stopped task must no longer hold (its rootfs mount, its cgroup); mounts under the state
    /// directory that no bundle accounts for; shims whose bundle is gone. Bundles being set up
    /// or torn down right now (their lock is held) are left alone. `mountPoints`: this mount
    /// namespace's, from /proc/self/mountinfo. With `repair`, stale mounts
    /// and cgroups go, vanished tasks are reconciled; live processes are never touched.
    public func check(containers: [MetadataInventory.Container], mountPoints: [String], repair: Bool) -> [Inconsistency] {
        var found: [Inconsistency] = []
        let recorded = Set(containers.map { $0.namespace + "/" + $0.id })
        var bundles = Set<String>()
        for ns in (FileSystem.directoryEntries(paths.tasksDir) ?? []).sorted() where !ns.hasPrefix(".") {
            for id in (FileSystem.directoryEntries(paths.tasksDir + "/" + ns) ?? []).sorted() where !id.hasPrefix(".") {
                let dir = bundle(ns, id)
                bundles.insert(dir)
                guard FileSystem.isDirectory(dir), let lock = try? BundleLock(dir, wait: false) else { continue }
                found += checkBundle(ns, id, dir: dir, recorded: recorded.contains(ns + "/" + id), repair: repair)
                _ = lock
            }
        }
        found += strayMounts(mountPoints, bundles: bundles, repair: repair)
        found += orphanShims()
        return found
    }

    private func checkBundle(_ ns: String, _ id: String, dir: String, recorded: Bool, repair: Bool) -> [Inconsistency] {
        var found: [Inconsistency] = []
        let alive = shimAlive(dir)
        if !recorded {
            var issue = Inconsistency(.task, namespace: ns, id, "task bundle without a container record",
                                      repair: alive ? nil : "remove the bundle")
            if alive {
                issue.problem += "; its shim (pid \(TaskFiles.pid(dir + "/shim.pid") ?? 0)) still runs"
            } else if repair {
                try? cgroup(ns, id).destroy()
                unmountRootfs(bundle: dir)
                issue.repaired = (try? FileSystem.removeTree(dir)) != nil
            }
            return [issue]
        }
        guard !alive else { return [] }
        if !FileSystem.exists(dir + "/cleaned") {
            var issue = Inconsistency(.task, namespace: ns, id, "shim gone, task not reconciled", repair: "mark it stopped and release what it held")
            if repair {
                reconcile(namespace: ns)
                issue.repaired = FileSystem.exists(dir + "/cleaned")
            }
            found.append(issue)
        }
        let rootfs = dir + "/rootfs"
        if Self.isMountPoint(rootfs) {
            var issue = Inconsistency(.mount, namespace: ns, rootfs, "rootfs of a stopped task still mounted", repair: "unmount it")
            if repair {
                unmountRootfs(bundle: dir)
                issue.repaired = !Self.isMountPoint(rootfs)
            }
            found.append(issue)
        }
        // A cgroup of the same namespace and id may be another root's running task's.
        if let cg = try? cgroup(ns, id), cg.exists, cg.pids().allSatisfy({ pid in shimBundle(ofAncestorOf: pid).map { $0 == dir } ?? true }) {
            var issue = Inconsistency(.cgroup, namespace: ns, cg.relative, "cgroup of a stopped task still exists", repair: "kill what is left in it and remove it")
            if repair {
                try? cg.destroy()
                issue.repaired = !cg.exists
            }
            found.append(issue)
        }
        return found
    }

    /// Mount points under the tasks directory that are not a bundle's rootfs (a bundle removed
    /// while its rootfs stayed mounted).
    private func strayMounts(_ mountPoints: [String], bundles: Set<String>, repair: Bool) -> [Inconsistency] {
        let prefix = paths.tasksDir + "/"
        var found: [Inconsistency] = []
        for point in mountPoints where point.hasPrefix(prefix) {
            let owner = bundles.first { point == $0 + "/rootfs" }
            guard owner == nil, !bundles.contains(where: { point.hasPrefix($0 + "/") }) else { continue }
            var issue = Inconsistency(.mount, point, "mounted under the state directory, but no task bundle holds it", repair: "unmount it")
            if repair { issue.repaired = umount2(point, Int32(MNT_DETACH)) == 0 }
            found.append(issue)
        }
        return found
    }

    /// berth-shims of this state directory whose bundle is gone or names another shim: nothing
    /// can reach them any more. Left running (they may supervise someone's workload).
    private func orphanShims() -> [Inconsistency] {
        var found: [Inconsistency] = []
        for pid in Self.processIDs() where Self.isShim(pid) {
            guard let dir = Self.shimBundle(pid), dir.hasPrefix(paths.tasksDir + "/") else { continue }
            if !FileSystem.isDirectory(dir) {
                found.append(Inconsistency(.shim, "pid \(pid)", "berth-shim of \(dir), which no longer exists; stop it by hand (kill \(pid))"))
            } else if let recorded = TaskFiles.pid(dir + "/shim.pid"), recorded != pid, !BundleLock.isHeld(dir) {
                found.append(Inconsistency(.shim, "pid \(pid)", "berth-shim of \(dir), whose shim is pid \(recorded); stop it by hand (kill \(pid))"))
            }
        }
        return found
    }

    static func processIDs() -> [Int32] {
        (FileSystem.directoryEntries("/proc") ?? []).compactMap(Int32.init).sorted()
    }

    /// The bundle a shim process was started for: its first absolute argument.
    static func shimBundle(_ pid: Int32) -> String? {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/cmdline") else { return nil }
        return bytes.split(separator: 0).dropFirst().map { String(decoding: $0, as: UTF8.self) }.first { $0.hasPrefix("/") }
    }

    /// The bundle of the nearest berth-shim among `pid`'s ancestors (the pid itself included).
    func shimBundle(ofAncestorOf pid: Int32) -> String? {
        var p = pid
        for _ in 0..<64 where p > 1 {
            if Self.isShim(p) { return Self.shimBundle(p) }
            guard let stat = try? FileSystem.readString("/proc/\(p)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1, let parent = Int32(fields[1]) else { return nil }
            p = parent
        }
        return nil
    }
}
