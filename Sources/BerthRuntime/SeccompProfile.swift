import BerthBase
import Foundation

/// A seccomp profile in Docker's JSON format (moby profiles/seccomp): rules that apply only
/// for some architectures, capabilities or kernels. `resolve` turns it into the OCI
/// `linux.seccomp` for one architecture and capability set, as Docker does at container start.
public struct SeccompProfile: Codable, Sendable, Equatable {
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    public var architectures: [String]?
    public var archMap: [ArchMap]?
    public var syscalls: [Rule]?

    public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, archMap: [ArchMap]? = nil, syscalls: [Rule]) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.archMap = archMap
        self.syscalls = syscalls
    }

    public struct ArchMap: Codable, Sendable, Equatable {
        public var architecture: String
        public var subArchitectures: [String]?
    }

    public struct Rule: Codable, Sendable, Equatable {
        public var names: [String]?
        /// Old profiles name one syscall per rule.
        public var name: String?
        public var action: String
        public var errnoRet: UInt32?
        public var args: [Spec.Seccomp.Arg]?
        public var includes: Filter?
        public var excludes: Filter?

        public init(_ names: [String], _ action: String = "SCMP_ACT_ALLOW", errnoRet: UInt32? = nil,
                    args: [Spec.Seccomp.Arg]? = nil, includes: Filter? = nil, excludes: Filter? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.includes = includes
            self.excludes = excludes
        }
    }

    /// Conditions on a rule: Go architecture names, capabilities, a minimum kernel "major.minor".
    public struct Filter: Codable, Sendable, Equatable {
        public var arches: [String]?
        public var caps: [String]?
        public var minKernel: String?
        public init(arches: [String]? = nil, caps: [String]? = nil, minKernel: String? = nil) {
            self.arches = arches
            self.caps = caps
            self.minKernel = minKernel
        }
    }

    /// Reads a Docker-format profile file, naming the file in errors.
    public static func load(path: String) throws(BerthError) -> SeccompProfile {
        let bytes = try FileSystem.readFile(path)
        do {
            return try JSONDecoder().decode(SeccompProfile.self, from: Data(bytes))
        } catch {
            throw .invalidArgument("seccomp profile \(path): \(Self.describe(error))")
        }
    }

    /// The rules that apply to `arch` (Go name, e.g. amd64) with capabilities `caps` on a
    /// kernel of version `kernel`, merged as the OCI spec wants them.
    public func resolve(arch: String = SeccompProfile.hostArch, caps: [String], kernel: (Int, Int) = SeccompProfile.hostKernel) -> Spec.Seccomp {
        let capSet = Set(caps)
        var out: [Spec.Seccomp.Syscall] = []
        for rule in syscalls ?? [] {
            if let inc = rule.includes {
                if let a = inc.arches, !a.isEmpty, !a.contains(arch) { continue }
                if let c = inc.caps, !c.isEmpty, !c.allSatisfy(capSet.contains) { continue }
                if let k = inc.minKernel, let want = Self.parseKernel(k), kernel < want { continue }
            }
            if let exc = rule.excludes {
                if let a = exc.arches, a.contains(arch) { continue }
                if let c = exc.caps, c.contains(where: capSet.contains) { continue }
                if let k = exc.minKernel, let want = Self.parseKernel(k), kernel >= want { continue }
            }
            let names = rule.names ?? rule.name.map { [$0] } ?? []
            if names.isEmpty { continue }
            out.append(.init(names: names, action: rule.action, errnoRet: rule.errnoRet, args: rule.args?.isEmpty == true ? nil : rule.args))
        }
        return Spec.Seccomp(defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet,
                            architectures: architectures(for: arch), syscalls: out)
    }

    func architectures(for arch: String) -> [String]? {
        if let architectures, !architectures.isEmpty { return architectures }
        guard let native = Self.scmpArch[arch], let entry = archMap?.first(where: { $0.architecture == native }) else { return nil }
        return [entry.architecture] + (entry.subArchitectures ?? [])
    }

    static let scmpArch = ["amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64", "s390x": "SCMP_ARCH_S390X",
                           "riscv64": "SCMP_ARCH_RISCV64", "ppc64le": "SCMP_ARCH_PPC64LE"]

    public static var hostArch: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #else
        return "unknown"
        #endif
    }

    public static var hostKernel: (Int, Int) {
        var u = utsname()
        uname(&u)
        let release = withUnsafePointer(to: u.release) { $0.withMemoryRebound(to: CChar.self, capacity: 65) { String(cString: $0) } }
        return parseKernel(release) ?? (0, 0)
    }

    static func parseKernel(_ s: String) -> (Int, Int)? {
        // By bytes: Character.isNumber would load Unicode's property tables for "6.18.44-...".
        let parts = s.utf8.split(whereSeparator: { $0 < 48 || $0 > 57 }).prefix(2).compactMap { Int(String(decoding: $0, as: UTF8.self)) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, _): return "missing field \(k.stringValue.debugDescription)"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "bad value at \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case DecodingError.dataCorrupted(let c): return "invalid JSON: \(c.debugDescription)"
        default: return "\(error)"
        }
    }
}
