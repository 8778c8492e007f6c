import BerthCore
@testable import BerthRuntime
import BerthTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Drives the built berth-shim directly: a hand-written shim.conf, a busybox rootfs, a socket
/// client. Tasks that must still be running when the client connects wait on `read` first (a
/// shim whose task has exited and that has no clients leaves at once).
@Suite("berth-shim", .serialized)
struct ShimTests {
    private func withFixture(_ body: (ShimFixture) throws -> Void) throws {
        guard Privilege.canRunRootTests else { return }
        let f = try ShimFixture()
        defer { f.cleanup() }
        try body(f)
    }

    @Test func commandRunsAsPid1WithHostnameAndExitStatus() throws {
        try withFixture { f in
            let line = try f.start(f.conf(["sh", "-c", "read x; echo pid=$$; hostname; exit 3"]))
            #expect(line.hasPrefix("ok "))
            let initPid = f.pidFile("init.pid")
            #expect(initPid != nil && line == "ok \(initPid!)")
            #expect(f.pidFile("shim.pid") != nil)
            let c = try f.connect()
            c.send(ShimMsg.attach)
            #expect(try c.state()["status"] as? String == "running")
            c.sendText(ShimMsg.stdin, "go\n")
            #expect(try c.waitExit() == 3)
            #expect(c.waitOutput { $0.contains("berth-test-host\n") })
            #expect(c.outputText.contains("pid=1\n"))
            let state = try c.state()
            #expect(state["status"] as? String == "stopped")
            #expect(state["exitStatus"] as? Int == 3)
            #expect((state["exitedAt"] as? String)?.hasSuffix("Z") == true)
            #expect(try String(contentsOfFile: f.bundle + "/exit", encoding: .utf8) == "3\n")
            #expect(try String(contentsOfFile: f.bundle + "/output.log", encoding: .utf8).contains("pid=1\n"))
            c.send(ShimMsg.shutdown)
            #expect(f.shimGone())
            #expect(!FileManager.default.fileExists(atPath: f.bundle + "/shim.sock"))
        }
    }

    @Test func exitStatuses() throws {
        for (script, status) in [("exit 0", Int32(0)), ("exit 3", 3)] {
            try withFixture { f in
                try f.start(f.conf(["sh", "-c", "read x; " + script]))
                let c = try f.connect()
                c.sendText(ShimMsg.stdin, "\n")
                #expect(try c.waitExit() == status)
            }
        }
        // SIGKILL from outside: 128 + 9.
        try withFixture { f in
            try f.start(f.conf(["sleep", "100"]))
            let c = try f.connect()
            c.send(ShimMsg.signal, le32(SIGKILL) + [0])
            #expect(try c.waitExit() == 137)
            #expect(try String(contentsOfFile: f.bundle + "/exit", encoding: .utf8) == "137\n")
        }
    }

