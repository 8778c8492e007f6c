import BerthBase
import CBerthRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Resource usage of one container's cgroup, as `berth tasks metrics` shows it.
public struct TaskMetrics: Codable, Sendable, Equatable {
    /// Total CPU time consumed, nanoseconds.
    public var cpuUsageNanos: UInt64?
    public var memoryCurrent: Int64?
    /// Highest memory use seen (v1 memory.max_usage_in_bytes, v2 memory.peak).
    public var memoryPeak: Int64?
    public var memoryLimit: Int64?
    public var pidsCurrent: Int64?
    public var pidsLimit: Int64?
    public var oomKills: Int64?
    public init() {}
}

/// The cgroup hierarchy of this machine: cgroup v2 unified, or v1 with one mount per controller
/// (or per group of controllers, e.g. `cpu,cpuacct`). A hybrid machine's empty v2 tree is
/// ignored: its controllers live in v1.
public struct CgroupHierarchy: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case v2(root: String)
        /// Controller name -> the directory it is mounted at.
        case v1(controllers: [String: String])
    }

    public let mode: Mode
    /// The v1 controllers berth uses; cpuset is left out (a child needs cpus/mems copied first).
    public static let v1Controllers = ["memory", "cpu", "cpuacct", "pids", "freezer", "devices"]

    public init(mode: Mode) { self.mode = mode }

    /// Looks at `root` (normally /sys/fs/cgroup): v2 when it holds cgroup.controllers, otherwise
    /// each directory named after controllers is a v1 mount.
    public static func detect(root: String = "/sys/fs/cgroup") throws(BerthError) -> CgroupHierarchy {
        if FileSystem.exists(root + "/cgroup.controllers") { return CgroupHierarchy(mode: .v2(root: root)) }
        guard let names = FileSystem.directoryEntries(root) else {
            throw .unavailable("no cgroup file system at \(root)")
        }
        var controllers: [String: String] = [:]
        for name in names.sorted() {
            var st = stat()
            guard lstat(root + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            for c in name.split(separator: ",").map(String.init) where v1Controllers.contains(c) {
                controllers[c] = root + "/" + name
            }
        }
        guard controllers["memory"] != nil, controllers["freezer"] != nil else {
            throw .unavailable("cgroup v1 at \(root) lacks the memory or freezer controller")
        }
        return CgroupHierarchy(mode: .v1(controllers: controllers))
    }

    public static let host: Result<CgroupHierarchy, BerthError> = Result { () throws(BerthError) in try detect() }

    /// The cgroup of one container: `berth/<namespace>/<id>` under every controller.
    public func cgroup(namespace: String, id: String) -> Cgroup {
        Cgroup(hierarchy: self, relative: "berth/\(namespace)/\(id)")
    }

    /// Removes a namespace's parent cgroup `berth/<namespace>` (they outlive containers, as
    /// containerd's and Docker's parents do; removing the namespace takes them). A parent that
    /// still has children stays.
    public func removeNamespace(_ namespace: String) {
        for d in Cgroup(hierarchy: self, relative: "berth/\(namespace)").directories { rmdir(d) }
    }
}

/// One container's cgroup, on either hierarchy.
public struct Cgroup: Sendable, Equatable {
    public let hierarchy: CgroupHierarchy
    /// Path below each controller root, e.g. `berth/default/web`.
    public let relative: String

    /// Every directory making up this cgroup (one per v1 mount; one on v2).
    public var directories: [String] {
        switch hierarchy.mode {
        case .v2(let root): return [root + "/" + relative]
        case .v1(let controllers): return Array(Set(controllers.values)).sorted().map { $0 + "/" + relative }
        }
    }

    func dir(_ controller: String) -> String? {
        switch hierarchy.mode {
        case .v2(let root): return root + "/" + relative
        case .v1(let controllers): return controllers[controller].map { $0 + "/" + relative }
        }
    }

