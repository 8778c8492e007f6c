import BerthOCI
import BerthCore
import Foundation
import Testing
@testable import BerthRuntime

@Suite struct SpecGeneratorTests {
    let image = ImageConfig.Config(User: nil, Env: ["PATH=/custom/bin", "A=1"], Entrypoint: ["/entry"], Cmd: ["default"], WorkingDir: "/work")

    func spec(_ o: ContainerOptions = ContainerOptions(), image: ImageConfig.Config? = nil, id: String = "web") throws -> Spec {
        try SpecGenerator.generate(id: id, namespace: "default", image: image ?? self.image, options: o)
    }

    @Test func dockerDefaults() throws {
        let s = try spec()
        #expect(s.process?.args == ["/entry", "default"])
        #expect(s.process?.cwd == "/work")
        #expect(s.hostname == "web")
        #expect(s.process?.env?.contains("PATH=/custom/bin") == true)
        #expect(s.process?.env?.contains("HOSTNAME=web") == true)
        #expect(s.process?.noNewPrivileges == true)
        #expect(s.process?.rlimits == [.init(type: "RLIMIT_NOFILE", hard: 1_048_576, soft: 1_048_576)])
        #expect(Set(s.linux?.namespaces?.map(\.type) ?? []) == ["pid", "network", "ipc", "uts", "mount", "cgroup"])
        #expect(s.process?.capabilities?.bounding?.count == 14)
        #expect(s.process?.capabilities?.effective?.contains("CAP_CHOWN") == true)
        #expect(s.process?.capabilities?.effective?.contains("CAP_SYS_ADMIN") == false)
        #expect(s.linux?.maskedPaths?.contains("/proc/kcore") == true)
        #expect(s.linux?.readonlyPaths?.contains("/proc/sys") == true)
        #expect(s.linux?.cgroupsPath == "berth/default/web")
        let dests = s.mounts?.map(\.destination) ?? []
        #expect(dests == ["/proc", "/dev", "/dev/pts", "/sys", "/dev/mqueue", "/dev/shm"])
        #expect(s.mounts?.first { $0.destination == "/sys" }?.options?.contains("ro") == true)
        #expect(s.mounts?.first { $0.destination == "/dev/pts" }?.options?.contains("newinstance") == true)
        #expect(s.linux?.seccomp?.defaultAction == "SCMP_ACT_ERRNO")
        #expect(s.linux?.seccomp?.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        // Docker's device rules and no limits.
        #expect(s.linux?.resources == Spec.Resources(devices: SpecGenerator.defaultDeviceRules))
        #expect(s.linux?.resources?.devices?.first == .init(allow: false, access: "rwm"))
        #expect(s.linux?.resources?.devices?.map(\.v1Entry) == [
            "a", "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
            "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
        ])
        #expect(s.linux?.devices == SpecGenerator.defaultDevices)
        #expect(s.root == Spec.Root(path: "rootfs", readonly: false))
    }

    @Test func commandOverridesCmdAndEntrypointDropsCmd() throws {
        var o = ContainerOptions()
        o.command = ["x", "y"]
        #expect(try spec(o).process?.args == ["/entry", "x", "y"])
        o = ContainerOptions()
        o.entrypoint = ["/other"]
        #expect(try spec(o).process?.args == ["/other"])
    }

    @Test func noCommandIsAnError() {
        #expect(throws: BerthError.self) { try spec(image: ImageConfig.Config()) }
    }

    @Test func envAndDefaultPath() throws {
        var o = ContainerOptions()
        o.env = ["A=2", "B=3"]
        o.terminal = true
        let env = try spec(o).process?.env ?? []
        #expect(env.contains("A=2") && !env.contains("A=1") && env.contains("B=3") && env.contains("TERM=xterm"))
        let bare = try spec(image: ImageConfig.Config(Cmd: ["sh"])).process?.env ?? []
        #expect(bare.first == SpecGenerator.defaultPath)
    }

    @Test func userIsNumericNowOrResolvedLater() throws {
        var o = ContainerOptions()
        o.user = "1000:1000"
        var s = try spec(o)
        #expect(s.process?.user == Spec.User(uid: 1000, gid: 1000))
        o.user = "app"
        s = try spec(o)
        #expect(s.annotations?[SpecGenerator.userAnnotation] == "app")
    }

    @Test func privilegedHostNetReadOnlyAndLimits() throws {
        var o = ContainerOptions()
        o.privileged = true
        o.hostNetwork = true
        o.readOnly = true
        o.memory = 64 << 20
        o.pidsLimit = 10
        o.cpu = try OptionParsing.cpus("1.5")
        let s = try spec(o)
        #expect(s.process?.capabilities?.bounding?.count == Capability.all.count)
        #expect(s.linux?.seccomp == nil && s.linux?.maskedPaths == nil && s.linux?.readonlyPaths == nil)
        #expect(s.process?.noNewPrivileges == false)
        #expect(s.linux?.namespaces?.contains { $0.type == "network" } == false)
        #expect(s.root?.readonly == true)
        #expect(s.linux?.resources?.memory?.limit == 64 << 20)
        #expect(s.linux?.resources?.pids?.limit == 10)
        #expect(s.linux?.resources?.cpu == .init(quota: 150_000, period: 100_000))
        #expect(s.linux?.resources?.devices == [.init(allow: true, access: "rwm")])
    }

    @Test func deviceOptionAddsTheNodeAndItsRule() throws {
        var o = ContainerOptions()
        o.devices = [try OptionParsing.device("/dev/null:/dev/n:rw")]
        let s = try spec(o)
        let node = Spec.Device(type: "c", path: "/dev/n", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0)
        #expect(s.linux?.devices == SpecGenerator.defaultDevices + [node])
        #expect(s.linux?.resources?.devices?.last == .init(allow: true, type: "c", major: 1, minor: 3, access: "rw"))
        #expect(s.linux?.resources?.devices?.dropLast() == SpecGenerator.defaultDeviceRules[...])
        let conf = try ShimConfig.forInit(spec: s, id: "web", namespace: "default", rootfs: "/r", cgroupProcs: [])
        #expect(conf.values("device") == ["c 1 3 666 0 0 /dev/n"])
    }

    @Test func capAddAndDrop() throws {
        var o = ContainerOptions()
        o.capAdd = ["net_admin"]
        o.capDrop = ["CHOWN"]
        let caps = try spec(o).process?.capabilities?.effective ?? []
        #expect(caps.contains("CAP_NET_ADMIN") && !caps.contains("CAP_CHOWN") && caps.count == 14)
        o.capDrop = ["ALL"]
        o.capAdd = ["KILL"]
        #expect(try spec(o).process?.capabilities?.effective == ["CAP_KILL"])
        o.capAdd = ["NOPE"]
        #expect(throws: BerthError.self) { try spec(o) }
    }

    @Test func unconfinedSeccomp() throws {
        var o = ContainerOptions()
        o.seccomp = .unconfined
        #expect(try spec(o).linux?.seccomp == nil)
    }

    @Test func invalidIDAndHostname() {
        #expect(throws: BerthError.self) { try spec(id: "bad id") }
        #expect(throws: BerthError.self) { try spec(id: "-x") }
        var o = ContainerOptions()
        o.hostname = "has space"
        #expect(throws: BerthError.self) { try spec(o) }
    }
}

