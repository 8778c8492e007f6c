import BerthBase

/// Linux capability names (capabilities(7)) and Docker's default set.
public enum Capability {
    /// Every capability the kernel defines, in number order (CAP_CHOWN = 0).
    public static let all: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Docker's 14 default capabilities (moby oci/caps/defaults.go).
    public static let dockerDefault: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    /// `chown`, `CHOWN`, `cap_chown` -> `CAP_CHOWN`; `ALL` stays `ALL`. Unknown names are an error.
    public static func normalize(_ name: String) throws(BerthError) -> String {
        let up = name.uppercased()
        if up == "ALL" { return up }
        let full = up.hasPrefix("CAP_") ? up : "CAP_" + up
        guard all.contains(full) else { throw .invalidArgument("unknown capability \(name.debugDescription)") }
        return full
    }

    /// Docker's rule: start from the defaults (or all when privileged), drop, then add;
    /// `ALL` in either list means every capability.
    public static func effective(privileged: Bool, add: [String], drop: [String]) throws(BerthError) -> [String] {
        var adds: [String] = [], drops: [String] = []
        for a in add { adds.append(try normalize(a)) }
        for d in drop { drops.append(try normalize(d)) }
        var set = privileged ? all : dockerDefault
        if drops.contains("ALL") { set = [] } else { set.removeAll(where: drops.contains) }
        if adds.contains("ALL") { set = all } else { for a in adds where !set.contains(a) { set.append(a) } }
        return all.filter(set.contains)
    }
}
