@testable import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// What a process sees from inside a berth container with the default (Docker) settings,
/// and what the options change.
@Suite(.serialized) struct RuntimeIsolationTests {
    static func capEff(_ output: String) -> UInt64? {
        output.split(separator: "\n").first { $0.hasPrefix("CapEff:") }
            .flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func defaultIsolation() throws {
        let f = try RuntimeFixture("iso", probe: true); defer { f.cleanup() }
        let script = """
        echo pid=$$
        set -- /proc/[0-9]*; echo procs=$*
        echo hostname=$(hostname)
        echo kcore=$(cat /proc/kcore 2>/dev/null | wc -c)
        echo masked=$(cat /proc/keys /proc/timer_list /proc/interrupts | wc -c)
        echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo procsys=writable || echo procsys=readonly
        grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status
        echo nets=$(ls /sys/class/net | tr '\\n' ,)
        echo loflags=$(cat /sys/class/net/lo/flags)
        echo nofile=$(ulimit -n)
        exec /bin/probe
        """
        let r = try f.run(["--name", "iso1"], ["sh", "-c", script])
        #expect(r.status == 0, "\(r.stderr)")
        let out = r.stdout
        #expect(out.contains("pid=1\n"))
        // Only the shell and the pids it forked for this script: nothing of the host.
        let pids = out.split(separator: "\n").first { $0.hasPrefix("procs=") }?.dropFirst(6).split(separator: " ")
            .compactMap { Int($0.dropFirst(6)) } ?? []
        #expect(pids.first == 1 && pids.count <= 3 && (pids.max() ?? 99) < 20, "host processes visible: \(out)")
        #expect(out.contains("hostname=iso1\n"))
        // This kernel has no /proc/kcore; the other masked files show the masking.
        #expect(out.contains("kcore=0\n") && out.contains("masked=0\n"), "\(out)")
        #expect(out.contains("procsys=readonly\n"))
        let caps = try #require(Self.capEff(out))
        #expect(caps & (1 << 21) == 0, "CAP_SYS_ADMIN present")
        #expect(caps & 1 != 0, "CAP_CHOWN missing")
        #expect(caps.nonzeroBitCount == 14)
        #expect(out.contains("NoNewPrivs:\t1"))
        #expect(out.contains("Seccomp:\t2"))
        #expect(out.contains("nets=lo,\n"))
        #expect(out.contains("loflags=0x9\n"), "loopback not up (IFF_UP|IFF_LOOPBACK): \(out)")
        // The same without a prepared shim: a created container's task started later.
        try f.check(["containers", "create", "--name", "iso2", "--rootfs", f.rootfs, "sh", "-c",
                     "cat /sys/class/net/lo/flags > /tmp/loflags"])
        try f.check(["tasks", "start", "iso2"])
        #expect(Command.waitUntil { (try? f.check(["tasks", "ls"]))?.contains("STOPPED") == true })
        #expect(try FileSystem.readString(f.rootfs + "/tmp/loflags") == "0x9\n")
        try f.check(["containers", "rm", "iso2"])
        #expect(out.contains("keyctl Operation not permitted\n"))
        #expect(out.contains("unshare Operation not permitted\n"))
        #expect(!out.contains("open-fd"), "fds leaked into the container: \(out)")
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    /// The shim compiles a seccomp profile once and keeps the program; a cached program is
    /// only used for exactly the profile it came from, and a damaged file is compiled again.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func seccompFiltersAreCachedPerProfile() throws {
        let f = try RuntimeFixture("scache", probe: true); defer { f.cleanup() }
        let cache = f.tmp.paths.seccompCacheDir
        func files() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).sorted() }
        func denied(_ flags: [String] = []) throws -> Bool {
            let r = try f.run(flags, ["/bin/probe"])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.contains("unshare Operation not permitted\n") && r.stdout.contains("keyctl Operation not permitted\n")
        }
        #expect(try denied())
        let first = files()
        #expect(first.count == 1 && first[0].hasSuffix(".bpf"), "\(first)")
        var st = stat()
        #expect(stat(cache, &st) == 0 && st.st_mode & 0o777 == 0o700)
        let file = cache + "/" + first[0]
        let bytes = try FileSystem.readFile(file)
        #expect(bytes.starts(with: Array("berth-seccomp 2\n".utf8)))
        // Served from the cache: same file, same filter in force.
        #expect(try denied())
        #expect(files() == first)
        // Another profile (a capability changes nothing here, a different profile does).
        let profile = f.tmp.dir + "/profile.json"
        try FileSystem.writeAtomically(profile, #"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["keyctl"],"action":"SCMP_ACT_ERRNO"}]}"#)
        let r = try f.run(["--seccomp-profile", profile], ["/bin/probe"])
        #expect(r.stdout.contains("keyctl Operation not permitted\n") && r.stdout.contains("unshare allowed\n"), "\(r.stdout)\(r.stderr)")
        #expect(files().count == 2)
        // A damaged program (its key intact) fails the length check; garbage fails the key:
        // either way the shim compiles again and the profile is enforced.
        try FileSystem.writeAtomically(file, Array(bytes.dropLast(3)), mode: 0o600)
        #expect(try denied())
        try FileSystem.writeAtomically(file, "garbage", mode: 0o600)
        #expect(try denied())
        #expect(try FileSystem.readFile(file) == bytes)
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func optionsChangeTheDefaults() throws {
        let f = try RuntimeFixture("opts", probe: true); defer { f.cleanup() }
        // Unconfined seccomp: user namespaces need no capability, so only seccomp denied them.
        let unconfined = try f.run(["--seccomp-profile", "unconfined"], ["/bin/probe"])
        #expect(unconfined.stdout.contains("unshare allowed"), "\(unconfined.stdout)\(unconfined.stderr)")
        let priv = try f.run(["--privileged", "--net", "host"], ["sh", "-c", "grep CapEff /proc/self/status; grep -c /proc/keys /proc/self/mountinfo; ls /sys/class/net | grep -c ."])
        #expect(priv.status == 0, "\(priv.stderr)")
        #expect((Self.capEff(priv.stdout) ?? 0) & (1 << 21) != 0)
        let lines = priv.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[1] == "0" && (Int(lines[2]) ?? 0) >= 1, "\(priv.stdout)")
        let dropped = try f.run(["--cap-drop", "chown", "--cap-add", "SYS_ADMIN"], ["sh", "-c", "grep CapEff /proc/self/status"])
        let caps = Self.capEff(dropped.stdout) ?? 0
        #expect(caps & 1 == 0 && caps & (1 << 21) != 0)

        let user = try f.run(["--user", "app", "--env", "GREETING=hi", "--cwd", "/tmp", "--hostname", "box"],
                             ["sh", "-c", "id -u; id -g; id -G; echo $GREETING; pwd; hostname"])
        #expect(user.stdout == "1000\n1000\n1000 10\nhi\n/tmp\nbox\n", "\(user.stdout)\(user.stderr)")
        let numeric = try f.run(["--user", "4242:4343"], ["sh", "-c", "id -u; id -g"])
        #expect(numeric.stdout == "4242\n4343\n")
        // As with Docker, a non-root user keeps the bounding set but holds no capability.
        let nonRoot = try f.run(["--user", "4242"], ["grep", "^Cap", "/proc/self/status"])
        #expect(nonRoot.stdout == "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
                + "CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\n", "\(nonRoot.stdout)\(nonRoot.stderr)")

