import BerthBase
#if canImport(Glibc)
import Glibc
#endif

/// What berth itself may grant. Inside another container or a restricted sandbox berth lacks
/// some capabilities (its bounding set is smaller) and cannot raise hard rlimits without
/// CAP_SYS_RESOURCE; a container asking for more gets berth's own ceiling instead of failing
/// to start, as rootless runtimes do.
enum HostCeilings {
    /// This process's /proc/self/status, read once: its capability sets do not change, and
    /// every task start asks for two of them.
    private static let status: [UInt8]? = try? FileSystem.readFile("/proc/self/status")

    /// A `Cap...:` mask of /proc/self/status, parsed by hand (this runs at every task start).
    static func capabilityMask(_ field: String) -> UInt64? {
        guard let status else { return nil }
        let key = Array((field + ":").utf8)
        var lineStart = 0
        while lineStart < status.count {
            let lineEnd = status[lineStart...].firstIndex(of: 0x0A) ?? status.count
            if lineEnd - lineStart > key.count, status[lineStart..<lineStart + key.count].elementsEqual(key) {
                let hex = status[(lineStart + key.count)..<lineEnd].filter { $0 != 0x20 && $0 != 0x09 }
                return UInt64(String(decoding: Array(hex), as: UTF8.self), radix: 16)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    /// Capabilities outside berth's bounding set are dropped from every set of the process.
    static func clamp(_ caps: Spec.Capabilities) -> Spec.Capabilities {
        guard let bounding = capabilityMask("CapBnd") else { return caps }
        func keep(_ list: [String]?) -> [String]? {
            list?.filter { name in
                guard let bit = Capability.all.firstIndex(of: name) else { return false }
                return bit >= 64 || bounding & (1 << UInt64(bit)) != 0
            }
        }
        return Spec.Capabilities(bounding: keep(caps.bounding), effective: keep(caps.effective), inheritable: keep(caps.inheritable),
                                 permitted: keep(caps.permitted), ambient: keep(caps.ambient))
    }

    /// The resource a spec's rlimit type names, for those berth clamps (a switch: a dictionary
    /// built at every start for one entry cost more than the look-up).
    static func resource(_ type: String) -> Int32? {
        switch type {
        case "RLIMIT_NOFILE": return Int32(RLIMIT_NOFILE.rawValue)
        default: return nil
        }
    }

    /// Hard limits above berth's own are lowered to them unless berth holds CAP_SYS_RESOURCE.
    static func clamp(_ limits: [Spec.Rlimit]) -> [Spec.Rlimit] {
        if let eff = capabilityMask("CapEff"), eff & (1 << 24) != 0 { return limits }
        return limits.map { l in
            guard let res = resource(l.type) else { return l }
            var cur = rlimit()
            guard getrlimit(__rlimit_resource_t(UInt32(res)), &cur) == 0, cur.rlim_max != rlim_t.max else { return l }
            var out = l
            out.hard = min(l.hard, UInt64(cur.rlim_max))
            out.soft = min(l.soft, out.hard)
            return out
        }
    }

    /// The process as this host can run it.
    static func adjust(_ p: inout Spec.Process) {
        if let limits = p.rlimits { p.rlimits = clamp(limits) }
        if let caps = p.capabilities { p.capabilities = clamp(caps) }
    }
}