@Suite struct SeccompProfileTests {
    func names(_ s: Spec.Seccomp) -> Set<String> {
        Set((s.syscalls ?? []).filter { $0.action == "SCMP_ACT_ALLOW" && $0.args == nil }.flatMap(\.names))
    }

    @Test func defaultProfileForDefaultCaps() {
        let s = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: Capability.dockerDefault, kernel: (6, 1))
        let allowed = names(s)
        #expect(allowed.contains("read") && allowed.contains("arch_prctl") && allowed.contains("ptrace"))
        for denied in ["unshare", "mount", "setns", "keyctl", "add_key", "reboot", "bpf", "clone3", "open_by_handle_at"] {
            #expect(!allowed.contains(denied), "\(denied) must not be allowed")
        }
        #expect(allowed.contains("chroot"))  // CAP_SYS_CHROOT is a default capability
        let clone = s.syscalls?.first { $0.names == ["clone"] }
        #expect(clone?.args == [.init(index: 0, value: 2_114_060_288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")])
        #expect(s.syscalls?.first { $0.names == ["clone3"] }?.errnoRet == 38)
        #expect(s.syscalls?.filter { $0.names == ["personality"] }.count == 5)
        #expect(s.syscalls?.first { $0.names == ["socket"] }?.args?.first?.op == "SCMP_CMP_NE")
    }

    @Test func sysAdminUnlocksNamespaceSyscalls() {
        let s = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: Capability.dockerDefault + ["CAP_SYS_ADMIN"], kernel: (6, 1))
        #expect(names(s).contains("unshare") && names(s).contains("mount") && names(s).contains("clone"))
        #expect(s.syscalls?.contains { $0.names == ["clone3"] && $0.action == "SCMP_ACT_ERRNO" } == false)
    }

    @Test func archAndKernelConditions() {
        let arm = SeccompProfile.dockerDefault.resolve(arch: "arm64", caps: [], kernel: (6, 1))
        #expect(!names(arm).contains("arch_prctl") && names(arm).contains("set_tls"))
        #expect(arm.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        let old = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: [], kernel: (4, 4))
        #expect(!names(old).contains("ptrace"))
    }

    @Test func loadsDockerJSON() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seccomp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("p.json").path
        try Data("""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
         {"name":"chmod","action":"SCMP_ACT_ERRNO","includes":{"arches":["arm64"]}}]}
        """.utf8).write(to: URL(fileURLWithPath: good))
        let s = try SeccompProfile.load(path: good).resolve(arch: "amd64", caps: [])
        #expect(s.defaultAction == "SCMP_ACT_ALLOW")
        #expect(s.syscalls == [.init(names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 13)])
        let bad = dir.appendingPathComponent("bad.json").path
        try Data("{\"syscalls\":[]}".utf8).write(to: URL(fileURLWithPath: bad))
        #expect { try SeccompProfile.load(path: bad) } throws: { ($0 as? BerthError)?.message.contains("bad.json") == true }
    }
}
