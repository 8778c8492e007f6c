import BerthBase
import CArchive
import CBerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes tar entries into a tree, never outside it. Names are kept as raw bytes. Each
/// entry's parent directory is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
/// from the tree's own fd, and the entry itself is made with *at calls relative to that
/// directory, so neither `..`, an absolute name, nor a symlink (from this layer or, for
/// overlay, from a lower one) can redirect a write. Such entries are refused, naming them.
final class LayerWriter {
    typealias Name = [UInt8]

    let target: ApplyTarget
    let subject: String
    private let rootFD: Int32
    private var lowerFDs: [Int32] = []
    /// The parent directory of the previous entry, reused while entries stay in it.
    private var cached: (path: ArraySlice<Name>, fd: Int32)?
    /// Paths written by this layer (for native opaque directories).
    private var unpacked = Set<Name>()
    private var opaqueDone = Set<Name>()
    /// Directory times are set last: creating entries inside would change them.
    private var dirTimes: [(path: [Name], times: [timespec])] = []
    /// The tar stream ended right after the last file's data (see writeFile).
    private(set) var endedEarly = false
    /// Made once the tree is open (so a failing init leaves no thread behind).
    private var writeback: Writeback?

    private static let resolve = UInt64(BERTH_RESOLVE_BENEATH | BERTH_RESOLVE_NO_SYMLINKS | BERTH_RESOLVE_NO_MAGICLINKS)

    init(target: ApplyTarget, subject: String) throws(BerthError) {
        self.target = target
        self.subject = subject
        rootFD = open(target.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw BerthError.system("open", target.root).prefixed(subject) }
        for l in target.lowers {
            let fd = open(l, BERTH_O_PATH | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { let e = BerthError.system("open", l).prefixed(subject); close(); throw e }
            lowerFDs.append(fd)
        }
        writeback = Writeback()
    }

    func close() {
        writeback?.stop()
        writeback = nil
        dropCache()
        if rootFD >= 0 { Glibc.close(rootFD) }
        lowerFDs.forEach { _ = Glibc.close($0) }
        lowerFDs = []
    }

    // MARK: - Entries

    func apply(entry e: OpaquePointer, archive a: OpaquePointer) throws(BerthError) {
        let raw = archive_entry_pathname(e) ?? archive_entry_pathname_utf8(e)
        guard let raw else { throw fail("<unnamed>", "entry without a name") }
        let rawName = Name(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
        let display = String(decoding: rawName, as: UTF8.self)
        let comps = try components(rawName, display)
        guard let base = comps.last else { return }  // "." or "./": the root itself
        let parentPath = comps.dropLast()
        let pfd = try parent(parentPath, display)

        if base.starts(with: Self.whiteoutPrefix) {
            try whiteout(pfd, parentPath, base, e, display)
            return
        }

        let type = archive_entry_filetype(e)
        let isDir = type == AE_IFDIR && archive_entry_hardlink(e) == nil
        try base.withCString { name throws(BerthError) in
            var fd = try create(pfd, name, e, a, type, display)
            if fd == Self.exists {
                // Something is there already: a directory merges with a directory (only its
                // metadata changes); anything else is replaced, as containerd does.
                var st = stat()
                if isDir && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                    fd = -1
                } else {
                    try removeAt(pfd, name, display)
                    fd = try create(pfd, name, e, a, type, display)
                    if fd == Self.exists { throw fail(display, "create: \(Errno(EEXIST))") }
                }
            }
            defer { if fd >= 0 { Glibc.close(fd) } }
            try setAttributes(pfd, name, fd, e, display)
            if fd >= 0, let writeback, archive_entry_size(e) > 0 {
                writeback.submit(fd, size: archive_entry_size(e))
                fd = -1
            }
        }
        let full = Array(comps)
        if isDir {
            dirTimes.append((full, times(e)))
        }
        unpacked.insert(Self.join(full))
    }

    func finish() throws(BerthError) {
        dropCache()
        for d in dirTimes.reversed() {
            let path = Self.join(d.path)
            let fd = path.withCString { berth_openat2(rootFD, $0, UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW), 0, Self.resolve) }
            if fd < 0 { continue }  // removed later in the layer
            var t = d.times
            let rc = futimens(fd, &t)
            Glibc.close(fd)
            guard rc == 0 else { throw fail(String(decoding: path, as: UTF8.self), "set times: \(Errno.current)") }
        }
    }

    /// `create` found the name taken (EEXIST); nothing was made.
    private static let exists: Int32 = -2

