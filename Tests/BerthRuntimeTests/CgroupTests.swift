import BerthBase
import BerthCore
import Foundation
import Testing
@testable import BerthRuntime

/// Cgroup paths and control files on fake trees (a plain directory standing in for /sys/fs/cgroup).
@Suite struct CgroupTests {
    func tempTree() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cgfake-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test func detectsV2AndWritesUnifiedFiles() throws {
        let root = try tempTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "cpu memory pids".write(toFile: root + "/cgroup.controllers", atomically: true, encoding: .utf8)
        let h = try CgroupHierarchy.detect(root: root)
        #expect(h.mode == .v2(root: root))
        let cg = h.cgroup(namespace: "ns1", id: "web")
        #expect(cg.directories == [root + "/berth/ns1/web"])
        #expect(cg.procsFiles == [root + "/berth/ns1/web/cgroup.procs"])
        try cg.create(resources: .init(memory: .init(limit: 64 << 20, swap: 64 << 20), cpu: .init(shares: 1024, quota: 50_000, period: 100_000),
                                       pids: .init(limit: 20)))
        let d = root + "/berth/ns1/web"
        #expect(read(d + "/memory.max") == String(64 << 20))
        #expect(read(d + "/memory.swap.max") == "0")
        #expect(read(d + "/cpu.max") == "50000 100000")
        #expect(read(d + "/cpu.weight") == "39")
        #expect(read(d + "/pids.max") == "20")
        #expect(read(root + "/berth/ns1/cgroup.subtree_control") == "+pids")  // last controller written wins on a plain file

        try "frozen 1\npopulated 1\n".write(toFile: d + "/cgroup.events", atomically: true, encoding: .utf8)
        try cg.setFrozen(true)
        #expect(read(d + "/cgroup.freeze") == "1")
        #expect(cg.isFrozen)

        try "usage_usec 1500\nuser_usec 1000\n".write(toFile: d + "/cpu.stat", atomically: true, encoding: .utf8)
        try "4096\n".write(toFile: d + "/memory.current", atomically: true, encoding: .utf8)
        try "8192\n".write(toFile: d + "/memory.peak", atomically: true, encoding: .utf8)
        try "3\n".write(toFile: d + "/pids.current", atomically: true, encoding: .utf8)
        try "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n".write(toFile: d + "/memory.events", atomically: true, encoding: .utf8)
        try "12\n34\n".write(toFile: d + "/cgroup.procs", atomically: true, encoding: .utf8)
        let m = cg.metrics()
        #expect(m.cpuUsageNanos == 1_500_000 && m.memoryCurrent == 4096 && m.memoryPeak == 8192 && m.pidsCurrent == 3)
        #expect(m.pidsLimit == 20 && m.memoryLimit == 64 << 20 && m.oomKills == 1)
        #expect(cg.pids() == [12, 34])
    }

    @Test func detectsV1ControllersIncludingCombinedMounts() throws {
        let root = try tempTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for d in ["memory", "cpu,cpuacct", "pids", "freezer", "devices", "cpuset", "unified", "systemd"] {
            try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        try FileManager.default.createSymbolicLink(atPath: root + "/cpu", withDestinationPath: "cpu,cpuacct")
        let h = try CgroupHierarchy.detect(root: root)
        #expect(h.mode == .v1(controllers: ["memory": root + "/memory", "cpu": root + "/cpu,cpuacct", "cpuacct": root + "/cpu,cpuacct",
                                             "pids": root + "/pids", "freezer": root + "/freezer", "devices": root + "/devices"]))
        let cg = h.cgroup(namespace: "default", id: "db")
        #expect(cg.directories == ["cpu,cpuacct", "devices", "freezer", "memory", "pids"].map { "\(root)/\($0)/berth/default/db" })
        try cg.create(resources: .init(devices: SpecGenerator.defaultDeviceRules, memory: .init(limit: 32 << 20, swap: 32 << 20), cpu: .init(shares: 512, quota: 25_000, period: 100_000),
                                       pids: .init(limit: 5)))
        #expect(read(root + "/memory/berth/default/db/memory.limit_in_bytes") == String(32 << 20))
        #expect(read(root + "/cpu,cpuacct/berth/default/db/cpu.cfs_quota_us") == "25000")
        #expect(read(root + "/cpu,cpuacct/berth/default/db/cpu.cfs_period_us") == "100000")
        #expect(read(root + "/cpu,cpuacct/berth/default/db/cpu.shares") == "512")
        #expect(read(root + "/pids/berth/default/db/pids.max") == "5")
        // Each rule is a write of its own (a plain file appends them).
        #expect(read(root + "/devices/berth/default/db/devices.deny") == "a")
        #expect(read(root + "/devices/berth/default/db/devices.allow") == SpecGenerator.defaultDeviceRules.dropFirst().map(\.v1Entry).joined())
        let mem = root + "/memory/berth/default/db"
        try "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n".write(toFile: mem + "/memory.oom_control", atomically: true, encoding: .utf8)
        try "100\n".write(toFile: mem + "/memory.max_usage_in_bytes", atomically: true, encoding: .utf8)
        try "777\n".write(toFile: root + "/cpu,cpuacct/berth/default/db/cpuacct.usage", atomically: true, encoding: .utf8)
        let m = cg.metrics()
        #expect(m.oomKills == 2 && m.memoryPeak == 100 && m.cpuUsageNanos == 777)
        try "FROZEN\n".write(toFile: root + "/freezer/berth/default/db/freezer.state", atomically: true, encoding: .utf8)
        #expect(cg.isFrozen)
    }

    @Test func missingControllersAreAnError() throws {
        let root = try tempTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/pids", withIntermediateDirectories: true)
        #expect(throws: BerthError.self) { try CgroupHierarchy.detect(root: root) }
    }

    @Test func deviceRulesNeedTheDevicesController() throws {
        let root = try tempTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for d in ["memory", "freezer"] { try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true) }
        let cg = try CgroupHierarchy.detect(root: root).cgroup(namespace: "default", id: "db")
        #expect(throws: BerthError.self) { try cg.create(resources: .init(devices: SpecGenerator.defaultDeviceRules)) }
        #expect(!cg.exists, "a failed create leaves nothing")
    }

    @Test func sharesToWeight() {
        #expect(Cgroup.weight(shares: 2) == 1)
        #expect(Cgroup.weight(shares: 1024) == 39)
        #expect(Cgroup.weight(shares: 262_144) == 10_000)
    }
}
