@testable import BerthRuntime
import Foundation
import Testing

@Suite struct SpecJSONTests {
    /// Every field of every type set, including the ones berth itself never fills in.
    static var everyField: Spec {
        var s = Spec()
        s.hostname = "h\"ost/\u{1}"
        s.annotations = ["b": "2", "a": "1", "berth.io/user": "1000:1000"]
        s.root = Spec.Root(path: "/run/x/rootfs", readonly: true)
        s.mounts = [Spec.Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec"]),
                    Spec.Mount(destination: "/data", type: nil, source: nil)]
        var p = Spec.Process(user: Spec.User(uid: 1000, gid: 100, additionalGids: [5, 6]), args: ["sh", "-c", "echo \"hi\"\n"],
                             env: ["PATH=/bin", "X=é"], cwd: "/work")
        p.user.umask = 0o22
        p.terminal = true
        p.capabilities = Spec.Capabilities(bounding: ["CAP_CHOWN"], effective: ["CAP_KILL"], inheritable: [],
                                           permitted: ["CAP_CHOWN", "CAP_KILL"], ambient: ["CAP_NET_RAW"])
        p.rlimits = [Spec.Rlimit(type: "RLIMIT_NOFILE", hard: UInt64.max, soft: 1024)]
        p.noNewPrivileges = true
        p.oomScoreAdj = -500
        s.process = p
        var l = Spec.Linux()
        l.namespaces = [Spec.Namespace(type: "pid"), Spec.Namespace(type: "network", path: "/proc/1/ns/net")]
        l.devices = [Spec.Device(type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0)]
        l.cgroupsPath = "/berth/default/x"
        l.resources = Spec.Resources(devices: [.init(allow: false, access: "rwm"), .init(allow: true, type: "c", major: 136, access: "rw")],
                                     memory: .init(limit: 1 << 30, swap: 1 << 30), cpu: .init(shares: 512, quota: -1, period: 100_000),
                                     pids: .init(limit: 64))
        l.seccomp = Spec.Seccomp(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, architectures: ["SCMP_ARCH_X86_64"], syscalls: [
            .init(names: ["read", "write"], action: "SCMP_ACT_ALLOW"),
            .init(names: ["personality"], action: "SCMP_ACT_ALLOW", errnoRet: 38,
                  args: [.init(index: 0, value: 0xffff_ffff, valueTwo: 8, op: "SCMP_CMP_MASKED_EQ"), .init(index: 1, value: 0, op: "SCMP_CMP_EQ")]),
        ])
        l.maskedPaths = ["/proc/kcore"]
        l.readonlyPaths = ["/proc/sys"]
        s.linux = l
        return s
    }

    static var specs: [Spec] {
        get throws {
            var o = ContainerOptions()
            o.command = ["/bin/true"]
            return [everyField, Spec(), try SpecGenerator.generate(id: "c1", namespace: "default", image: nil, options: o)]
        }
    }

    @Test func sameBytesAsJSONEncoder() throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for spec in try Self.specs {
            let ours = String(decoding: spec.jsonBytes(), as: UTF8.self)
            let foundation = String(decoding: try enc.encode(spec), as: UTF8.self)
            #expect(ours == foundation)
        }
    }

    @Test func decodesBackToTheSameSpec() throws {
        for spec in try Self.specs {
            #expect(try JSONDecoder().decode(Spec.self, from: Data(spec.jsonBytes())) == spec)
        }
    }
}
