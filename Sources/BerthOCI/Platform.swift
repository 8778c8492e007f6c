import BerthBase
#if canImport(Glibc)
import Glibc
#endif

/// image-spec image-index.md platform object, with containerd's normalisation and matching.
public struct Platform: Codable, Sendable, Hashable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(architecture: String, os: String, variant: String? = nil, osVersion: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.osVersion = osVersion
    }

    /// `os/arch[/variant]`, as containerd formats platforms.
    public var description: String {
        [os, architecture, variant].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: "/")
    }

    /// Parses `os/arch[/variant]`, `arch` or `os` the way containerd's platforms.Parse does.
    public static func parse(_ s: String) throws(BerthError) -> Platform {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map { String($0).lowercased() }
        guard !parts.contains(where: \.isEmpty), (1...3).contains(parts.count) else {
            throw .invalidArgument("invalid platform \(s.debugDescription): want os/arch[/variant]")
        }
        let knownOS: Set<String> = ["linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "android", "ios", "plan9", "aix", "dragonfly", "js", "wasip1"]
        var p: Platform
        switch parts.count {
        case 1:
            if knownOS.contains(parts[0]) {
                p = Platform(architecture: host.architecture, os: parts[0], variant: host.variant)
            } else {
                p = Platform(architecture: parts[0], os: host.os)
            }
        case 2:
            guard knownOS.contains(parts[0]) else {
                throw .invalidArgument("invalid platform \(s.debugDescription): unknown operating system \(parts[0].debugDescription)")
            }
            p = Platform(architecture: parts[1], os: parts[0])
        default:
            guard knownOS.contains(parts[0]) else {
                throw .invalidArgument("invalid platform \(s.debugDescription): unknown operating system \(parts[0].debugDescription)")
            }
            p = Platform(architecture: parts[1], os: parts[0], variant: parts[2])
        }
        return p.normalized
    }

    /// containerd's platforms.Normalize: canonical architecture names and default variants.
    public var normalized: Platform {
        var p = self
        p.os = os.lowercased()
        var arch = architecture.lowercased()
        var variant = variant?.lowercased() ?? ""
        switch arch {
        case "i386": arch = "386"; variant = ""
        case "x86_64", "x86-64", "amd64":
            arch = "amd64"
            if variant == "v1" { variant = "" }
        case "aarch64", "arm64":
            arch = "arm64"
            if variant == "8" || variant == "v8" || variant == "v8.0" { variant = "" }
        case "armhf": arch = "arm"; variant = "v7"
        case "armel": arch = "arm"; variant = "v6"
        case "arm":
            switch variant {
            case "", "7": variant = "v7"
            case "5", "6", "8": variant = "v" + variant
            default: break
            }
        default: break
        }
        p.architecture = arch
        p.variant = variant.isEmpty ? nil : variant
        return p
    }

    /// Strict matching as containerd's platforms.OnlyStrict: same os, architecture and
    /// variant after normalisation, with no fallback to compatible architectures.
    public func matchesStrictly(_ other: Platform) -> Bool {
        let a = normalized, b = other.normalized
        return a.os == b.os && a.architecture == b.architecture && (a.variant ?? "") == (b.variant ?? "")
    }

    /// The platform of this host, as containerd's platforms.DefaultSpec.
    public static let host: Platform = {
        var u = utsname()
        uname(&u)
        let machine = withUnsafePointer(to: u.machine) {
            $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) }
        }
        return Platform(architecture: machine, os: "linux").normalized
    }()
}