    /// The files the shim writes the init's pid into before it execs.
    public var procsFiles: [String] { directories.map { $0 + "/cgroup.procs" } }

    public var exists: Bool { directories.contains(where: FileSystem.isDirectory) }

    /// Creates the directories and applies the limits. On failure nothing is left behind.
    public func create(resources: Spec.Resources?) throws(BerthError) {
        do {
            if case .v2(let root) = hierarchy.mode { enableV2Controllers(root: root) }
            for d in directories { try Self.makeDirectories(d) }
            if let r = resources { try apply(r) }
        } catch {
            try? destroy()
            throw error
        }
    }

    /// On v2 a controller is usable in a child only once every ancestor delegates it.
    private func enableV2Controllers(root: String) {
        var path = root
        for component in relative.split(separator: "/").dropLast() {
            for c in ["+memory", "+cpu", "+pids"] { try? Self.write(path + "/cgroup.subtree_control", c) }
            path += "/" + component
            try? Self.makeDirectories(path)
        }
        for c in ["+memory", "+cpu", "+pids"] { try? Self.write(path + "/cgroup.subtree_control", c) }
    }

    public func apply(_ r: Spec.Resources) throws(BerthError) {
        switch hierarchy.mode {
        case .v1:
            if let rules = r.devices, !rules.isEmpty {
                guard let d = dir("devices") else {
                    throw .unavailable("cgroup v1 has no devices controller: the container's device access cannot be limited")
                }
                // One open per run of rules for the same file; the kernel takes one rule per write.
                var start = rules.startIndex
                while start < rules.endIndex {
                    let allow = rules[start].allow
                    let end = rules[start...].firstIndex { $0.allow != allow } ?? rules.endIndex
                    try Self.write(d + (allow ? "/devices.allow" : "/devices.deny"), each: rules[start..<end].map(\.v1Entry))
                    start = end
                }
            }
            if let m = r.memory, let d = dir("memory") {
                if let limit = m.limit {
                    try Self.write(d + "/memory.limit_in_bytes", String(limit))
                    if let swap = m.swap, FileSystem.exists(d + "/memory.memsw.limit_in_bytes") {
                        try Self.write(d + "/memory.memsw.limit_in_bytes", String(swap))
                    }
                }
            }
            if let c = r.cpu, let d = dir("cpu") {
                if let p = c.period { try Self.write(d + "/cpu.cfs_period_us", String(p)) }
                if let q = c.quota { try Self.write(d + "/cpu.cfs_quota_us", String(q)) }
                if let s = c.shares { try Self.write(d + "/cpu.shares", String(s)) }
            }
            if let p = r.pids, let d = dir("pids") { try Self.write(d + "/pids.max", String(p.limit)) }
        case .v2(let root):
            let d = root + "/" + relative
            if let rules = r.devices, !rules.isEmpty { try Self.attachDeviceRules(rules, to: d) }
            if let m = r.memory, let limit = m.limit {
                try Self.write(d + "/memory.max", String(limit))
                if let swap = m.swap { try Self.write(d + "/memory.swap.max", String(max(0, swap - limit))) }
            }
            if let c = r.cpu {
                if let q = c.quota { try Self.write(d + "/cpu.max", "\(q) \(c.period ?? 100_000)") }
                if let s = c.shares { try Self.write(d + "/cpu.weight", String(Self.weight(shares: s))) }
            }
            if let p = r.pids { try Self.write(d + "/pids.max", String(p.limit)) }
        }
    }

