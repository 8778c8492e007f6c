@testable import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Tasks over time: attach and detach, the starting program dying, many at once, pause,
/// exec, metrics, events, and a shim that vanished.
@Suite(.serialized) struct RuntimeLifecycleTests {
    /// Collects an attachment's output until `text` shows up (or the deadline passes).
    static func read(_ a: TaskAttachment, until text: String, timeout: Double = 10) async -> String {
        let collected = Locked("")
        let reader = Task {
            for await chunk in a.output {
                let done = collected.withLock { s -> Bool in
                    s += String(decoding: chunk, as: UTF8.self)
                    return s.contains(text)
                }
                if done { return }
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !collected.current.contains(text) { try? await Task.sleep(nanoseconds: 20_000_000) }
        reader.cancel()
        return collected.current
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func ptyAttachDetachReattach() async throws {
        let f = try RuntimeFixture("pty"); defer { f.cleanup() }
        #expect(try f.berth(["run", "-d", "-t", "--name", "sh1", "--rootfs", f.rootfs, "sh"]).stdout == "sh1\n")
        let core = try f.core()
        let info = try core.runtime.task(namespace: f.ns, id: "sh1")
        #expect(info.status == .running && info.terminal)

        let a = try core.runtime.attach(namespace: f.ns, id: "sh1")
        try a.resize(rows: 33, cols: 101)
        try a.write(Array("stty size; tty; echo first-$((40+2))\n".utf8))
        let first = await Self.read(a, until: "first-42")
        #expect(first.contains("33 101"), "\(first)")
        #expect(first.contains("/dev/pts/0") || first.contains("/dev/console"), "\(first)")
        a.detach()
        #expect(await a.wait() == nil)
        #expect(try core.runtime.task(namespace: f.ns, id: "sh1").status == .running)

        let b = try core.runtime.attach(namespace: f.ns, id: "sh1")
        try b.write(Array("echo second-$((40+3))\n".utf8))
        let second = await Self.read(b, until: "second-43")
        #expect(second.contains("first-42"), "the replay of what happened before: \(second)")
        try b.write(Array("exit 7\n".utf8))
        #expect(await b.wait() == 7)
        #expect(try core.runtime.task(namespace: f.ns, id: "sh1").exitStatus == 7)
        try f.check(["containers", "rm", "sh1"])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func detachKeysLeaveTheTaskRunning() throws {
        let f = try RuntimeFixture("keys"); defer { f.cleanup() }
        try f.check(["run", "-d", "--name", "cat1", "--rootfs", f.rootfs, "cat"])
        let r = try f.berth(["tasks", "attach", "cat1"], stdin: Data("hello\n".utf8) + Data([0x10, 0x11]))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try f.check(["tasks", "ls"]).contains("RUNNING"))
        let custom = try f.berth(["tasks", "attach", "--detach-keys", "ctrl-a,x", "cat1"], stdin: Data("again\n".utf8) + Data([0x01, 0x78]))
        #expect(custom.status == 0)
        // The key sequences never reached the task; the text around them did.
        let log = f.tmp.paths.tasksDir + "/\(f.ns)/cat1/output.log"
        #expect(Command.waitUntil { (try? FileSystem.readString(log)) == "hello\nagain\n" }, "\((try? FileSystem.readString(log)) ?? "")")
        let rm = try f.berth(["containers", "rm", "cat1"])
        #expect(rm.status != 0 && rm.stderr.contains("running"))
        try f.check(["containers", "rm", "--force", "cat1"])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func killingTheStartingProgramLeavesTheTaskRunning() throws {
        let f = try RuntimeFixture("k9"); defer { f.cleanup() }
        let p = try f.startRun("k9", "echo start; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo produced-meanwhile; exit 4",
                               stdout: FileHandle.nullDevice)
        let bundle = f.tmp.paths.tasksDir + "/\(f.ns)/k9"
        #expect(Command.waitUntil { ((try? FileSystem.readString(bundle + "/output.log")) ?? "").contains("start") })
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(try f.check(["tasks", "ls"]).contains("RUNNING"))
        try FileSystem.writeAtomically(bundle + "/rootfs/tmp/go", "")
        let r = try f.berth(["tasks", "attach", "--no-stdin", "k9"])
        #expect(r.stdout == "start\nproduced-meanwhile\n", "\(r.stdout)")
        #expect(r.status == 4)
        #expect(try f.check(["tasks", "ls", "--format", "json"]).contains("\"exitStatus\" : 4"))
        try f.check(["tasks", "rm", "k9"])
        try f.check(["containers", "rm", "k9"])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    /// Docker's sig-proxy: SIGTERM or SIGINT to `berth run` (no terminal) goes to the task,
    /// and berth exits with the task's status once it has cleaned up.
    @Test(.enabled(if: Privilege.canRunRootTests), arguments: [SIGTERM, SIGINT])
    func signalsToRunReachTheTask(_ sig: Int32) throws {
        let f = try RuntimeFixture("sig\(sig)"); defer { f.cleanup() }
        let out = Pipe()
        let p = try f.startRun("sig", "trap 'echo caught; exit 42' TERM INT; echo ready; while true; do sleep 0.05; done", stdout: out)
        let bundle = f.tmp.paths.tasksDir + "/\(f.ns)/sig"
        #expect(Command.waitUntil { ((try? FileSystem.readString(bundle + "/output.log")) ?? "").contains("ready") })
        kill(p.processIdentifier, sig)
        p.waitUntilExit()
        #expect(p.terminationStatus == 42)
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "ready\ncaught\n")
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func twentyConcurrentRuns() throws {
        let f = try RuntimeFixture("many"); defer { f.cleanup() }
        // A fresh root: the 20 processes also race to create the metadata database.
        let results = Locked([Int: CommandResult]())
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            let r = try? f.run(["--name", "c\(i)"], ["sh", "-c", "echo $HOSTNAME; exit \(i % 5)"])
            results.withLock { $0[i] = r }
        }
        for i in 0..<20 {
            let r = results.current[i]
            #expect(r?.status == Int32(i % 5), "run \(i): \(String(describing: r))")
            #expect(r?.stdout == "c\(i)\n", "run \(i): \(String(describing: r))")
        }
        #expect(try f.check(["containers", "ls", "-q"]) == "")
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func pauseExecMetricsAndEvents() async throws {
        let f = try RuntimeFixture("ctl"); defer { f.cleanup() }
        let core = try f.core()
        let events = core.eventJournal.follow()
        try f.check(["run", "-d", "--name", "svc", "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", "--rootfs", f.rootfs,
                     "sh", "-c", "trap 'exit 143' TERM; while true; do echo tick; sleep 0.1; done"])
        try f.check(["tasks", "pause", "svc"])
        #expect(try core.runtime.task(namespace: f.ns, id: "svc").status == .paused)
        #expect(try f.berth(["tasks", "pause", "svc"]).status != 0)
        try f.check(["tasks", "resume", "svc"])
        #expect(try core.runtime.task(namespace: f.ns, id: "svc").status == .running)

        let exec = try f.berth(["tasks", "exec", "svc", "sh", "-c", "echo exec-pid=$$; hostname; exit 9"])
        #expect(exec.status == 9 && exec.stdout.contains("svc"), "\(exec.stdout)\(exec.stderr)")
        let ps = try core.runtime.pids(namespace: f.ns, id: "svc")
        #expect(!ps.isEmpty)
        let m = try core.runtime.metrics(namespace: f.ns, id: "svc")
        #expect(m.memoryLimit == 64 << 20 && m.pidsLimit == 50 && (m.memoryCurrent ?? 0) > 0 && (m.pidsCurrent ?? 0) >= 1)
        #expect((m.cpuUsageNanos ?? 0) > 0 && (m.memoryPeak ?? 0) >= (m.memoryCurrent ?? 0))
        #expect(try f.check(["tasks", "metrics", "svc"]).contains("memory peak"))

        try f.check(["tasks", "kill", "svc"])
        #expect(try await core.runtime.wait(namespace: f.ns, id: "svc") == 143)
        let start = try f.berth(["tasks", "exec", "svc", "true"])
        #expect(start.status != 0 && start.stderr.contains("not running"))
        try f.check(["containers", "rm", "svc"])

        var seen: [String] = []
        for await e in events where e.namespace == f.ns {
            seen.append(e.topic)
            if e.topic == Topic.containerDelete { break }
        }
        #expect(seen == [Topic.containerCreate, Topic.taskCreate, Topic.taskStart, Topic.taskPaused, Topic.taskResumed,
                         Topic.taskExecStarted, Topic.taskExit, Topic.taskDelete, Topic.containerDelete])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func aVanishedShimIsReconciled() throws {
        let f = try RuntimeFixture("dead"); defer { f.cleanup() }
        try f.check(["run", "-d", "--name", "d1", "--rootfs", f.rootfs, "sleep", "100"])
        let shim = try #require(Int32(try FileSystem.readString(f.tmp.paths.tasksDir + "/\(f.ns)/d1/shim.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!f.leftovers().cgroups.isEmpty)
        kill(shim, SIGKILL)
        #expect(Command.waitUntil { kill(shim, 0) != 0 })
        let ls = try f.check(["tasks", "ls"])
        #expect(ls.contains("STOPPED") && ls.contains("255"), "\(ls)")
        let left = f.leftovers()
        #expect(left.cgroups.isEmpty && left.mounts.isEmpty && left.shims.isEmpty, "\(left)")
        try f.check(["containers", "rm", "d1"])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }
}
