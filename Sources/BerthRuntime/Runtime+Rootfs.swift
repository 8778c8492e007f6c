import BerthBase
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    /// Mounts the container's rootfs at `<bundle>/rootfs`; the runtime owns that mount.
    func mountRootfs(_ c: Container, bundle: String) throws(BerthError) {
        let target = bundle + "/rootfs"
        try FileSystem.makeDirectories(target, mode: 0o755)
        if c.snapshotter == Container.hostDirectory {
            guard mount(c.snapshotKey, target, nil, UInt(MS_BIND | MS_REC), nil) == 0 else {
                throw .system("bind mount rootfs", c.snapshotKey)
            }
            return
        }
        guard let hook = rootfsHooks.current.mount else {
            throw .unavailable("container \(c.id.debugDescription): snapshotter \(c.snapshotter.debugDescription) is not available")
        }
        try hook(c, target)
    }

    /// Detaches whatever is mounted on `<bundle>/rootfs` (several layers if stacked).
    func unmountRootfs(bundle: String) {
        let target = bundle + "/rootfs"
        for _ in 0..<8 where Self.isMountPoint(target) {
            if umount2(target, Int32(MNT_DETACH)) != 0 { break }
        }
    }

    static func isMountPoint(_ path: String) -> Bool {
        var st = stat(), parent = stat()
        guard stat(path, &st) == 0, stat(path + "/..", &parent) == 0 else { return false }
        if st.st_dev != parent.st_dev { return true }
        // A bind mount of a directory on the same file system: look it up in mountinfo.
        guard let info = try? FileSystem.readString("/proc/self/mountinfo") else { return false }
        return info.split(separator: "\n").contains { line in
            let f = line.split(separator: " ")
            return f.count > 4 && Self.unescape(String(f[4])) == path
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo.
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 92, i + 3 < b.count, let v = UInt8(String(decoding: b[i + 1...i + 3], as: UTF8.self), radix: 8) {
                out.append(v); i += 4
            } else { out.append(b[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