    /// cgroup v2 has no devices controller: a BPF program attached to the cgroup applies the
    /// rules (as runc and crun do). It goes with the cgroup.
    static func attachDeviceRules(_ rules: [Spec.Resources.DeviceRule], to dir: String) throws(BerthError) {
        let bits: [Character: UInt32] = ["m": UInt32(BERTH_DEVICE_MKNOD), "r": UInt32(BERTH_DEVICE_READ), "w": UInt32(BERTH_DEVICE_WRITE)]
        let c = rules.map { r in
            berth_device_rule(allow: r.allow ? 1 : 0, type: CChar(r.type == "b" || r.type == "c" ? r.type!.utf8.first! : UInt8(ascii: "a")),
                              major: r.major ?? -1, minor: r.minor ?? -1,
                              access: (r.access ?? "rwm").reduce(0) { $0 | (bits[$1] ?? 0) })
        }
        guard berth_attach_device_rules(dir, c, c.count) == 0 else { throw .system("attach the device rules to cgroup", dir) }
    }

    /// runc's conversion of v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000).
    public static func weight(shares: UInt64) -> UInt64 {
        let s = min(max(shares, 2), 262_144)
        return 1 + ((s - 2) * 9999) / 262_142
    }

    /// Pids of every process in the cgroup.
    public func pids() -> [Int32] {
        let d = dir("memory") ?? directories[0]
        guard let text = try? FileSystem.readString(d + "/cgroup.procs") else { return [] }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }

    public var isFrozen: Bool {
        switch hierarchy.mode {
        case .v1:
            guard let d = dir("freezer") else { return false }
            return (try? FileSystem.readString(d + "/freezer.state"))?.hasPrefix("FROZEN") == true
        case .v2(let root):
            return Self.keyed((try? FileSystem.readString(root + "/" + relative + "/cgroup.events")) ?? "")["frozen"] == 1
        }
    }

    /// Freezes or thaws every process, waiting (bounded) until the kernel reports it done.
    public func setFrozen(_ frozen: Bool) throws(BerthError) {
        switch hierarchy.mode {
        case .v1:
            guard let d = dir("freezer") else { throw .unavailable("no freezer controller") }
            try Self.write(d + "/freezer.state", frozen ? "FROZEN" : "THAWED")
        case .v2(let root):
            try Self.write(root + "/" + relative + "/cgroup.freeze", frozen ? "1" : "0")
        }
        let deadline = Date().addingTimeInterval(5)
        while isFrozen != frozen {
            if Date() > deadline { throw .unavailable("cgroup \(relative) did not \(frozen ? "freeze" : "thaw") within 5s") }
            if case .v1 = hierarchy.mode, frozen, let d = dir("freezer") {
                try Self.write(d + "/freezer.state", "FROZEN")
            }
            usleep(1000)
        }
    }

