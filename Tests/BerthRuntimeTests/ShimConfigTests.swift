import BerthBase
import BerthTestSupport
@testable import BerthCore
import Foundation
import Testing
@testable import BerthRuntime

@Suite struct ShimConfigTests {
    @Test func translatesTheSpec() throws {
        var o = ContainerOptions()
        o.command = ["sh", "-c", "echo hi"]
        o.terminal = true
        o.user = "5:6"
        let spec = try SpecGenerator.generate(id: "c1", namespace: "default", image: nil, options: o)
        let conf = try ShimConfig.forInit(spec: spec, id: "c1", rootfs: "/b/rootfs",
                                          cgroupProcs: ["/sys/fs/cgroup/memory/berth/default/c1/cgroup.procs"])
        #expect(conf.values("arg") == ["sh", "-c", "echo hi"])
        #expect(conf.values("terminal") == ["1"])
        #expect(conf.values("uid") == ["5"] && conf.values("gid") == ["6"])
        #expect(conf.values("hostname") == ["c1"])
        #expect(Set(conf.values("namespace-new")) == ["pid", "network", "ipc", "uts", "mount", "cgroup"])
        #expect(conf.values("mount").first == "proc\tproc\t/proc\tnosuid,noexec,nodev")
        #expect(conf.values("masked").contains("/proc/kcore"))
        #expect(conf.values("readonly").contains("/proc/sys"))
        #expect(conf.values("cap").count == 14)
        #expect(conf.values("no-new-privs") == ["1"])
        #expect(conf.values("seccomp-default") == ["SCMP_ACT_ERRNO"])
        #expect(conf.values("seccomp-default-errno") == ["1"])
        let rules = conf.values("seccomp-syscall")
        #expect(rules.filter { $0.hasPrefix("socket ") } == [
            "socket SCMP_ACT_ALLOW |0 LT 38 0", "socket SCMP_ACT_ALLOW |0 EQ 39 0", "socket SCMP_ACT_ALLOW |0 GT 40 0",
        ])
        #expect(!rules.contains { $0.hasPrefix("io_uring_") })
        #expect(rules.contains("clone SCMP_ACT_ALLOW |0 MASKED_EQ 2114060288 0"))
        #expect(rules.contains("clone3 SCMP_ACT_ERRNO 38"))
        #expect(!rules.contains { $0.hasPrefix("unshare ") })
        #expect(conf.values("rlimit") == ["RLIMIT_NOFILE 1048576 1048576"])
        #expect(ShimConfig.decode(conf.encoded) == conf)
    }

    @Test func rejectsNulBytes() throws {
        var o = ContainerOptions()
        o.command = ["echo", "a\u{0}b"]
        let spec = try SpecGenerator.generate(id: "c1", namespace: "default", image: nil, options: o)
        #expect(throws: BerthError.self) {
            try ShimConfig.forInit(spec: spec, id: "c1", rootfs: "/r", cgroupProcs: [])
        }
    }
}

@Suite struct ContainerStoreTests {
    @Test func createListGetDeleteAndDuplicates() throws {
        let tmp = try TempRoot("containers")
        defer { tmp.cleanup() }
        let core = try tmp.core()
        let rootfs = tmp.dir
        var o = ContainerOptions()
        o.command = ["true"]
        try core.createContainer(namespace: "default", id: "a", rootfs: .directory(rootfs), options: o, labels: ["k": "v"])
        #expect { try core.createContainer(namespace: "default", id: "a", rootfs: .directory(rootfs), options: o) }
            throws: { ($0 as? BerthError)?.code == .alreadyExists && ($0 as? BerthError)?.message == "container \"a\" already exists" }
        let c = try core.runtime.container(namespace: "default", id: "a")
        #expect(c.snapshotter == Container.hostDirectory && c.snapshotKey == rootfs && c.labels == ["k": "v"])
        #expect(c.spec.process?.args == ["true"])
        #expect(try core.runtime.containers(namespace: "default").map(\.id) == ["a"])
        #expect(try core.runtime.containers(namespace: "other").isEmpty)
        try core.removeContainer(namespace: "default", id: "a")
        #expect(throws: BerthError.self) { try core.runtime.container(namespace: "default", id: "a") }
        #expect { try core.removeContainer(namespace: "default", id: "a") } throws: { ($0 as? BerthError)?.code == .notFound }
        let events = core.eventJournal.readAll().map(\.topic)
        #expect(events == [Topic.containerCreate, Topic.containerDelete])
    }

    @Test func badRootfsAndUnknownImageLeaveNothing() throws {
        let tmp = try TempRoot("containers-bad")
        defer { tmp.cleanup() }
        let core = try tmp.core()
        #expect(throws: BerthError.self) { try core.createContainer(namespace: "default", id: "a", rootfs: .directory("/no/such/dir")) }
        #expect { try core.createContainer(namespace: "default", id: "b", rootfs: .image("nosuch:latest")) }
            throws: { ($0 as? BerthError)?.message.contains("nosuch") == true }
        #expect(try core.runtime.containers(namespace: "default").isEmpty)
    }
}
