import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Every bad input fails with a one-line error naming the culprit, exits non-zero and leaves
/// nothing behind: no mounts, cgroups, shims, bundles or container records.
@Suite(.serialized) struct RuntimeBadInputTests {
    func expectClean(_ f: RuntimeFixture, _ before: RuntimeFixture.Leftovers, _ r: CommandResult, mentions: String,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.status != 0, sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("berth: ") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(mentions), "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(f.leftovers() == before, sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func badRunsLeaveNothing() throws {
        let f = try RuntimeFixture("bad"); defer { f.cleanup() }
        let before = f.leftovers()
        #expect(before == .init(mounts: [], cgroups: [], shims: [], bundles: []))
        // Docker's statuses: 125 when the run itself fails, 127 for a missing command.
        let unknown = try f.berth(["run", "--rm", "nosuch/image:1", "true"])
        try expectClean(f, before, unknown, mentions: "nosuch/image:1")
        #expect(unknown.status == 125)
        let missing = try f.run([], ["/bin/nope"])
        try expectClean(f, before, missing, mentions: "/bin/nope")
        #expect(missing.status == 127)
        for (flag, value) in [("--memory", "lots"), ("--memory", "-5m"), ("--memory", "1k"), ("--cpus", "zero"), ("--cpus", "-1"),
                              ("--pids-limit", "0"), ("--user", "a:b:c"), ("--cap-add", "FLY"), ("--mount", "src=/nope,dst=/x"),
                              ("--seccomp-profile", "/no/profile.json"), ("--net", "bridge")] {
            let r = try f.run(["\(flag)=\(value)"], ["true"])
            try expectClean(f, before, r, mentions: value)
            #expect(r.status == 125, "\(flag)=\(value)")
        }
        try expectClean(f, before, try f.run(["--user", "ghost"], ["true"]), mentions: "ghost")
        try expectClean(f, before, try f.run(["--name", "bad name"], ["true"]), mentions: "bad name")
        #expect(try f.check(["containers", "ls", "-q"]) == "")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func badStateTransitionsLeaveNothing() throws {
        let f = try RuntimeFixture("state"); defer { f.cleanup() }
        try f.check(["run", "-d", "--name", "busy", "--rootfs", f.rootfs, "sleep", "100"])
        let running = f.leftovers()
        #expect(running.shims.count == 1 && running.bundles == ["busy"] && !running.cgroups.isEmpty && running.mounts.count == 1)
        try expectClean(f, running, try f.berth(["run", "-d", "--name", "busy", "--rootfs", f.rootfs, "true"]),
                        mentions: "container \"busy\" already exists")
        try expectClean(f, running, try f.berth(["containers", "create", "--name", "busy", "--rootfs", f.rootfs, "true"]),
                        mentions: "container \"busy\" already exists")
        // An image's container under an id a directory's container holds: the snapshot keyed by
        // the id is made in the transaction that records the container, so the refusal leaves no
        // snapshot (record or directory) behind either.
        try f.check(["demo"])
        let snapshotDirs = { FileSystem.directoryEntries(f.tmp.paths.root + "/snapshots/overlayfs")?.sorted() ?? [] }
        let (records, dirs) = (try f.check(["snapshots", "ls", "-q"]), snapshotDirs())
        try expectClean(f, running, try f.berth(["run", "-d", "--name", "busy", "localhost/busybox:latest", "true"]),
                        mentions: "container \"busy\" already exists")
        #expect(try f.check(["snapshots", "ls", "-q"]) == records)
        #expect(snapshotDirs() == dirs)
        try expectClean(f, running, try f.berth(["tasks", "start", "busy"]), mentions: "busy")
        try expectClean(f, running, try f.berth(["containers", "rm", "busy"]), mentions: "busy")
        try expectClean(f, running, try f.berth(["tasks", "rm", "busy"]), mentions: "busy")
        try expectClean(f, running, try f.berth(["tasks", "exec", "ghost", "true"]), mentions: "ghost")
        try expectClean(f, running, try f.berth(["tasks", "exec", "busy", "/bin/nope"]), mentions: "/bin/nope")
        try expectClean(f, running, try f.berth(["tasks", "resume", "busy"]), mentions: "busy")

        try f.check(["tasks", "kill", "-s", "KILL", "busy"])
        #expect(Command.waitUntil { (try? f.check(["tasks", "ls"]))?.contains("STOPPED") == true })
        let stopped = f.leftovers()
        try expectClean(f, stopped, try f.berth(["tasks", "exec", "busy", "true"]), mentions: "busy")
        try expectClean(f, stopped, try f.berth(["tasks", "kill", "busy"]), mentions: "busy")
        try expectClean(f, stopped, try f.berth(["tasks", "pause", "busy"]), mentions: "busy")
        // A stopped task's container starts again.
        try f.check(["tasks", "start", "busy"])
        try f.check(["containers", "rm", "--force", "busy"])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }
}