    public func metrics() -> TaskMetrics {
        var m = TaskMetrics()
        func num(_ path: String?) -> Int64? {
            guard let path, let s = try? FileSystem.readString(path) else { return nil }
            return Int64(s.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        switch hierarchy.mode {
        case .v1:
            m.cpuUsageNanos = num(dir("cpuacct").map { $0 + "/cpuacct.usage" }).map { UInt64($0) }
            m.memoryCurrent = num(dir("memory").map { $0 + "/memory.usage_in_bytes" })
            m.memoryPeak = num(dir("memory").map { $0 + "/memory.max_usage_in_bytes" })
            m.memoryLimit = num(dir("memory").map { $0 + "/memory.limit_in_bytes" })
            m.pidsCurrent = num(dir("pids").map { $0 + "/pids.current" })
            m.pidsLimit = num(dir("pids").map { $0 + "/pids.max" })
        case .v2(let root):
            let d = root + "/" + relative
            if let usec = Self.keyed((try? FileSystem.readString(d + "/cpu.stat")) ?? "")["usage_usec"] {
                m.cpuUsageNanos = UInt64(usec) * 1000
            }
            m.memoryCurrent = num(d + "/memory.current")
            m.memoryPeak = num(d + "/memory.peak")
            m.memoryLimit = num(d + "/memory.max")
            m.pidsCurrent = num(d + "/pids.current")
            m.pidsLimit = num(d + "/pids.max")
        }
        m.oomKills = oomKillCount()
        return m
    }

    /// How many processes the OOM killer took in this cgroup (v1 memory.oom_control, v2 memory.events).
    public func oomKillCount() -> Int64? {
        switch hierarchy.mode {
        case .v1:
            guard let d = dir("memory"), let text = try? FileSystem.readString(d + "/memory.oom_control") else { return nil }
            return Self.value("oom_kill", in: text)
        case .v2(let root):
            guard let text = try? FileSystem.readString(root + "/" + relative + "/memory.events") else { return nil }
            return Self.value("oom_kill", in: text)
        }
    }

    /// Kills what is left inside, then removes the directories. Missing directories are fine.
    /// The parents `berth/<namespace>` stay for the namespace's next container: creating and
    /// removing them with every task cost a run a dozen cgroup mkdirs and rmdirs.
    public func destroy() throws(BerthError) {
        // Usually the task is gone and the directories are empty: rmdir alone does it (it fails
        // with EBUSY while a process is inside, and then the slow path below kills them first).
        if directories.allSatisfy({ rmdir($0) == 0 || errno == ENOENT }) { return }
        guard exists else { return }
        if isFrozen { try? setFrozen(false) }
        let deadline = Date().addingTimeInterval(10)
        var left = pids()
        while !left.isEmpty {
            for p in left { kill(p, SIGKILL) }
            if Date() > deadline { throw .unavailable("cgroup \(relative): processes \(left) did not die") }
            usleep(2000)
            left = pids()
        }
        for d in directories {
            var tries = 0
            while rmdir(d) != 0 && errno != ENOENT {
                // The kernel may still be tearing a just-killed task down.
                tries += 1
                if tries > 500 { throw .system("rmdir", d) }
                usleep(2000)
            }
        }
    }

    /// One key of a `key value` file: every task's exit reads the OOM count, and a
    /// dictionary of all of them costs a fresh process its first use.
    static func value(_ key: String, in text: String) -> Int64? {
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == key { return Int64(f[1]) }
        }
        return nil
    }

    /// `key value` lines (memory.oom_control, memory.events, cpu.stat, cgroup.events).
    static func keyed(_ text: String) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let v = Int64(f[1]) { out[String(f[0])] = v }
        }
        return out
    }

    /// mkdir -p that tolerates a concurrent cleanup removing a parent between steps.
    static func makeDirectories(_ path: String) throws(BerthError) {
        var attempt = 0
        while true {
            do throws(BerthError) {
                try FileSystem.makeDirectories(path, mode: 0o755)
                return
            } catch {
                attempt += 1
                if attempt > 5 || error.code != .notFound { throw error }
            }
        }
    }

    /// Writes a control file. O_CREAT only matters on a test tree: cgroupfs files always exist.
    static func write(_ path: String, _ value: String) throws(BerthError) { try write(path, each: [value]) }

    /// Writes each value to a control file with a write(2) of its own (on a test tree, where
    /// each write appends, the file ends up holding them all).
    static func write(_ path: String, each values: [String]) throws(BerthError) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | (isCgroupFS(path) ? 0 : O_CREAT), 0o644)
        guard fd >= 0 else { throw .system("open", path) }
        defer { close(fd) }
        for value in values {
            let bytes = Array(value.utf8)
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n == bytes.count else { throw .system("write \(value) to", path) }
        }
    }

    static func isCgroupFS(_ path: String) -> Bool {
        let magic = berth_fs_magic(FileSystem.parentDirectory(path))
        // CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC
        return magic == 0x27e0eb || magic == 0x63677270
    }
}

extension Spec.Resources.DeviceRule {
    /// The rule as a v1 devices.allow or devices.deny line: `c 1:3 rwm`, or `a` for every device.
    var v1Entry: String {
        guard let type, type != "a" else { return "a" }
        return "\(type) \(major.map(String.init) ?? "*"):\(minor.map(String.init) ?? "*") \(access ?? "rwm")"
    }
}
