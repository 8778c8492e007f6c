import BerthBase
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive flock on a task's bundle directory, held by whoever is starting, deleting or
/// cleaning that task, so that another berth process never cleans up a task being set up.
/// The fd is CLOEXEC: the shim never inherits it.
final class BundleLock {
    private let fd: Int32

    /// nil when `wait` is false and someone else holds the lock.
    init?(_ bundle: String, wait: Bool) throws(BerthError) {
        let fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open", bundle) }
        while flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            if e == EWOULDBLOCK { return nil }
            throw .system("flock", bundle, errno: e)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Whether some process holds the lock right now.
    static func isHeld(_ bundle: String) -> Bool {
        let fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { flock(fd, LOCK_UN); return false }
        return errno == EWOULDBLOCK
    }
}