    /// Makes the entry. Returns the open fd of a regular file (the caller sets its
    /// attributes through it and closes it), -1 for other types, or `exists`.
    private func create(_ pfd: Int32, _ name: UnsafePointer<CChar>, _ e: OpaquePointer, _ a: OpaquePointer,
                        _ type: mode_t, _ display: String) throws(BerthError) -> Int32 {
        func check(_ rc: Int32, _ what: String) throws(BerthError) -> Int32 {
            if rc == 0 { return -1 }
            if errno == EEXIST { return Self.exists }
            throw fail(display, "\(what): \(Errno.current)")
        }
        if let link = archive_entry_hardlink(e) {
            return try hardlink(pfd, name, link, display)
        }
        let perm = mode_t(archive_entry_perm(e))
        switch type {
        case AE_IFDIR:
            return try check(mkdirat(pfd, name, 0o700), "mkdir")
        case AE_IFREG:
            let fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 { return try check(-1, "create") }
            do {
                try writeFile(fd, a, size: archive_entry_size(e), display)
            } catch {
                Glibc.close(fd)
                throw error
            }
            return fd
        case AE_IFLNK:
            guard let t = archive_entry_symlink(e) ?? archive_entry_symlink_utf8(e) else { throw fail(display, "symlink without a target") }
            return try check(symlinkat(t, pfd, name), "symlink")
        case AE_IFCHR, AE_IFBLK:
            let dev = berth_makedev(UInt32(archive_entry_rdevmajor(e)), UInt32(archive_entry_rdevminor(e)))
            return try check(mknodat(pfd, name, type | perm, dev), "mknod")
        case AE_IFIFO:
            return try check(mknodat(pfd, name, S_IFIFO | perm, 0), "mkfifo")
        default:
            throw fail(display, "entry type \(String(type, radix: 8)) cannot be represented in a layer")
        }
    }

    private func writeFile(_ fd: Int32, _ a: OpaquePointer, size: Int64, _ display: String) throws(BerthError) {
        var end: Int64 = 0
        while true {
            var buf: UnsafeRawPointer?
            var len = 0
            var offset: la_int64_t = 0
            let r = archive_read_data_block(a, &buf, &len, &offset)
            if r == ARCHIVE_EOF { break }
            if r == ARCHIVE_FATAL && end >= size {
                // All of the file's data arrived, then the stream ended without the
                // padding and end-of-archive blocks (as `umoci insert` writes layers).
                // Go's archive/tar, and so containerd, takes that as the end; so do we.
                // The diff ID still covers every byte that was there.
                endedEarly = true
                break
            }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN else {
                throw fail(display, "corrupt or truncated tar stream: \(LayerApplier.errorString(a))")
            }
            var done = 0
            while done < len {
                let n = pwrite(fd, buf! + done, len - done, off_t(offset) + off_t(done))
                if n < 0 { if errno == EINTR { continue }; throw fail(display, "write: \(Errno.current)") }
                done += n
            }
            end = max(end, Int64(offset) + Int64(len))
        }
        // Sparse files end in a hole that no data block covers.
        if end < size, ftruncate(fd, off_t(size)) != 0 { throw fail(display, "truncate: \(Errno.current)") }
    }

    private func hardlink(_ pfd: Int32, _ name: UnsafePointer<CChar>, _ link: UnsafePointer<CChar>, _ display: String) throws(BerthError) -> Int32 {
        let linkName = Name(UnsafeBufferPointer(start: UnsafeRawPointer(link).assumingMemoryBound(to: UInt8.self), count: strlen(link)))
        let linkDisplay = String(decoding: linkName, as: UTF8.self)
        let comps: ArraySlice<Name>
        do { comps = try components(linkName, display) } catch {
            throw fail(display, "hard link target \(linkDisplay.debugDescription) is outside the layer")
        }
        guard let tbase = comps.last else { throw fail(display, "hard link to the root directory") }
        let tparent = Self.join(Array(comps.dropLast()))
        let tfd = tparent.isEmpty ? dup(rootFD) : tparent.withCString {
            berth_openat2(rootFD, $0, UInt64(BERTH_O_PATH | O_DIRECTORY | O_CLOEXEC), 0, Self.resolve)
        }
        guard tfd >= 0 else {
            let e = errno
            if e == ELOOP || e == EXDEV { throw fail(display, "hard link target \(linkDisplay.debugDescription) goes through a symlink") }
            throw fail(display, "hard link target \(linkDisplay.debugDescription): \(Errno(e))")
        }
        defer { Glibc.close(tfd) }
        let rc = tbase.withCString { linkat(tfd, $0, pfd, name, 0) }
        if rc == 0 { return -1 }
        if errno == EEXIST { return Self.exists }
        throw fail(display, "hard link to \(linkDisplay.debugDescription): \(Errno.current)")
    }

