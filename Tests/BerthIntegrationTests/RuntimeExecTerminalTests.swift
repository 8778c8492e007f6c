import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// An exec with a terminal opens /dev/ptmx of the container, a path the container controls:
/// whatever it put there, the shim keeps answering its other clients and the exec fails with
/// one clear error.
@Suite(.serialized) struct RuntimeExecTerminalTests {
    struct Finished { var status: Int32, stdout: String, stderr: String }

    /// Runs berth, killing it if it has not finished by the deadline (then there is no result).
    static func berth(_ f: RuntimeFixture, _ args: [String], deadline: Double = 10) throws -> Finished? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltProducts.berth)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(f.env) { $1 }
        let out = f.tmp.dir + "/out-\(UUID().uuidString)", err = out + ".err"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        defer { unlink(out); unlink(err) }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let finished = Command.waitUntil(timeout: deadline) { !p.isRunning }
        if !finished {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return nil
        }
        return Finished(status: p.terminationStatus, stdout: try FileSystem.readString(out), stderr: try FileSystem.readString(err))
    }

    /// `exec -t` fails at once with one line naming /dev/ptmx; meanwhile the shim serves others.
    static func expectRefused(_ f: RuntimeFixture, _ what: String) throws {
        let r = try #require(try berth(f, ["tasks", "exec", "-t", "svc", "echo", "reached"]), "exec -t with \(what) at /dev/ptmx did not return")
        #expect(r.status != 0 && !r.stdout.contains("reached"), "\(what): \(r.stdout) \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("/dev/ptmx"), "\(what): want one line naming /dev/ptmx: \(r.stderr)")
        let ls = try berth(f, ["tasks", "ls"], deadline: 5)
        #expect(ls?.stdout.contains("RUNNING") == true, "tasks ls after \(what): \(String(describing: ls))")
        let other = try berth(f, ["tasks", "exec", "svc", "echo", "still-served"], deadline: 5)
        #expect(other?.stdout == "still-served\n", "exec after \(what): \(String(describing: other))")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func execTerminalRefusesWhatTheContainerPutAtPtmx() throws {
        let f = try RuntimeFixture("ptmx"); defer { f.cleanup() }
        // A host FIFO: opening it for reading blocks until a writer comes.
        let hostFifo = f.tmp.dir + "/host-fifo"
        #expect(mkfifo(hostFifo, 0o600) == 0)
        let hostFile = f.tmp.dir + "/host-file"
        try FileSystem.writeAtomically(hostFile, "host\n", mode: 0o600)
        let before = try [RuntimeFdLeakTests.FileState(hostFile)]
        try f.check(["run", "-d", "--name", "svc", "--rootfs", f.rootfs, "sleep", "600"])

        try f.check(["tasks", "exec", "svc", "sh", "-c", "rm /dev/ptmx && mkfifo /dev/ptmx"])
        try Self.expectRefused(f, "a FIFO")
        try f.check(["tasks", "exec", "svc", "sh", "-c", "rm /dev/ptmx && mknod /dev/ptmx c 1 3"])
        try Self.expectRefused(f, "/dev/null's node")
        try f.check(["tasks", "exec", "svc", "sh", "-c", "rm /dev/ptmx && echo x > /dev/ptmx"])
        try Self.expectRefused(f, "a regular file")
        // Links out of the container: through the shim's fds, or through the init's root.
        for target in (3...12).map({ "/proc/self/fd/\($0)" + String(repeating: "/..", count: 40) }) + ["/proc/1/root/.."] {
            for host in [hostFifo, hostFile] {
                try f.check(["tasks", "exec", "svc", "ln", "-sfn", target + host, "/dev/ptmx"])
                try Self.expectRefused(f, "a link to \(target + host)")
            }
        }
        #expect(try [RuntimeFdLeakTests.FileState(hostFile)] == before)
        var st = stat()
        #expect(lstat(hostFifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO && st.st_mode & 0o7777 == 0o600)

        // The container's own terminal still works once /dev/ptmx is restored.
        try f.check(["tasks", "exec", "svc", "ln", "-sfn", "pts/ptmx", "/dev/ptmx"])
        let ok = try f.berth(["tasks", "exec", "-t", "svc", "tty"])
        #expect(ok.status == 0 && ok.stdout.hasPrefix("/dev/pts/"), "\(ok.stdout) \(ok.stderr)")
        try f.check(["containers", "rm", "--force", "svc"])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }
}
