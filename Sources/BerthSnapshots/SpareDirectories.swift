import BerthBase
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// The directories of removed overlay snapshots (`N/`, `N/fs`, `N/work`), kept to become the
/// next snapshots' instead of being deleted and made again. Every inode a container's start
/// and removal allocate and free costs the file system work, and ext4 without a journal more
/// than that: its allocator passes over every inode freed in the last minute, so a host that
/// starts containers all the time pays for its own churn (bench/HISTORY.md). A container that wrote nothing leaves its snapshot's directories as
/// they were made, save what overlayfs itself adds, which `keep` takes away again; anything
/// else is removed as before.
///
/// Only directories that no overlay can still use are kept: the container's removal unmounted
/// its rootfs itself and found the file system gone everywhere (a mount namespace made while
/// it ran may keep a copy alive, and overlayfs does not refuse a second mount of an upper
/// directory in use: the two would share it). A spare is only ever taken by `prepare` of a new
/// snapshot with no parent data, and checked again when taken.
struct SpareDirectories: Sendable {
    /// `<snapshotter directory>/spare`: not a number, so recovery leaves it alone.
    let pool: String
    /// Enough for a burst of concurrent runs; beyond it, removed directories are deleted.
    static let limit = 8

    /// Keeps `dir`, the directory of a removed snapshot that is no longer mounted, when it is
    /// as a new snapshot's would be; false leaves it for the caller to remove.
    func keep(_ dir: String, name: String) -> Bool {
        // overlayfs's own work directory (with a volatile mount's incompat/volatile marker)
        // and the uuid it records on the upper directory are made again by the next mount.
        guard (try? FileSystem.removeTree(dir + "/work/work")) != nil else { return false }
        _ = berth_lremovexattr(dir + "/fs", "trusted.overlay.uuid")
        guard Self.isPristine(dir), (FileSystem.directoryEntries(pool)?.count ?? 0) < Self.limit else { return false }
        if mkdir(pool, 0o700) != 0 && errno != EEXIST { return false }
        return rename(dir, pool + "/" + name) == 0
    }

    /// Moves a spare to `dir`, which does not exist; false when there was none (or the one
    /// taken was no longer pristine, and is gone).
    func take(to dir: String) -> Bool {
        guard let entries = FileSystem.directoryEntries(pool) else { return false }
        // Another process may take the same one first: then the next.
        for name in entries.prefix(3) where rename(pool + "/" + name, dir) == 0 {
            if Self.isPristine(dir) { return true }
            try? FileSystem.removeTree(dir)
            return false
        }
        return false
    }

    /// As `LocalSnapshotter.makeDirectories` makes them: `dir` 0700, `fs` 0755 and `work` 0711
    /// (less what the umask takes away), owned by berth's user, nothing inside, no extended
    /// attributes.
    static func isPristine(_ dir: String) -> Bool {
        guard let umask = processUmask else { return false }
        func plain(_ path: String, mode: mode_t) -> Bool {
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode == S_IFDIR | (mode & ~umask), st.st_uid == geteuid(),
                  st.st_gid == getegid() else { return false }
            return berth_llistxattr(path, nil, 0) == 0
        }
        guard FileSystem.directoryEntries(dir)?.sorted() == ["fs", "work"],
              FileSystem.directoryEntries(dir + "/fs")?.isEmpty == true,
              FileSystem.directoryEntries(dir + "/work")?.isEmpty == true else { return false }
        return plain(dir, mode: 0o700) && plain(dir + "/fs", mode: 0o755) && plain(dir + "/work", mode: 0o711)
    }

    /// The process's umask, from /proc (reading it with umask(2) would change it for a moment
    /// under other threads).
    static var processUmask: mode_t? { ProcessStatus.number("Umask", radix: 8).map { mode_t($0) } }
}