    @Test func startFailuresAreReportedAndLeaveNothingRunning() throws {
        try withFixture { f in
            let missing = try f.start(f.conf(["/bin/nope"]))
            #expect(missing == "error 127 exec: /bin/nope: no such file or directory")
            let notInPath = try f.start(f.conf(["nope"]))
            #expect(notInPath == "error 127 exec: nope: executable file not found in $PATH")
            FileManager.default.createFile(atPath: f.image + "/bin/plain", contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
            let notExecutable = try f.start(f.conf(["/bin/plain"]))
            #expect(notExecutable == "error 126 exec: /bin/plain: permission denied")
            var bad = f.conf(["true"])
            bad.add("mount", "nosuchfs\tnone\t/mnt\t")
            let badMount = try f.start(bad)
            #expect(badMount == "error 1 mount none to /mnt: No such device")
            var badCwd = f.conf(["true"])
            badCwd.add("cwd", "/does/not/exist")
            let cwdLine = try f.start(badCwd)
            #expect(cwdLine.hasPrefix("error 1 chdir to cwd (\"/does/not/exist\")"))
            var badConf = f.conf(["true"])
            badConf.add("uid", "abc")
            let confLine = try f.start(badConf)
            #expect(confLine == "error 1 shim.conf: invalid value for uid: abc")
            // Nothing left behind: no pid files, no socket, no mounts in the rootfs.
            for name in ["shim.pid", "init.pid", "shim.sock"] {
                #expect(!FileManager.default.fileExists(atPath: f.bundle + "/" + name))
            }
            #expect(Mounts.mounts(under: f.rootfs) == [f.rootfs])
        }
    }

    /// A prepared shim hands shim.conf to its waiting init before it reads the conf itself;
    /// a conf that asks for namespaces other than the ones the init was made with stops the
    /// start all the same (the init checks it as well), and leaves nothing running.
    @Test func aPreparedShimRefusesAConfForOtherNamespaces() throws {
        try withFixture { f in
            let shim = try PreparedShim(bundle: f.bundle, namespaces: ["pid", "mount", "uts", "ipc", "network", "cgroup"], terminal: false)
            var conf = f.conf(["true"])
            conf.records.removeAll { $0 == ("namespace-new", "network") }
            try Data(conf.bytes).write(to: URL(fileURLWithPath: f.bundle + "/shim.conf"))
            #expect { _ = try shim.start() } throws: { error in
                "\(error)".contains("shim.conf asks for other namespaces or terminal than the shim prepared")
            }
            for name in ["shim.pid", "init.pid", "shim.sock"] {
                #expect(!FileManager.default.fileExists(atPath: f.bundle + "/" + name))
            }
            #expect(Mounts.mounts(under: f.rootfs) == [f.rootfs])
            // Neither the shim nor its init (a clone of it: the same command line) is left.
            let running = {
                (FileSystem.directoryEntries("/proc") ?? []).filter { Int32($0) != nil }.contains { pid in
                    readProcFile("/proc/\(pid)/cmdline")?.contains(f.bundle) == true
                }
            }
            #expect(Command.waitUntil { !running() })
        }
    }

