import BerthBase
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// A `--device`: the node to make in the container and the access its cgroup allows to it.
public struct DeviceRequest: Sendable, Equatable {
    public var node: Spec.Device
    /// r, w and m (mknod), as in a device cgroup rule.
    public var access: String
    public init(node: Spec.Device, access: String) {
        self.node = node
        self.access = access
    }
}

/// Parsers for the values `berth run` and `berth containers create` take, each naming the
/// bad value in its error.
public enum OptionParsing {
    /// `1048576`, `512k`, `512m`, `1g`, `1.5g`, `64MiB`: binary units, as Docker reads --memory.
    public static func byteSize(_ s: String, what: String = "memory") throws(BerthError) -> Int64 {
        let bad = BerthError.invalidArgument("invalid \(what) value \(s.debugDescription): want bytes or a number with b, k, m or g")
        var t = s.lowercased()
        for suffix in ["ib", "b"] where t.hasSuffix(suffix) && t.count > suffix.count {
            let stripped = String(t.dropLast(suffix.count))
            if let last = stripped.last, last.isLetter || suffix == "b" { t = stripped; break }
        }
        var mult: Double = 1
        if let last = t.last, last.isLetter {
            switch last {
            case "k": mult = 1024
            case "m": mult = 1024 * 1024
            case "g": mult = 1024 * 1024 * 1024
            case "t": mult = 1024 * 1024 * 1024 * 1024
            default: throw bad
            }
            t.removeLast()
        }
        guard !t.isEmpty, t.allSatisfy({ $0.isNumber || $0 == "." }), let v = Double(t), v.isFinite, v > 0 else { throw bad }
        let bytes = v * mult
        guard bytes >= 1, bytes < Double(Int64.max) else { throw bad }
        return Int64(bytes)
    }

    /// A memory limit: a byte size of at least 6 MiB (Docker's minimum; less cannot start a process).
    public static func memoryLimit(_ s: String) throws(BerthError) -> Int64 {
        let v = try byteSize(s)
        guard v >= 6 * 1024 * 1024 else {
            throw .invalidArgument("invalid memory value \(s.debugDescription): minimum is 6m")
        }
        return v
    }

    /// `--cpus 1.5` -> quota 150000 per period 100000, as Docker computes it.
    public static func cpus(_ s: String) throws(BerthError) -> Spec.Resources.CPU {
        guard let v = Double(s), v.isFinite, v > 0, v <= 1024 else {
            throw .invalidArgument("invalid cpus value \(s.debugDescription): want a positive number such as 0.5 or 2")
        }
        let period: UInt64 = 100_000
        let quota = Int64((v * Double(period)).rounded())
        guard quota >= 1000 else { throw .invalidArgument("invalid cpus value \(s.debugDescription): minimum is 0.01") }
        return .init(quota: quota, period: period)
    }

    public static func pidsLimit(_ s: String) throws(BerthError) -> Int64 {
        guard let v = Int64(s), v > 0 else {
            throw .invalidArgument("invalid pids limit \(s.debugDescription): want a positive integer")
        }
        return v
    }

    /// `--user`: `uid`, `uid:gid`, `name`, `name:group`.
    public struct UserSpec: Sendable, Equatable {
        public var user: String
        public var group: String?
        public init(_ s: String) throws(BerthError) {
            let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty,
                  parts.allSatisfy({ !$0.contains(where: { $0 == " " || $0 == "\n" }) }) else {
                throw .invalidArgument("invalid user \(s.debugDescription): want UID[:GID] or NAME[:GROUP]")
            }
            user = parts[0]
            group = parts.count == 2 ? parts[1] : nil
        }
        public var description: String { group.map { "\(user):\($0)" } ?? user }
    }

