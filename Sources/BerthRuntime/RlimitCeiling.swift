import BerthBase
#if canImport(Glibc)
import Glibc
#endif

/// Raising a hard rlimit needs CAP_SYS_RESOURCE. Where berth itself lacks it (inside another
/// container or a restricted sandbox), the spec's limits are lowered to berth's own hard limits
/// so the container still starts, as rootless runtimes do.
enum RlimitCeiling {
    static let resources: [String: Int32] = ["RLIMIT_NOFILE": Int32(RLIMIT_NOFILE.rawValue)]

    static var hasSysResource: Bool {
        guard let status = try? FileSystem.readString("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << 24) != 0
    }

    static func clamp(_ limits: [Spec.Rlimit]) -> [Spec.Rlimit] {
        if hasSysResource { return limits }
        return limits.map { l in
            guard let res = resources[l.type] else { return l }
            var cur = rlimit()
            guard getrlimit(__rlimit_resource_t(UInt32(res)), &cur) == 0, cur.rlim_max != rlim_t.max else { return l }
            var out = l
            out.hard = min(l.hard, UInt64(cur.rlim_max))
            out.soft = min(l.soft, out.hard)
            return out
        }
    }
}