        let ro = try f.run(["--read-only"], ["sh", "-c", "touch /x 2>/dev/null && echo rw || echo ro; touch /dev/shm/y && echo shm"])
        #expect(ro.stdout == "ro\nshm\n", "\(ro.stdout)\(ro.stderr)")
        let host = f.tmp.dir + "/shared"
        try FileSystem.makeDirectories(host)
        try FileSystem.writeAtomically(host + "/in", "from host\n")
        let bind = try f.run(["--mount", "type=bind,src=\(host),dst=/data,options=ro"],
                             ["sh", "-c", "cat /data/in; touch /data/new 2>/dev/null && echo rw || echo ro"])
        #expect(bind.stdout == "from host\nro\n", "\(bind.stdout)\(bind.stderr)")
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func exitStatuses() throws {
        let f = try RuntimeFixture("exit"); defer { f.cleanup() }
        #expect(try f.run([], ["sh", "-c", "exit 3"]).status == 3)
        #expect(try f.run([], ["true"]).status == 0)
        // The init of a pid namespace ignores signals it has no handler for, except SIGKILL.
        try f.check(["run", "-d", "--name", "k", "--rootfs", f.rootfs, "sleep", "100"])
        try f.check(["tasks", "kill", "-s", "KILL", "k"])
        #expect(try f.berth(["tasks", "attach", "--no-stdin", "k"]).status == 137)
        try f.check(["containers", "rm", "k"])
        let missing = try f.run([], ["/bin/nope"])
        #expect(missing.status == 127)
        #expect(missing.stderr == "berth: exec: /bin/nope: no such file or directory\n")
        let notInPath = try f.run([], ["nope"])
        #expect(notInPath.status == 127 && notInPath.stderr.contains("nope"))
        let notExec = try f.run([], ["/bin/notexec"])
        #expect(notExec.status == 126, "\(notExec.stderr)")
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
        #expect(try f.check(["containers", "ls", "-q"]) == "")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func memoryLimitGivesOOMExit137() throws {
        let f = try RuntimeFixture("oom"); defer { f.cleanup() }
        let r = try f.run(["--name", "oom1", "--memory", "16m"], ["sh", "-c", "tail /dev/zero"])
        #expect(r.status == 137, "\(r.stderr)")
        let events = try f.core().eventJournal.readAll().filter { $0.namespace == f.ns && $0.attributes["id"] == "oom1" }.map(\.topic)
        #expect(events.contains(Topic.taskOOM))
        #expect(events.contains(Topic.taskExit))
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func pidsLimitStopsAForkLoop() throws {
        let f = try RuntimeFixture("pids"); defer { f.cleanup() }
        // busybox sh gives up at the first failed fork.
        let r = try f.run(["--pids-limit", "12"], ["sh", "-c", "for i in $(seq 40); do sleep 3 & done; echo all-forked"])
        #expect(r.status == 2 && r.stdout.contains("can't fork") && !r.stdout.contains("all-forked"), "\(r)")
        let unlimited = try f.run([], ["sh", "-c", "for i in $(seq 40); do sleep 1 & done; echo all-forked"])
        #expect(unlimited.stdout == "all-forked\n")
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }
}
