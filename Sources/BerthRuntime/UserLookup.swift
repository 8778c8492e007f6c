import BerthBase
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// Resolves a user spec against the container's /etc/passwd and /etc/group, as runc does:
/// names need the files, numbers do not; a user's supplementary groups come from /etc/group.
public enum UserLookup {
    struct Passwd { var name: String; var uid: UInt32; var gid: UInt32 }
    struct Group { var name: String; var gid: UInt32; var members: [String] }

    public static func resolve(_ spec: OptionParsing.UserSpec, rootfs: String) throws(BerthError) -> Spec.User {
        let passwd = parsePasswd(try readDatabase("passwd", rootfs: rootfs))
        let groups = parseGroup(try readDatabase("group", rootfs: rootfs))
        var uid: UInt32, gid: UInt32, name: String?
        if let n = UInt32(spec.user) {
            uid = n
            let entry = passwd.first { $0.uid == n }
            gid = entry?.gid ?? 0
            name = entry?.name
        } else {
            guard let entry = passwd.first(where: { $0.name == spec.user }) else {
                throw .notFound("unable to find user \(spec.user): no matching entries in the container's /etc/passwd")
            }
            uid = entry.uid; gid = entry.gid; name = entry.name
        }
        if let g = spec.group {
            if let n = UInt32(g) { gid = n } else {
                guard let entry = groups.first(where: { $0.name == g }) else {
                    throw .notFound("unable to find group \(g): no matching entries in the container's /etc/group")
                }
                gid = entry.gid
            }
        }
        var extra: [UInt32] = []
        if spec.group == nil, let name {
            for g in groups where g.members.contains(name) && g.gid != gid && !extra.contains(g.gid) { extra.append(g.gid) }
        }
        return Spec.User(uid: uid, gid: gid, additionalGids: extra.isEmpty ? nil : extra)
    }

    /// The most of /etc/passwd or /etc/group that is read.
    static let maxDatabaseSize = 1 << 20

    /// The container's /etc/NAME ("" when it does not exist). It comes from the image and
    /// berth reads it as root on the host, so it is resolved beneath the rootfs as if that
    /// were / (an absolute or `..` symlink stays inside, magic links are refused), pinned
    /// with O_PATH so that a device or FIFO is never opened, and read only as a regular
    /// file of at most 1 MiB.
    static func readDatabase(_ name: String, rootfs: String) throws(BerthError) -> String {
        let display = "the container's /etc/\(name)"
        let root = open(rootfs, BERTH_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else { throw .system("open", rootfs) }
        defer { close(root) }
        let pinned = berth_openat2(root, "etc/" + name, UInt64(BERTH_O_PATH | O_CLOEXEC), 0,
                                   UInt64(BERTH_RESOLVE_IN_ROOT | BERTH_RESOLVE_NO_MAGICLINKS))
        guard pinned >= 0 else {
            if errno == ENOENT { return "" }
            throw .invalidArgument("\(display): \(Errno.current)")
        }
        defer { close(pinned) }
        var st = stat()
        guard fstat(pinned, &st) == 0 else { throw .invalidArgument("\(display): \(Errno.current)") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .invalidArgument("\(display) is not a regular file") }
        guard st.st_size <= maxDatabaseSize else { throw .invalidArgument("\(display) is larger than 1 MiB") }
        // An O_PATH descriptor cannot be read: the same inode is opened again through it.
        // The size is checked again while reading, since a running container may grow it.
        let fd = open("/proc/self/fd/\(pinned)", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw .invalidArgument("\(display): \(Errno.current)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(st.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .invalidArgument("\(display): \(Errno.current)") }
            if n == 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes += chunk[0..<n]
            guard bytes.count <= maxDatabaseSize else { throw .invalidArgument("\(display) is larger than 1 MiB") }
        }
    }

    static func parsePasswd(_ text: String) -> [Passwd] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 4, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
            return Passwd(name: String(f[0]), uid: uid, gid: gid)
        }
    }

    static func parseGroup(_ text: String) -> [Group] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 3, let gid = UInt32(f[2]) else { return nil }
            let members = f.count >= 4 ? f[3].split(separator: ",").map(String.init) : []
            return Group(name: String(f[0]), gid: gid, members: members)
        }
    }
}
