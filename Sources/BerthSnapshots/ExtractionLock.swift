import BerthBase
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An flock held for as long as a process works on a temporary extraction snapshot.
/// The kernel drops it when the process dies, however it dies, so recovery can tell a
/// live unpack (lock busy) from a killed one (lock free) without trusting pids.
public final class ExtractionLock: @unchecked Sendable {
    let fd: Int32
    let path: String

    private init(fd: Int32, path: String) { self.fd = fd; self.path = path }

    static func path(in directory: String, snapshotter: String, namespace: String, key: String) -> String {
        directory + "/" + Digest.sha256(Array("\(snapshotter)\u{0}\(namespace)\u{0}\(key)".utf8)).encoded
    }

    /// Takes the lock (waiting for nobody: the key is fresh and random).
    public static func acquire(directory: String, snapshotter: String, namespace: String, key: String) throws(BerthError) -> ExtractionLock {
        try FileSystem.makeDirectories(directory, mode: 0o700)
        let p = path(in: directory, snapshotter: snapshotter, namespace: namespace, key: key)
        guard let lock = tryAcquire(p) else { throw .locked("extraction lock \(p) is held by another process") }
        return lock
    }

    static func tryAcquire(_ path: String) -> ExtractionLock? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
        return ExtractionLock(fd: fd, path: path)
    }

    /// Call once the snapshot is committed or removed: unlink first, so nobody can
    /// lock the old file after we let go.
    public func release() {
        unlink(path)
        close(fd)
    }
}