    @Test func mountDestinationsCannotEscapeTheRootfsThroughSymlinks() throws {
        try withFixture { f in
            // An image whose /escape points at a host directory by absolute path.
            let outside = f.dir + "/outside"
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: f.image + "/escape", withDestinationPath: outside)
            var conf = f.conf(["sh", "-c", "read x; grep -q '/outside/sub ' /proc/self/mountinfo"])
            conf.add("mount", "tmpfs\ttmpfs\t/escape/sub\tmode=755")
            #expect(try f.start(conf).hasPrefix("ok "))
            let c = try f.attachAndRelease()
            #expect(try c.waitExit() == 0)
            // Resolved inside the rootfs: created there, nothing on the host side.
            #expect(!FileManager.default.fileExists(atPath: outside + "/sub"))
            #expect(FileManager.default.fileExists(atPath: f.image + outside + "/sub"))
        }
    }

    @Test func securitySettingsApplyInsideTheTask() throws {
        try withFixture { f in
            var conf = f.conf(["sh", "-c", """
                read x
                grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status
                echo timer=$(cat /proc/timer_list | wc -c) kcore=$(cat /proc/kcore 2>/dev/null | wc -c)
                echo firmware=$(ls /sys/firmware | wc -l)
                (echo x > /proc/sys/kernel/domainname) 2>/dev/null && echo procsys=rw || echo procsys=ro
                echo fds:
                ls /proc/$$/fd
                echo :fds
                unshare -m true 2>&1
                ls /proc | grep '^[0-9]' > /tmp/pids
                echo visible-pids=$(wc -l < /tmp/pids)
                ulimit -n
                """])
            conf.add("masked", "/proc/kcore", "/proc/timer_list", "/sys/firmware")
            conf.add("readonly", "/proc/sys")
            conf.add("no-new-privs", "1")
            conf.add("seccomp-default", "SCMP_ACT_ALLOW")
            conf.add("seccomp-syscall", "unshare SCMP_ACT_ERRNO 1", "keyctl SCMP_ACT_ERRNO 1",
                     "no_such_syscall_anywhere SCMP_ACT_ERRNO", "personality SCMP_ACT_ERRNO 22 |0 EQ 4294967295 0")
            try f.start(conf)
            let c = try f.attachAndRelease()
            #expect(try c.waitExit() == 0)
            #expect(c.waitOutput { $0.contains("\n1024\n") })
            let out = c.outputText
            // Docker's 14 default capabilities and nothing else.
            #expect(out.contains("CapEff:\t00000000a80425fb"))
            #expect(out.contains("NoNewPrivs:\t1"))
            #expect(out.contains("Seccomp:\t2"))
            #expect(out.contains("timer=0 kcore=0"))
            #expect(out.contains("firmware=0"))
            #expect(out.contains("procsys=ro"))
            // No fd beyond 0-2 reached the task.
            #expect(out.contains("fds:\n0\n1\n2\n:fds\n"))
            #expect(out.contains("unshare(0x20000): Operation not permitted"))
            // Host processes are invisible: only the shell and ls/grep.
            let visible = out.split(separator: "\n").first { $0.hasPrefix("visible-pids=") }?.dropFirst(13)
            #expect(visible.flatMap { Int($0) }.map { $0 <= 4 } == true)
        }
    }

    @Test func seccompDeniesUnshareEvenWithCapSysAdmin() throws {
        try withFixture { f in
            var conf = f.conf(["sh", "-c", "read x; unshare -m true 2>&1; echo rc=$?"])
            conf.add("cap", "CAP_SYS_ADMIN")
            conf.add("no-new-privs", "1")
            conf.add("seccomp-default", "SCMP_ACT_ALLOW")
            conf.add("seccomp-syscall", "unshare SCMP_ACT_ERRNO 38")
            try f.start(conf)
            let c = try f.attachAndRelease()
            #expect(try c.waitExit() == 0)
            #expect(c.waitOutput { $0.contains("rc=") })
            #expect(c.outputText.contains("Function not implemented"))
            #expect(c.outputText.contains("rc=1"))
        }
    }

    @Test func attachReplaysTheLogThenStreamsLive() throws {
        try withFixture { f in
            try f.start(f.conf(["sh", "-c", "echo first; read x; echo second; read y; echo eof=$?"]))
            let writer = try f.connect()
            #expect(Command.waitUntil {
                ((try? String(contentsOfFile: f.bundle + "/output.log", encoding: .utf8)) ?? "").contains("first")
            })
            let reader = try f.connect()
            reader.send(ShimMsg.attach)
            #expect(reader.waitOutput { $0.contains("first\n") })
            writer.sendText(ShimMsg.stdin, "go\n")
            #expect(reader.waitOutput { $0.contains("second\n") })
            writer.send(ShimMsg.closeStdin)
            #expect(reader.waitOutput { $0.contains("eof=1\n") })
            #expect(reader.outputText == "first\nsecond\neof=1\n")
            #expect(try writer.waitExit() == 0)
        }
    }

    @Test func resizeChangesTheTerminalSize() throws {
        try withFixture { f in
            try f.start(f.conf(["sh", "-c", "stty size; read x; stty size; read y; stty size; tty"], terminal: true))
            let c = try f.connect()
            c.send(ShimMsg.attach)
            #expect(c.waitOutput { $0.contains("24 80") })
            c.send(3, le16(33) + le16(77))
            c.sendText(ShimMsg.stdin, "\n")
            #expect(c.waitOutput { $0.contains("33 77") })
            c.send(3, le16(40) + le16(120))
            c.sendText(ShimMsg.stdin, "\n")
            // The pty belongs to the container's own devpts.
            #expect(c.waitOutput { $0.contains("/dev/pts/0") })
            #expect(c.outputText.contains("40 120"))
            #expect(try c.waitExit() == 0)
        }
    }

    @Test func signalReachesTheInit() throws {
        try withFixture { f in
            try f.start(f.conf(["sh", "-c", "trap 'echo got-term; exit 9' TERM; echo ready; while true; do sleep 0.1; done"]))
            let c = try f.connect()
            c.send(ShimMsg.attach)
            #expect(c.waitOutput { $0.contains("ready") })
            c.send(ShimMsg.signal, le32(SIGTERM) + [0])
            #expect(try c.waitExit() == 9)
            #expect(c.waitOutput { $0.contains("got-term") })
            c.send(ShimMsg.signal, le32(SIGTERM) + [0])
            #expect(String(decoding: try c.expect(ShimMsg.error), as: UTF8.self).contains("not running"))
        }
    }

    @Test func cgroupJoinPidsAndSignalAll() throws {
        try withFixture { f in
            let procs = try f.makeCgroup()
            var conf = f.conf(["sh", "-c", "grep -E '(pids|^0:):' /proc/self/cgroup; sleep 100 & sleep 100 & echo started; wait"])
            conf.add("cgroup-procs", procs)
            try f.start(conf)
            let c = try f.connect()
            c.send(ShimMsg.attach)
            #expect(c.waitOutput { $0.contains("started") })
            // The cgroup namespace is rooted at the task's cgroup.
            #expect(c.outputText.hasSuffix(":/\nstarted\n"))
            let initPid = try #require(f.pidFile("init.pid"))
            #expect((readProcFile(procs) ?? "").contains("\(initPid)\n"))
            var pids: [Int32] = []
            #expect(Command.waitUntil {
                c.send(ShimMsg.pids)
                guard let p = try? c.expect(ShimMsg.pidsReply) else { return false }
                pids = stride(from: 0, to: p.count, by: 4).map { fromLE32(p[$0..<($0 + 4)]) }
                return pids.count == 3
            })
            #expect(pids.contains(initPid))
            c.send(ShimMsg.signal, le32(SIGKILL) + [1])
            #expect(try c.waitExit() == 137)
        }
    }

    @Test func execRunsInTheTasksNamespacesWithItsOwnSecurity() throws {
        try withFixture { f in
            let procs = try f.makeCgroup()
            var conf = f.conf(["sh", "-c", "read x"])
            conf.add("cgroup-procs", procs)
            try f.start(conf)
            let c = try f.connect()
            var ex = ShimConf()
            ex.add("exec-id", "e1")
            ex.add("arg", "sh", "-c", "echo in-exec $(hostname) ppid=$PPID; grep CapEff /proc/self/status; exit 5")
            ex.add("env", "PATH=/bin")
            ex.add("cap", "CAP_CHOWN")
            c.send(ShimMsg.exec, ex.bytes)
            let pid = fromLE32(try c.expect(ShimMsg.execStarted)[0..<4])
            #expect(pid > 0)
            let exited = try c.expect(ShimMsg.execExited)
            #expect(exited[0] == 2 && Array(exited[1..<3]) == Array("e1".utf8))
            #expect(fromLE32(exited[3..<7]) == 5)
            #expect(c.execText.contains("in-exec berth-test-host ppid=0"))
            #expect(c.execText.contains("CapEff:\t0000000000000001"))

            // stdin, closed by an empty exec-stdin.
            var cat = ShimConf()
            cat.add("exec-id", "cat")
            cat.add("arg", "cat")
            c.send(ShimMsg.exec, cat.bytes)
            let catPid = fromLE32(try c.expect(ShimMsg.execStarted)[0..<4])
            // It joined the task's cgroup.
            #expect((readProcFile(procs) ?? "").split(separator: "\n").contains("\(catPid)"))
            let prefix: [UInt8] = [3] + Array("cat".utf8)
            c.send(ShimMsg.execStdin, prefix + Array("hello-exec\n".utf8))
            c.send(ShimMsg.execStdin, prefix)
            #expect(c.waitOutput(exec: true) { $0.contains("hello-exec") })
            let catExit = try c.expect(ShimMsg.execExited)
            #expect(fromLE32(catExit[4..<8]) == 0)

            // Another user; its /proc entries are its own again after exec (the shim's
            // children are not dumpable while they set up).
            var user = ShimConf()
            user.add("exec-id", "user")
            user.add("arg", "sh", "-c", "id -u; id -g; ls /proc/self/fd >/dev/null && echo fd-ok")
            user.add("uid", "1000")
            user.add("gid", "1001")
            c.send(ShimMsg.exec, user.bytes)
            _ = try c.expect(ShimMsg.execStarted)
            #expect(c.waitOutput(exec: true) { $0.contains("fd-ok") })
            #expect(c.execText.contains("1000\n1001\nfd-ok"))
            _ = try c.expect(ShimMsg.execExited)

            var missing = ShimConf()
            missing.add("exec-id", "e2")
            missing.add("arg", "/nope")
            c.send(ShimMsg.exec, missing.bytes)
            #expect(String(decoding: try c.expect(ShimMsg.error), as: UTF8.self) == "exec: /nope: no such file or directory")

            c.sendText(ShimMsg.stdin, "\n")
            #expect(try c.waitExit() == 0)
            c.send(ShimMsg.exec, ex.bytes)
            #expect(String(decoding: try c.expect(ShimMsg.error), as: UTF8.self).contains("not running"))
        }
    }

    @Test func execWithATerminalFollowsExecResize() throws {
        try withFixture { f in
            try f.start(f.conf(["sh", "-c", "read x"]))
            let c = try f.connect()
            var ex = ShimConf()
            ex.add("exec-id", "tty")
            ex.add("arg", "sh", "-c", "tty; stty size; read x; stty size")
            ex.add("terminal", "1")
            c.send(ShimMsg.exec, ex.bytes)
            _ = try c.expect(ShimMsg.execStarted)
            #expect(c.waitOutput(exec: true) { $0.contains("24 80") })
            #expect(c.execText.hasPrefix("/dev/pts/0\r\n"))
            let prefix: [UInt8] = [3] + Array("tty".utf8)
            c.send(10, prefix + le16(50) + le16(100))
            c.send(ShimMsg.execStdin, prefix + Array("\n".utf8))
            #expect(c.waitOutput(exec: true) { $0.contains("50 100") })
            let exited = try c.expect(ShimMsg.execExited)
            #expect(fromLE32(exited[4..<8]) == 0)
            c.sendText(ShimMsg.stdin, "\n")
            #expect(try c.waitExit() == 0)
        }
    }

    @Test func readonlyRootfs() throws {
        try withFixture { f in
            var conf = f.conf(["sh", "-c", "read x; touch /x 2>&1; echo rc=$?; touch /dev/shm/y && echo shm-rw"])
            conf.add("readonly-rootfs", "1")
            try f.start(conf)
            let c = try f.attachAndRelease()
            #expect(try c.waitExit() == 0)
            #expect(c.waitOutput { $0.contains("shm-rw") })
            #expect(c.outputText.contains("Read-only file system"))
            #expect(c.outputText.contains("rc=1"))
            #expect(!FileManager.default.fileExists(atPath: f.image + "/x"))
        }
    }

    @Test func shimOutlivesItsStarterAndItsBinaryCannotBeWrittenThroughProc() throws {
        try withFixture { f in
            let line = try f.start(f.conf(["sh", "-c", "read x; echo after; exit 4"]), ownGroup: true,
                                   starter: ["/bin/sh", "-c", "\"$0\" \"$1\"; exec sleep 60"])
            #expect(line.hasPrefix("ok "))
            let starter = f.starterPid
            kill(-starter, SIGKILL)
            var st: Int32 = 0
            waitpid(starter, &st, 0)
            let shim = try #require(f.pidFile("shim.pid"))
            #expect(kill(shim, 0) == 0)
            #expect(getsid(shim) != getsid(0))
            // CVE-2019-5736: the shim runs from a read-only mount of its binary, so a path
            // kept through /proc/<pid>/exe cannot be reopened for writing even once no shim
            // executes the binary any more (while one does, the kernel says ETXTBSY first).
            let exe = open("/proc/\(shim)/exe", 0o10000000 | O_CLOEXEC) // O_PATH
            #expect(exe >= 0)
            defer { close(exe) }
            var sv = statvfs()
            #expect(fstatvfs(exe, &sv) == 0 && sv.f_flag & UInt(ST_RDONLY) != 0)
            let fd = open("/proc/self/fd/\(exe)", O_WRONLY)
            let err = errno
            if fd >= 0 { close(fd) }
            #expect(fd == -1 && (err == EROFS || err == ETXTBSY))
            let c = try f.attachAndRelease()
            #expect(try c.waitExit() == 4)
            #expect(c.waitOutput { $0.contains("after") })
        }
    }

    @Test func outputLogStaysWithinLogMax() throws {
        try withFixture { f in
            var conf = f.conf(["sh", "-c", "read x; i=0; while [ $i -lt 400 ]; do echo line-$i-................................; i=$((i+1)); done"])
            conf.add("log-max", "4096")
            try f.start(conf)
            let c = try f.attachAndRelease()
            #expect(try c.waitExit() == 0)
            #expect(c.waitOutput { $0.contains("line-399-") })
            #expect(c.outputText.contains("line-0-"))
            let log = try String(contentsOfFile: f.bundle + "/output.log", encoding: .utf8)
            #expect(log.utf8.count <= 4096)
            #expect(log.hasSuffix("line-399-................................\n"))
            #expect(!log.contains("line-0-"))
        }
    }
}

func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
