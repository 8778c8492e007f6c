import BerthBase

/// shim.conf: the spec translated into berth-shim's NUL-separated `key\0value\0` records
/// (docs/shim-protocol.md). Also the payload of an `exec` request.
public struct ShimConfig: Sendable, Equatable {
    /// The records as shim.conf holds them, built as they are added: a task's start adds a few
    /// hundred (one per syscall of Docker's seccomp profile), and keeping them as pairs of
    /// strings to encode afterwards was a measurable part of every start (bench/HISTORY.md).
    public private(set) var encoded: [UInt8] = []
    /// The first record whose value holds a NUL byte (which would end it early), for `check`.
    private var invalid: (key: String, value: String)?

    public init() {}

    public mutating func add(_ key: String, _ value: String) {
        append(key)
        append(value, of: key)
        encoded.append(0)
    }

    /// A record whose value is `first`, a space and `rest`, without joining them first.
    mutating func add(_ key: String, _ first: String, _ rest: String) {
        append(key)
        append(first, of: key)
        encoded.append(0x20)
        append(rest, of: key)
        encoded.append(0)
    }

    private mutating func append(_ key: String) {
        encoded.append(contentsOf: key.utf8)
        encoded.append(0)
    }

    private mutating func append(_ value: String, of key: String) {
        let start = encoded.count
        encoded.append(contentsOf: value.utf8)
        if invalid == nil, encoded[start...].contains(0) { invalid = (key, value) }
    }

    public var records: [(key: String, value: String)] {
        let parts = encoded.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        return stride(from: 0, to: parts.count - 1, by: 2).map { (parts[$0], parts[$0 + 1]) }
    }

    public func values(_ key: String) -> [String] { records.filter { $0.key == key }.map(\.value) }

    public static func == (a: ShimConfig, b: ShimConfig) -> Bool { a.encoded == b.encoded }

    /// The init's configuration. Fails on a spec value the shim cannot carry (a NUL in an argument).
    /// `seccompCache`: a directory where the shim keeps compiled seccomp filters for reuse.
    public static func forInit(spec: Spec, id: String, rootfs: String, cgroupProcs: [String],
                               seccompCache: String? = nil, logMax: Int = 1 << 20) throws(BerthError) -> ShimConfig {
        guard let process = spec.process else { throw .invalidArgument("spec of \(id) has no process") }
        var c = ShimConfig()
        c.add("rootfs", rootfs)
        c.add("readonly-rootfs", spec.root?.readonly == true ? "1" : "0")
        if let h = spec.hostname { c.add("hostname", h) }
        for ns in spec.linux?.namespaces ?? [] where ns.path == nil {
            c.add("namespace-new", ns.type)
        }
        for p in cgroupProcs { c.add("cgroup-procs", p) }
        for m in spec.mounts ?? [] {
            c.add("mount", [m.type ?? "none", m.source ?? "none", m.destination, (m.options ?? []).joined(separator: ",")].joined(separator: "\t"))
        }
        // Nodes beyond the standard ones the shim makes in every /dev (--device).
        for d in spec.linux?.devices ?? [] where !SpecGenerator.defaultDevices.contains(d) {
            c.add("device", "\(d.type) \(d.major) \(d.minor) \(String(d.fileMode ?? 0o600, radix: 8)) \(d.uid ?? 0) \(d.gid ?? 0) \(d.path)")
        }
        for p in spec.linux?.maskedPaths ?? [] { c.add("masked", p) }
        for p in spec.linux?.readonlyPaths ?? [] { c.add("readonly", p) }
        for r in process.rlimits ?? [] { c.add("rlimit", "\(r.type) \(r.soft) \(r.hard)") }
        c.addProcess(process, seccomp: spec.linux?.seccomp)
        if let seccompCache { c.add("seccomp-cache", seccompCache) }
        c.add("log-max", String(logMax))
        try c.check()
        return c
    }

    /// An `exec` request: the process joins the init's namespaces and cgroup with the same security.
    public static func forExec(execID: String, process: Spec.Process, seccomp: Spec.Seccomp?) throws(BerthError) -> ShimConfig {
        var c = ShimConfig()
        c.add("exec-id", execID)
        c.addProcess(process, seccomp: seccomp)
        try c.check()
        return c
    }

    mutating func addProcess(_ p: Spec.Process, seccomp: Spec.Seccomp?) {
        for a in p.args { add("arg", a) }
        for e in p.env ?? [] { add("env", e) }
        add("cwd", p.cwd)
        add("uid", String(p.user.uid))
        add("gid", String(p.user.gid))
        for g in p.user.additionalGids ?? [] { add("additional-gid", String(g)) }
        add("terminal", p.terminal == true ? "1" : "0")
        for cap in p.capabilities?.bounding ?? [] { add("cap", cap) }
        add("no-new-privs", p.noNewPrivileges == true ? "1" : "0")
        if let s = seccomp { addSeccomp(s) }
    }

    mutating func addSeccomp(_ s: Spec.Seccomp) {
        add("seccomp-default", s.defaultAction)
        add("seccomp-default-errno", String(s.defaultErrnoRet ?? 1))
        for rule in s.syscalls ?? [] {
            var tail = rule.action
            if rule.action == "SCMP_ACT_ERRNO" || rule.action == "SCMP_ACT_TRACE" { tail += " \(rule.errnoRet ?? 1)" }
            for a in rule.args ?? [] {
                let op = a.op.hasPrefix("SCMP_CMP_") ? String(a.op.dropFirst(9)) : a.op
                tail += " |\(a.index) \(op) \(a.value) \(a.valueTwo ?? 0)"
            }
            for name in rule.names { add("seccomp-syscall", name, tail) }
        }
    }

    func check() throws(BerthError) {
        if let (k, v) = invalid { throw .invalidArgument("invalid \(k) \(v.debugDescription): contains a NUL byte") }
    }

    /// Parses the encoded form (used by tests and by `tasks info`).
    public static func decode(_ bytes: [UInt8]) -> ShimConfig {
        var c = ShimConfig()
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var i = 0
        while i + 1 < parts.count { c.add(parts[i], parts[i + 1]); i += 2 }
        return c
    }
}