    /// Owner, xattrs, then mode (chown clears setuid/setgid and file capabilities), then
    /// times; for every type, like containerd (hard links included: same inode).
    /// `fd` is the open regular file, or -1 to work by name in `pfd`. By name, nothing
    /// follows a link: the entry may be a hard link to a symlink, which gets a symlink's
    /// treatment (owner and times on the link itself, no mode).
    private func setAttributes(_ pfd: Int32, _ name: UnsafePointer<CChar>, _ fd: Int32, _ e: OpaquePointer, _ display: String) throws(BerthError) {
        let uid = uid_t(archive_entry_uid(e)), gid = gid_t(archive_entry_gid(e))
        guard (fd >= 0 ? fchown(fd, uid, gid) : fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW)) == 0 else {
            throw fail(display, "chown: \(Errno.current)")
        }
        if archive_entry_xattr_reset(e) > 0 {
            let path = "/proc/self/fd/\(pfd)/" + String(cString: name)
            var xname: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK {
                guard let xname, Self.isAppliedXattr(xname) else { continue }
                let rc = fd >= 0 ? berth_fsetxattr(fd, xname, value, size) : berth_lsetxattr(path, xname, value, size)
                if rc != 0 {
                    let err = errno
                    let key = String(cString: xname)
                    // user.* exists only on regular files and directories; containerd skips it elsewhere too.
                    if err == ENOTSUP || (err == EPERM && key.hasPrefix("user.") && !isFileOrDirectory(pfd, name)) { continue }
                    throw fail(display, "set xattr \(key): \(Errno(err))")
                }
            }
        }
        let isSymlink = archive_entry_filetype(e) == AE_IFLNK && archive_entry_hardlink(e) == nil
        let mode = mode_t(archive_entry_perm(e))
        if !isSymlink {
            guard (fd >= 0 ? fchmod(fd, mode) : berth_lchmodat(pfd, name, mode)) >= 0 else { throw fail(display, "chmod: \(Errno.current)") }
        }
        if archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e) != nil {
            var t = times(e)
            guard (fd >= 0 ? futimens(fd, &t) : utimensat(pfd, name, &t, AT_SYMLINK_NOFOLLOW)) == 0 else {
                throw fail(display, "set times: \(Errno.current)")
            }
        }
    }

    private func isFileOrDirectory(_ pfd: Int32, _ name: UnsafePointer<CChar>) -> Bool {
        var st = stat()
        return fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && [S_IFREG, S_IFDIR].contains(st.st_mode & S_IFMT)
    }

    /// The xattrs a layer may set: user data, file capabilities and POSIX ACLs. `trusted.*`
    /// would let a layer speak for overlayfs (`trusted.overlay.opaque`, `.redirect`,
    /// `.metacopy`: what the merged view shows), and other `security.*` names are the host's
    /// security modules' labels; neither is applied.
    static func isAppliedXattr(_ name: UnsafePointer<CChar>) -> Bool {
        strncmp(name, "user.", 5) == 0 || strcmp(name, "security.capability") == 0
            || strcmp(name, "system.posix_acl_access") == 0 || strcmp(name, "system.posix_acl_default") == 0
    }

    private func times(_ e: OpaquePointer) -> [timespec] {
        let mtime = timespec(tv_sec: archive_entry_mtime(e), tv_nsec: archive_entry_mtime_nsec(e))
        var atime = mtime
        if archive_entry_atime_is_set(e) != 0 {
            let at = timespec(tv_sec: archive_entry_atime(e), tv_nsec: archive_entry_atime_nsec(e))
            if (at.tv_sec, at.tv_nsec) > (mtime.tv_sec, mtime.tv_nsec) { atime = at }
        }
        return [atime, mtime]
    }

    // MARK: - Whiteouts

    static let whiteoutPrefix = Name(".wh.".utf8)
    static let opaqueName = Name(".wh..wh..opq".utf8)
    static let metaPrefix = Name(".wh..wh.".utf8)

    private func whiteout(_ pfd: Int32, _ parentPath: ArraySlice<Name>, _ base: Name, _ e: OpaquePointer, _ display: String) throws(BerthError) {
        if base == Self.opaqueName {
            if target.overlayWhiteouts {
                guard berth_fsetxattr(pfd, "trusted.overlay.opaque", "y", 1) == 0 else {
                    throw fail(display, "mark directory opaque: \(Errno.current)")
                }
            } else if opaqueDone.insert(Self.join(Array(parentPath))).inserted {
                try removeUnpacked(pfd, Array(parentPath), display)
            }
            return
        }
        if base.starts(with: Self.metaPrefix) { return }  // other AUFS metadata: nothing to apply
        let victim = Name(base.dropFirst(Self.whiteoutPrefix.count))
        guard !victim.isEmpty, victim != Name(".".utf8), victim != Name("..".utf8) else {
            throw fail(display, "invalid whiteout name")
        }
        try victim.withCString { name throws(BerthError) in
            if target.overlayWhiteouts {
                guard mknodat(pfd, name, S_IFCHR, 0) == 0 else { throw fail(display, "create whiteout: \(Errno.current)") }
                guard fchownat(pfd, name, uid_t(archive_entry_uid(e)), gid_t(archive_entry_gid(e)), AT_SYMLINK_NOFOLLOW) == 0 else {
                    throw fail(display, "chown whiteout: \(Errno.current)")
                }
            } else {
                var st = stat()
                if fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                    try removeAt(pfd, name, display)
                }
            }
        }
    }

    /// Native opaque directory: delete what lower layers put in it, keeping what this
    /// layer has written so far (entries may come before the marker).
    private func removeUnpacked(_ dirFD: Int32, _ path: [Name], _ display: String) throws(BerthError) {
        let fd = openat(dirFD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, let d = fdopendir(fd) else { throw fail(display, "open directory: \(Errno.current)") }
        defer { closedir(d) }
        var names: [Name] = []
        while let ent = readdir(d) {
            let n = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { Name(UnsafeBufferPointer(start: $0, count: strlen(UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)))) }
            }
            if n != Name(".".utf8) && n != Name("..".utf8) { names.append(n) }
        }
        for n in names {
            let childPath = path + [n]
            try n.withCString { name throws(BerthError) in
                if unpacked.contains(Self.join(childPath)) {
                    var st = stat()
                    if fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
                        let sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                        guard sub >= 0 else { throw fail(display, "open directory: \(Errno.current)") }
                        defer { Glibc.close(sub) }
                        try removeUnpacked(sub, childPath, display)
                    }
                } else {
                    try removeAt(fd, name, display)
                }
            }
        }
    }

    // MARK: - Resolution

    /// Splits a tar name into components, refusing absolute names and `..` anywhere.
    private func components(_ name: Name, _ display: String) throws(BerthError) -> ArraySlice<Name> {
        if name.first == UInt8(ascii: "/") { throw fail(display, "absolute name is outside the layer") }
        var out: [Name] = []
        for c in name.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true) {
            if c.elementsEqual(".".utf8) { continue }
            if c.elementsEqual("..".utf8) { throw fail(display, "'..' in the name leads outside the layer") }
            out.append(Name(c))
        }
        return out[...]
    }

    /// The directory that will hold an entry, made if missing (as containerd's mkparent:
    /// mode 0755, or the mode and owner the same directory has in a lower layer).
    private func parent(_ path: ArraySlice<Name>, _ display: String) throws(BerthError) -> Int32 {
        if path.isEmpty {
            // An entry in the root may replace or white out the directory cached for the
            // previous entries; the next entry in there must resolve it afresh.
            dropCache()
            return rootFD
        }
        if let c = cached, c.path == path { return c.fd }
        dropCache()
        let joined = Self.join(Array(path))
        var fd = joined.withCString { berth_openat2(rootFD, $0, UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0, Self.resolve) }
        if fd < 0 {
            switch errno {
            case ENOENT: fd = try makeParents(path, display)
            case ELOOP, EXDEV: throw fail(display, "path goes through a symlink")
            case ENOTDIR: throw fail(display, "a parent is not a directory")
            default: throw fail(display, "open parent directory: \(Errno.current)")
            }
        }
        cached = (path, fd)
        return fd
    }

    private func makeParents(_ path: ArraySlice<Name>, _ display: String) throws(BerthError) -> Int32 {
        var cur = dup(rootFD)
        for i in path.indices {
            let c = path[i]
            let next: Int32 = try c.withCString { name throws(BerthError) in
                let fd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if fd >= 0 { return fd }
                let err = errno
                var st = stat()
                if err != ENOENT || fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0 {
                    if fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
                        throw fail(display, "path goes through a symlink")
                    }
                    throw fail(display, "a parent is not a directory")
                }
                let lower = try lowerDirectory(Array(path[path.startIndex...i]), display)
                guard mkdirat(cur, name, 0o755) == 0 || errno == EEXIST else { throw fail(display, "mkdir parent: \(Errno.current)") }
                let fd2 = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard fd2 >= 0 else { throw fail(display, "open parent: \(Errno.current)") }
                if let lower {
                    guard fchown(fd2, lower.st_uid, lower.st_gid) == 0, fchmod(fd2, lower.st_mode & 0o7777) == 0 else {
                        let error = fail(display, "copy parent attributes: \(Errno.current)")
                        Glibc.close(fd2)
                        throw error
                    }
                    var t = [lower.st_atim, lower.st_mtim]
                    futimens(fd2, &t)
                }
                return fd2
            }
            Glibc.close(cur)
            cur = next
        }
        return cur
    }

    /// What the merged view shows at `path` below this layer, if it is a directory.
    /// A symlink there is refused: writing under it would write through it.
    private func lowerDirectory(_ path: [Name], _ display: String) throws(BerthError) -> stat? {
        let joined = Self.join(path)
        for lfd in lowerFDs {
            let fd = joined.withCString { berth_openat2(lfd, $0, UInt64(BERTH_O_PATH | O_NOFOLLOW | O_CLOEXEC), 0, Self.resolve) }
            if fd < 0 {
                if errno == ENOENT { continue }
                // A file or whiteout above in this layer hides everything lower down.
                if errno == ENOTDIR { return nil }
                if errno == ELOOP || errno == EXDEV { throw fail(display, "path goes through a symlink in a lower layer") }
                throw fail(display, "look up lower layer: \(Errno.current)")
            }
            var st = stat()
            let rc = fstat(fd, &st)
            Glibc.close(fd)
            guard rc == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFLNK: throw fail(display, "path goes through a symlink in a lower layer")
            case S_IFDIR: return st
            default: return nil  // a whiteout or a file: the new directory replaces it
            }
        }
        return nil
    }

    // MARK: - Helpers

    /// rm -rf of `name` inside `dirFD`, by fds only. Removals are always in the current
    /// entry's parent, which is the cached one or the root (and then nothing is cached).
    private func removeAt(_ dirFD: Int32, _ name: UnsafePointer<CChar>, _ display: String) throws(BerthError) {
        if unlinkat(dirFD, name, 0) == 0 || errno == ENOENT { return }
        guard errno == EISDIR else { throw fail(display, "remove: \(Errno.current)") }
        let fd = openat(dirFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, let d = fdopendir(fd) else { throw fail(display, "remove: \(Errno.current)") }
        var names: [[CChar]] = []
        while let ent = readdir(d) {
            let n = withUnsafePointer(to: ent.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if n == "." || n == ".." { continue }
            names.append(withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { Array(UnsafeBufferPointer(start: $0, count: strlen($0) + 1)) }
            })
        }
        defer { closedir(d) }
        for n in names { try n.withUnsafeBufferPointer { b throws(BerthError) in try removeAt(fd, b.baseAddress!, display) } }
        guard unlinkat(dirFD, name, AT_REMOVEDIR) == 0 else { throw fail(display, "remove directory: \(Errno.current)") }
    }

    private func dropCache() {
        if let c = cached { Glibc.close(c.fd) }
        cached = nil
    }

    static func join(_ comps: [Name]) -> Name {
        var out = Name()
        for (i, c) in comps.enumerated() {
            if i > 0 { out.append(UInt8(ascii: "/")) }
            out += c
        }
        return out
    }

    private func fail(_ entry: String, _ reason: String) -> BerthError {
        .invalidArgument("\(subject): entry \(entry.debugDescription): \(reason)")
    }
}

extension Array where Element == UInt8 {
    /// Calls `body` with the bytes as a NUL-terminated C string.
    func withCString<R, E: Error>(_ body: (UnsafePointer<CChar>) throws(E) -> R) throws(E) -> R {
        var copy = self
        copy.append(0)
        let result: Result<R, E> = copy.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { p in
                Result { () throws(E) -> R in try body(p) }
            }
        }
        return try result.get()
    }
}

// libarchive's AE_IF* file types are C macros with casts, which Swift does not import.
private let AE_IFREG: mode_t = 0o100000
private let AE_IFLNK: mode_t = 0o120000
private let AE_IFCHR: mode_t = 0o020000
private let AE_IFBLK: mode_t = 0o060000
private let AE_IFDIR: mode_t = 0o040000
private let AE_IFIFO: mode_t = 0o010000
