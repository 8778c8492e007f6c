import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
@testable import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// `berth system check [--repair]`: a whole store is reported whole; each kind of leftover a
/// crash or a careless admin can leave is named on a line of its own, repaired when that loses
/// nothing, and left alone (but reported) when it would.
@Suite struct SystemCheckTests {
    @Test(.enabled(if: Privilege.canRunRootTests))
    func aWholeStoreIsReportedWhole() throws {
        let fx = try RuntimeFixture("checkwhole"); defer { fx.cleanup() }
        try fx.check(["demo"])
        try fx.check(["run", "-d", "--name", "up", "localhost/busybox:latest", "sleep", "60"])
        try fx.check(["run", "--name", "done", "localhost/busybox:latest", "true"])
        try fx.check(["run", "-d", "--name", "dir", "--rootfs", fx.rootfs, "sleep", "60"])
        let r = try fx.berth(["system", "check"])
        #expect(r.status == 0 && r.stdout == "the store is whole\n", "\(r.status) \(r.stdout) \(r.stderr)")
        let json = try fx.berth(["system", "check", "--format", "json"])
        let report = try JSONDecoder().decode(StoreCheckReport.self, from: Data(json.stdout.utf8))
        #expect(json.status == 0 && report.whole && report.inconsistencies.isEmpty)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func leftoversAreNamedAndRepairedWithoutLosingData() throws {
        let fx = try RuntimeFixture("checkrepair"); defer { fx.cleanup() }
        let paths = fx.tmp.paths
        try fx.check(["demo"])
        // A stopped task (reconciled by the next command) whose rootfs is mounted again, and
        // whose cgroup is back: what a kill between the steps of a removal leaves.
        try fx.check(["run", "--name", "stopped", "localhost/busybox:latest", "true"])
        try fx.check(["tasks", "ls"])
        let stoppedRootfs = paths.tasksDir + "/\(fx.ns)/stopped/rootfs"
        try Command.check(["mount", "-t", "tmpfs", "leftover", stoppedRootfs])
        let cgroup = try CgroupHierarchy.host.get().cgroup(namespace: fx.ns, id: "stopped")
        for d in cgroup.directories { try FileSystem.makeDirectories(d) }
        // A task bundle without a container, with its rootfs mounted.
        let ghost = paths.tasksDir + "/\(fx.ns)/ghost"
        try FileSystem.makeDirectories(ghost + "/rootfs")
        try Command.check(["mount", "-t", "tmpfs", "leftover", ghost + "/rootfs"])
        // A running task whose bundle was taken away: its shim can no longer be reached.
        try fx.check(["run", "-d", "--name", "lost", "localhost/busybox:latest", "sleep", "60"])
        let lostBundle = paths.tasksDir + "/\(fx.ns)/lost"
        let lostShim = try #require(Int32(try FileSystem.readString(lostBundle + "/shim.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        defer {
            kill(lostShim, SIGKILL)
            try? CgroupHierarchy.host.get().cgroup(namespace: fx.ns, id: "lost").destroy()
        }
        try Command.check(["umount", "-l", lostBundle + "/rootfs"])
        let hidden = paths.tasksDir + "/\(fx.ns)/.lost"
        #expect(rename(lostBundle, hidden) == 0)
        defer { try? FileSystem.removeTree(hidden) }
        // A blob cut short: lost data, reported and not touched.
        let manifest = try fx.core().images.get(namespace: fx.ns, "localhost/busybox:latest").digest
        let blob = paths.blobsDir + "/" + manifest.encoded
        chmod(blob, 0o644)
        #expect(truncate(blob, 10) == 0)

        // A numbered snapshot directory without a record (made last: every other
        // command's start-up recovery would remove it).
        let orphan = paths.snapshotterDir("overlayfs") + "/99999"
        try FileSystem.makeDirectories(orphan + "/fs")

        let first = try fx.berth(["system", "check"])
        #expect(first.status == 1)
        let lines = first.stdout.split(separator: "\n").map(String.init)
        func line(_ prefix: String, _ problem: String) -> String? { lines.first { $0.hasPrefix(prefix) && $0.contains(problem) } }
        #expect(line("mount \(stoppedRootfs)", "rootfs of a stopped task still mounted (--repair would: unmount it)") != nil, "\(lines)")
        #expect(line("cgroup \(fx.ns)/\(cgroup.relative)", "cgroup of a stopped task still exists") != nil, "\(lines)")
        #expect(line("snapshot \(orphan)", "snapshot directory without a record (--repair would: remove it)") != nil, "\(lines)")
        #expect(line("task \(fx.ns)/ghost", "task bundle without a container record") != nil, "\(lines)")
        #expect(line("shim pid \(lostShim)", "berth-shim of \(lostBundle), which no longer exists") != nil, "\(lines)")
        #expect(line("content \(fx.ns)/\(manifest)", "blob is 10 bytes on disk") != nil, "\(lines)")
        #expect(lines.last == "6 inconsistencies", "\(lines)")

        let repair = try fx.berth(["system", "check", "--repair"])
        #expect(repair.status == 1, "the store was not whole")
        #expect(repair.stdout.contains("4 repaired"), "\(repair.stdout)")
        #expect(!Mount.mountPoints().contains(stoppedRootfs))
        #expect(!cgroup.exists)
        #expect(!FileSystem.exists(orphan) && !FileSystem.exists(ghost))
        #expect(Mount.mountPoints().allSatisfy { !$0.hasPrefix(ghost) })
        #expect(kill(lostShim, 0) == 0, "a live process is never touched")

        // What is left is what berth will not touch: the shim and the damaged blob.
        let after = try fx.berth(["system", "check", "--format", "json"])
        let report = try JSONDecoder().decode(StoreCheckReport.self, from: Data(after.stdout.utf8))
        #expect(after.status == 1 && report.inconsistencies.map(\.area).sorted { $0.rawValue < $1.rawValue } == [.content, .shim], "\(report)")
        #expect(report.inconsistencies.allSatisfy { $0.repair == nil })
    }
}

/// scripts/crashtest with a few trials: berth killed with SIGKILL in the middle of imports,
/// unpacks, runs, removals and garbage collections leaves nothing `berth system check` finds,
/// once any berth command has run.
@Suite struct CrashInjectionTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/crashtest").path

    @Test(.enabled(if: Privilege.canRunRootTests))
    func killedAtRandomMomentsTheStoreStaysWhole() throws {
        let r = try Command.run([Self.script, "30"], environment: ["BERTH": BuiltProducts.berth])
        let summary = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        #expect(r.status == 0 && summary.hasSuffix(", 0 failures"), "\(r.stdout)\(r.stderr)")
        // The kills must land while berth works, or the test proves nothing.
        let interrupted = summary.split(separator: "(").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        #expect(interrupted >= 5, "\(summary)")
    }
}
