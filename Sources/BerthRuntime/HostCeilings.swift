import BerthBase
#if canImport(Glibc)
import Glibc
#endif

/// What berth itself may grant. Inside another container or a restricted sandbox berth lacks
/// some capabilities (its bounding set is smaller) and cannot raise hard rlimits without
/// CAP_SYS_RESOURCE; a container asking for more gets berth's own ceiling instead of failing
/// to start, as rootless runtimes do.
enum HostCeilings {
    /// A `Cap...:` mask of this process's /proc/self/status.
    static func capabilityMask(_ field: String) -> UInt64? { ProcessStatus.number(field, radix: 16) }

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