    /// `--mount type=bind,src=/host,dst=/ctr[,options=ro]` (also `source`, `target`,
    /// `destination`, `readonly`): a bind mount, rprivate, read-only when asked.
    public static func mount(_ s: String) throws(BerthError) -> Spec.Mount {
        var type = "bind", src: String?, dst: String?, opts: [String] = []
        for field in s.split(separator: ",") {
            let kv = field.split(separator: "=", maxSplits: 1).map(String.init)
            let key = kv[0], value = kv.count == 2 ? kv[1] : ""
            switch key {
            case "type": type = value
            case "src", "source": src = value
            case "dst", "destination", "target": dst = value
            case "options": opts += value.split(separator: ":").map(String.init)
            case "ro", "readonly": if value.isEmpty || value == "true" || value == "1" { opts.append("ro") }
            default: throw .invalidArgument("invalid mount \(s.debugDescription): unknown field \(key.debugDescription)")
            }
        }
        guard type == "bind" else {
            throw .invalidArgument("invalid mount \(s.debugDescription): only type=bind is supported")
        }
        guard let src, src.hasPrefix("/") else {
            throw .invalidArgument("invalid mount \(s.debugDescription): want an absolute src=")
        }
        guard let dst, dst.hasPrefix("/"), !dst.split(separator: "/").contains("..") else {
            throw .invalidArgument("invalid mount \(s.debugDescription): want an absolute dst= without '..'")
        }
        guard FileSystem.exists(src) else { throw .notFound("invalid mount \(s.debugDescription): \(src) does not exist") }
        let allowed: Set<String> = ["ro", "rw", "nosuid", "nodev", "noexec", "rprivate", "private", "rslave", "slave"]
        for o in opts where !allowed.contains(o) {
            throw .invalidArgument("invalid mount \(s.debugDescription): unknown option \(o.debugDescription)")
        }
        var options = ["rbind"]
        if !opts.contains(where: { $0.hasSuffix("private") || $0.hasSuffix("slave") }) { options.append("rprivate") }
        options += opts.filter { $0 != "rw" }
        return Spec.Mount(destination: dst, type: "bind", source: src, options: options)
    }

    /// `--device HOST[:CONTAINER][:PERMISSIONS]`, Docker's syntax: the host's device node
    /// (followed if a link) made at CONTAINER (default: the host path) with its mode and
    /// owner, and r, w and m (the default: all three) allowed on it.
    public static func device(_ s: String) throws(BerthError) -> DeviceRequest {
        func bad(_ why: String) -> BerthError { .invalidArgument("invalid --device \(s.debugDescription): \(why)") }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let host = parts[0]
        var path = host, access = "rwm"
        switch parts.count {
        case 1: break
        case 2: if isDeviceAccess(parts[1]) { access = parts[1] } else { path = parts[1] }
        case 3: (path, access) = (parts[1], parts[2])
        default: throw bad("want HOST[:CONTAINER][:PERMISSIONS]")
        }
        guard host.hasPrefix("/") else { throw bad("want an absolute host path") }
        guard path.hasPrefix("/"), path.count > 1, !path.split(separator: "/").contains("..") else {
            throw bad("want an absolute container path without '..'")
        }
        guard isDeviceAccess(access) else { throw bad("permissions \(access.debugDescription): want some of r, w and m") }
        var st = stat()
        guard stat(host, &st) == 0 else { throw bad("\(host): \(String(cString: strerror(errno)))") }
        let type: String
        switch st.st_mode & S_IFMT {
        case S_IFCHR: type = "c"
        case S_IFBLK: type = "b"
        default: throw bad("\(host) is not a device node")
        }
        let node = Spec.Device(type: type, path: path, major: Int64(berth_major(st.st_rdev)), minor: Int64(berth_minor(st.st_rdev)),
                               fileMode: UInt32(st.st_mode & 0o7777), uid: st.st_uid, gid: st.st_gid)
        return DeviceRequest(node: node, access: access)
    }

    static func isDeviceAccess(_ s: String) -> Bool {
        !s.isEmpty && Set(s).count == s.count && s.allSatisfy { "rwm".contains($0) }
    }

    /// `KEY=VALUE`; a bare `KEY` is taken from berth's own environment, as Docker does.
    public static func env(_ s: String, host: [String: String]) throws(BerthError) -> String? {
        guard !s.isEmpty, !s.hasPrefix("=") else { throw .invalidArgument("invalid environment variable \(s.debugDescription)") }
        if s.utf8.contains(UInt8(ascii: "=")) { return s }
        return host[s].map { "\(s)=\($0)" }
    }

    /// Container ids as containerd validates identifiers: alphanumerics separated by single
    /// `.`, `_` or `-`, at most 76 characters.
    public static func validateID(_ id: String) throws(BerthError) {
        let bytes = Array(id.utf8)
        func alnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        var ok = !bytes.isEmpty && bytes.count <= 76 && alnum(bytes.first!) && alnum(bytes.last!)
        for i in bytes.indices where ok && !alnum(bytes[i]) {
            ok = (bytes[i] == 46 || bytes[i] == 95 || bytes[i] == 45) && alnum(bytes[i + 1])
        }
        guard ok else {
            throw .invalidArgument("invalid container id \(id.debugDescription): want letters and digits separated by '.', '_' or '-', at most 76 characters")
        }
    }
}
