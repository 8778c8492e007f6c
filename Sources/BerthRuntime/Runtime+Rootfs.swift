import BerthBase
import BerthMount
import CBerthRuntime
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// Mounts the container's rootfs at `<bundle>/rootfs`, from `mounts` (its snapshot's), or
    /// a bind of its host directory; the runtime owns that mount. A container removed when its
    /// task exits gets its overlay `volatile`: nothing of it is kept, so nothing is synced.
    func mountRootfs(_ c: Container, mounts: [Mount], bundle: String) throws(BerthError) {
        let target = bundle + "/rootfs"
        try FileSystem.makeDirectories(target, mode: 0o755)
        if c.snapshotter == Container.hostDirectory {
            guard mount(c.snapshotKey, target, nil, UInt(MS_BIND | MS_REC), nil) == 0 else {
                throw .system("bind mount rootfs", c.snapshotKey)
            }
            return
        }
        guard !mounts.isEmpty else {
            throw .internal("container \(c.id.debugDescription): no mounts for its rootfs snapshot \(c.snapshotKey.debugDescription)")
        }
        let removeOnExit = c.spec.annotations?[SpecGenerator.removeOnExitAnnotation] == "true"
        try Mount.mountAll(removeOnExit ? mounts.map(\.volatile) : mounts, at: target)
    }

    /// Detaches whatever is mounted on `<bundle>/rootfs` (several layers if stacked).
    /// True when this call unmounted it and the file system is gone everywhere (no other
    /// mount namespace kept a copy of it, nothing holds it open): the snapshot's directories
    /// are then free for a new snapshot (see SpareDirectories).
    @discardableResult
    func unmountRootfs(bundle: String) -> Bool {
        let target = bundle + "/rootfs"
        var devices: [UInt64] = []
        var tries = 0
        while tries < 8 && Self.isMountPoint(target) {
            var st = stat()
            if stat(target, &st) == 0 { devices.append(UInt64(st.st_dev)) }
            if umount2(target, Int32(MNT_DETACH)) != 0 { break }
            tries += 1
        }
        return !devices.isEmpty && !Self.isMountPoint(target) && devices.allSatisfy { berth_superblock_alive($0) == 0 }
    }

    /// A mount point has another mount id than its parent directory (bind mounts of a
    /// directory on the same file system included).
    static func isMountPoint(_ path: String) -> Bool {
        let own = berth_mount_id(path), parent = berth_mount_id(path + "/..")
        if own >= 0 && parent >= 0 { return own != parent }
        var st = stat(), up = stat()
        guard stat(path, &st) == 0, stat(path + "/..", &up) == 0 else { return false }
        return st.st_dev != up.st_dev
    }
}
