import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// CVE-2024-21626: a close-on-exec fd is still open while execve resolves the program's path,
/// so `/proc/self/fd/N/../../..` as the program reaches the host through any host directory
/// the shim has open then. No fd above 2 but the error pipe may be open at execve.
@Suite(.serialized) struct RuntimeFdLeakTests {
    /// A host-only program: it runs (and prints ESCAPED) only if a path reaches the host.
    struct HostScript {
        let path: String
        let before: FileState

        init(_ f: RuntimeFixture) throws {
            path = f.tmp.dir + "/host-only-program"
            try FileSystem.writeAtomically(path + ".c", "#include <stdio.h>\nint main(void) { puts(\"ESCAPED\"); return 0; }\n")
            try Command.check(["cc", "-static", "-o", path, path + ".c"])
            before = try FileState(path)
        }

        func expectUnchanged() throws {
            let now = try FileState(path)
            #expect(now == before, "the host script changed: \(before) -> \(now)")
        }

        /// The program path that walks from fd `n` up to the host's / and down to the script.
        func attack(_ n: Int) -> String { "/proc/self/fd/\(n)" + String(repeating: "/..", count: 40) + path }
    }

    /// Content, mode, owner and times of a host file (or directory).
    struct FileState: Equatable {
        var content: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32
        var mtime: timespec, ctime: timespec, atime: timespec

        /// Reads the content before the times: its first read after a change updates atime.
        init(_ path: String) throws {
            content = FileSystem.isDirectory(path) ? [] : try FileSystem.readFile(path)
            var st = stat()
            guard lstat(path, &st) == 0 else { throw BerthError.system("stat", path) }
            (mode, uid, gid) = (st.st_mode, st.st_uid, st.st_gid)
            (mtime, ctime, atime) = (st.st_mtim, st.st_ctim, st.st_atim)
        }

        static func == (a: FileState, b: FileState) -> Bool {
            a.content == b.content && a.mode == b.mode && a.uid == b.uid && a.gid == b.gid
                && [a.mtime, a.ctime, a.atime].map { [$0.tv_sec, $0.tv_nsec] } == [b.mtime, b.ctime, b.atime].map { [$0.tv_sec, $0.tv_nsec] }
        }
    }

    static let fds = 3...64

    /// A working directory through fd `n` must not be entered: the process never starts.
    static func expectCwdRefused(_ r: CommandResult, _ n: Int, _ what: String) {
        #expect(r.status != 0 && r.stderr.contains("/proc/self/fd/\(n)") && !r.stdout.contains("/"),
                "\(what) cwd through fd \(n): \(r.status) \(r.stdout) \(r.stderr)")
    }

    /// Every attempt must fail to exec the program, and nothing may print ESCAPED.
    static func expectBlocked(_ r: CommandResult, _ what: String) {
        #expect(r.status != 0 && r.stderr.contains("exec: ") && !r.stdout.contains("ESCAPED"),
                "\(what) reached the host: \(r.status) \(r.stdout) \(r.stderr)")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func runCannotExecThroughAHostFd() throws {
        let f = try RuntimeFixture("fdrun"); defer { f.cleanup() }
        let script = try HostScript(f)
        for terminal in [false, true] {
            for n in Self.fds {
                Self.expectBlocked(try f.run(terminal ? ["-t"] : [], [script.attack(n)]), "run\(terminal ? " -t" : "") fd \(n)")
                Self.expectCwdRefused(try f.run((terminal ? ["-t"] : []) + ["--cwd", "/proc/self/fd/\(n)"], ["pwd"]), n, "run")
            }
        }
        try script.expectUnchanged()
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    /// A created container started later goes through the shim's ordinary start (no prepared
    /// shim). Its program is a symlink in the image, repointed before every start, as an image
    /// (or a container that replaced /bin/sh) can do.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func tasksStartCannotExecThroughAHostFd() throws {
        let f = try RuntimeFixture("fdstart"); defer { f.cleanup() }
        let script = try HostScript(f)
        let link = f.rootfs + "/bin/attack"
        for terminal in [false, true] {
            let id = terminal ? "start-t" : "start"
            try f.check(["containers", "create", "--name", id, "--rootfs", f.rootfs] + (terminal ? ["-t"] : []) + ["/bin/attack"])
            for n in Self.fds {
                unlink(link)
                #expect(symlink(script.attack(n), link) == 0)
                Self.expectBlocked(try f.berth(["tasks", "start", "--attach", id]), "tasks start\(terminal ? " -t" : "") fd \(n)")
            }
            try f.check(["containers", "rm", "--force", id])
            for n in Self.fds {
                try f.check(["containers", "create", "--name", id, "--rootfs", f.rootfs, "--cwd", "/proc/self/fd/\(n)"]
                            + (terminal ? ["-t"] : []) + ["pwd"])
                Self.expectCwdRefused(try f.berth(["tasks", "start", "--attach", id]), n, "tasks start")
                try f.check(["containers", "rm", "--force", id])
            }
        }
        try script.expectUnchanged()
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func tasksExecCannotExecThroughAHostFd() throws {
        let f = try RuntimeFixture("fdexec"); defer { f.cleanup() }
        let script = try HostScript(f)
        try f.check(["run", "-d", "--name", "svc", "--rootfs", f.rootfs, "sleep", "600"])
        for terminal in [false, true] {
            let t = terminal ? ["-t"] : []
            // The exec'd process itself holds nothing but its stdio.
            let fds = try f.berth(["tasks", "exec"] + t + ["svc", "ls", "/proc/self/fd"])
            #expect(fds.status == 0 && fds.stdout.split(whereSeparator: \.isWhitespace) == ["0", "1", "2", "3"],
                    "fds of an exec'd process (3 is ls's own directory): \(fds.stdout) \(fds.stderr)")
            for n in Self.fds {
                Self.expectBlocked(try f.berth(["tasks", "exec"] + t + ["svc", script.attack(n)]), "exec\(terminal ? " -t" : "") fd \(n)")
            }
            for n in Self.fds {
                Self.expectCwdRefused(try f.berth(["tasks", "exec"] + t + ["-w", "/proc/self/fd/\(n)", "svc", "pwd"]), n, "exec")
            }
            // The same through a symlink an admin's exec follows (a replaced /bin/sh).
            for n in Self.fds {
                try f.check(["tasks", "exec", "svc", "ln", "-sfn", script.attack(n), "/bin/attack"])
                Self.expectBlocked(try f.berth(["tasks", "exec"] + t + ["svc", "/bin/attack"]), "exec\(terminal ? " -t" : "") symlink fd \(n)")
            }
        }
        try f.check(["containers", "rm", "--force", "svc"])
        try script.expectUnchanged()
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }
}
