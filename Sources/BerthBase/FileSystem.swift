import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small POSIX helpers with errors that name the path. Foundation's FileManager hides errno
/// and fsync, both of which the stores need for crash safety.
public enum FileSystem {
    /// `path` without its last component, as NSString's `deletingLastPathComponent` has it
    /// ("/a/b/" -> "/a", "/a" -> "/", "a" -> ""), in plain Swift: bridging to NSString costs a
    /// fresh process its first use, and every container start splits a few paths.
    public static func parentDirectory(_ path: String) -> String {
        let u = withoutTrailingSlashes(path)
        guard var end = u.lastIndex(of: 0x2F) else { return "" }
        while end > 0, u[end - 1] == 0x2F { end -= 1 }
        return end == 0 ? "/" : String(decoding: u[..<end], as: UTF8.self)
    }

    /// The last component of `path`, as NSString's `lastPathComponent` ("/a/b/" -> "b", "/" -> "/").
    public static func lastComponent(_ path: String) -> String {
        let u = withoutTrailingSlashes(path)
        if u == [0x2F] { return "/" }
        guard let slash = u.lastIndex(of: 0x2F) else { return String(decoding: u, as: UTF8.self) }
        return String(decoding: u[(slash + 1)...], as: UTF8.self)
    }

    /// The bytes of `path` without trailing slashes ("/" stays).
    private static func withoutTrailingSlashes(_ path: String) -> [UInt8] {
        var u = Array(path.utf8)
        while u.count > 1, u.last == 0x2F { u.removeLast() }
        return u
    }

    /// mkdir -p with the given mode for directories it creates.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(BerthError) {
        if path.isEmpty || path == "/" { return }
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .failedPrecondition("\(path): not a directory") }
            return
        }
        try makeDirectories(parentDirectory(path), mode: mode)
        if mkdir(path, mode) != 0 && errno != EEXIST { throw .system("mkdir", path) }
    }

    /// mkdir -p where `path` itself is its owner's alone: created 0700 (its missing parents
    /// 0711), or, when it exists with permissions for group or others (as an older berth made
    /// it), tightened to its owner's bits. A mode the admin made tighter stays: nothing is
    /// ever loosened. One stat when the directory is already right.
    public static func makePrivateDirectory(_ path: String) throws(BerthError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            try makeDirectories(parentDirectory(path), mode: 0o711)
            if mkdir(path, 0o700) != 0 && errno != EEXIST { throw .system("mkdir", path) }
            return
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .failedPrecondition("\(path): not a directory") }
        try restrictToOwner(path, mode: st.st_mode)
    }

    /// Drops the group and other permissions of `path` (whose current `mode` the caller has
    /// from its stat) when it has any.
    public static func restrictToOwner(_ path: String, mode: mode_t) throws(BerthError) {
        guard mode & 0o077 != 0 else { return }
        guard chmod(path, mode & 0o7700) == 0 else { throw .system("chmod", path) }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func readFile(_ path: String) throws(BerthError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open", path) }
        defer { close(fd) }
        var out = [UInt8]()
        var st = stat()
        if fstat(fd, &st) == 0 { out.reserveCapacity(Int(st.st_size)) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw .system("read", path) }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    public static func readString(_ path: String) throws(BerthError) -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Writes all of `bytes` to fd, retrying short writes and EINTR.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(BerthError) {
        var off = 0
        while off < bytes.count {
            let n = write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 { if errno == EINTR { continue }; throw .system("write", path) }
            off += n
        }
    }

    /// Writes a file atomically: temp file in the same directory, fsync, rename, fsync of the
    /// directory. Readers see the old contents or the new, never a torn file.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(BerthError) {
        let dir = parentDirectory(path)
        let tmp = "\(dir)/.tmp-\(lastComponent(path))-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system("create", tmp) }
        do throws(BerthError) {
            let result = bytes.withUnsafeBytes { b in Result { () throws(BerthError) in try writeAll(fd, b, path: tmp) } }
            try result.get()
            guard fsync(fd) == 0 else { throw BerthError.system("fsync", tmp) }
        } catch {
            close(fd); unlink(tmp)
            throw error
        }
        close(fd)
        guard rename(tmp, path) == 0 else { let e = errno; unlink(tmp); throw .system("rename", path, errno: e) }
        syncDirectory(dir)
    }

    public static func writeAtomically(_ path: String, _ string: String, mode: mode_t = 0o644) throws(BerthError) {
        try writeAtomically(path, Array(string.utf8), mode: mode)
    }

    /// fsync a directory so a rename or unlink inside it survives a crash.
    public static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    /// The names in a directory (without `.` and `..`), unsorted; nil when it cannot be read.
    /// readdir directly: FileManager's listing costs a short-lived process runtime type lookups.
    public static func directoryEntries(_ path: String) -> [String]? {
        guard let d = opendir(path) else { return nil }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// rm -rf that does not follow symlinks and does not cross into mounts below `path`
    /// (a mount left there is an error, never something to delete through).
    public static func removeTree(_ path: String) throws(BerthError) {
        try removeTree(bytes: Array(path.utf8))
    }

    /// Paths as raw bytes: a layer may name its files with any bytes, and a String made of a
    /// name that is not UTF-8 no longer names the file.
    private static func removeTree(bytes path: [UInt8]) throws(BerthError) {
        var st = stat()
        guard withPath(path, { lstat($0, &st) }) == 0 else {
            if errno == ENOENT { return }
            throw .system("lstat", String(decoding: path, as: UTF8.self))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            // An entry made while the directory is being emptied (a task bundle's
            // exit-published, written by whichever process notices the exit) is removed on a
            // second pass rather than failing the rmdir.
            for pass in 1...4 {
                guard let names = entryNames(path) else {
                    if errno == ENOENT { return }
                    throw .system("opendir", String(decoding: path, as: UTF8.self))
                }
                for n in names {
                    let child = path + [0x2F] + n
                    var cst = stat()
                    if withPath(child, { lstat($0, &cst) }) == 0, (cst.st_mode & S_IFMT) == S_IFDIR, cst.st_dev != st.st_dev {
                        throw .failedPrecondition("refusing to remove \(String(decoding: child, as: UTF8.self)): a file system is mounted there")
                    }
                    try removeTree(bytes: child)
                }
                if withPath(path, { rmdir($0) }) == 0 || errno == ENOENT { return }
                if errno != ENOTEMPTY || pass == 4 { throw .system("rmdir", String(decoding: path, as: UTF8.self)) }
            }
        } else {
            guard withPath(path, { unlink($0) }) == 0 || errno == ENOENT else {
                throw .system("unlink", String(decoding: path, as: UTF8.self))
            }
        }
    }

    /// The names in a directory (without `.` and `..`) as bytes; nil when it cannot be read.
    private static func entryNames(_ path: [UInt8]) -> [[UInt8]]? {
        guard let d = withPath(path, { opendir($0) }) else { return nil }
        defer { closedir(d) }
        var names: [[UInt8]] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names
    }

    private static func withPath<R>(_ path: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (path + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }
}
