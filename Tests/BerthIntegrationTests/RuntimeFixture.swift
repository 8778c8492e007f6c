import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
@testable import BerthCore
import BerthTestSupport
import Foundation

/// A berth root with a busybox directory rootfs, a namespace of its own (so cgroup paths never
/// collide between tests) and a way to see what a test left behind. `cleanup()` kills and
/// removes every task and container first, so a failing test leaks nothing either.
struct RuntimeFixture {
    let tmp: TempRoot
    let cli: BerthCLI
    let ns: String
    let rootfs: String

    init(_ label: String, probe: Bool = false) throws {
        tmp = try TempRoot("rt-\(label)")
        cli = BerthCLI(tmp: tmp)
        ns = "rt\(label.filter { $0.isLetter || $0.isNumber })\(UInt16.random(in: 0...UInt16.max))"
        rootfs = tmp.dir + "/rootfs"
        for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "home/app"] { try FileSystem.makeDirectories(rootfs + "/" + d) }
        try Command.check(["cp", "/bin/busybox", rootfs + "/bin/busybox"])
        for applet in try Command.check(["/bin/busybox", "--list"]).split(separator: "\n") where applet != "busybox" {
            symlink("busybox", rootfs + "/bin/" + applet)
        }
        try FileSystem.writeAtomically(rootfs + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
        try FileSystem.writeAtomically(rootfs + "/etc/group", "root:x:0:\napp:x:1000:\nwheel:x:10:app\n")
        try FileSystem.writeAtomically(rootfs + "/bin/notexec", "#!/bin/sh\necho no\n", mode: 0o644)
        if probe { try Self.buildProbe(into: rootfs + "/bin/probe") }
    }

    /// A static program that reports what a container may do, independent of busybox:
    /// keyctl and unshare(CLONE_NEWUSER) results, and every open fd above 2.
    static func buildProbe(into path: String) throws {
        let src = (path as NSString).deletingLastPathComponent + "/probe.c"
        try FileSystem.writeAtomically(src, """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <fcntl.h>
        #include <sched.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int main(void) {
            for (int fd = 3; fd < 4096; fd++) if (fcntl(fd, F_GETFD) >= 0) printf("open-fd %d\\n", fd);
            long r = syscall(SYS_keyctl, 0, -3, 0);
            printf("keyctl %s\\n", r < 0 ? strerror(errno) : "allowed");
            r = syscall(SYS_unshare, CLONE_NEWUSER);
            printf("unshare %s\\n", r < 0 ? strerror(errno) : "allowed");
            return 0;
        }
        """)
        try Command.check(["cc", "-static", "-O1", "-o", path, src])
        unlink(src)
    }

    var env: [String: String] { cli.env.merging(["BERTH_NAMESPACE": ns]) { $1 } }

    @discardableResult
    func berth(_ args: [String], stdin: Data? = nil) throws -> CommandResult {
        try Command.run([BuiltProducts.berth] + args, stdin: stdin, environment: env)
    }

    @discardableResult
    func check(_ args: [String]) throws -> String {
        let r = try berth(args)
        guard r.succeeded else { throw BerthError.internal("berth \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)") }
        return r.stdout
    }

    /// `berth run --rm --rootfs <busybox> [flags] CMD...`
    func run(_ flags: [String] = [], _ cmd: [String]) throws -> CommandResult {
        try berth(["run", "--rm", "--rootfs", rootfs] + flags + cmd)
    }

    func core() throws -> BerthCore { try tmp.core() }

    /// Starts `berth run --rm --name NAME --rootfs <busybox> sh -c SCRIPT` without waiting.
    func startRun(_ name: String, _ script: String, stdout: Any) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltProducts.berth)
        p.arguments = ["run", "--rm", "--name", name, "--rootfs", rootfs, "sh", "-c", script]
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.standardOutput = stdout
        try p.run()
        return p
    }

    /// What may leak: mounts under the root, this namespace's cgroups, live shims of this
    /// root, task bundles.
    struct Leftovers: Equatable, CustomStringConvertible {
        var mounts: [String]
        var cgroups: [String]
        var shims: [Int32]
        var bundles: [String]
        var description: String { "mounts \(mounts), cgroups \(cgroups), shims \(shims), bundles \(bundles)" }
    }

    func leftovers() -> Leftovers {
        let mounts = ((try? FileSystem.readString("/proc/self/mountinfo")) ?? "").split(separator: "\n")
            .filter { $0.contains(tmp.dir) }.map(String.init)
        var cgroups: [String] = []
        for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            // The namespace's parent cgroup stays for its next container; a child is a leak.
            let dir = "/sys/fs/cgroup/\(controller)/berth/\(ns)"
            for child in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where FileSystem.isDirectory(dir + "/" + child) {
                cgroups.append(dir + "/" + child)
            }
        }
        var shims: [Int32] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let cmd = try? FileSystem.readFile("/proc/\(entry)/cmdline") else { continue }
            let s = String(decoding: cmd.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            if s.contains("berth-shim") && s.contains(tmp.paths.state) { shims.append(pid) }
        }
        let bundles = ((try? FileManager.default.contentsOfDirectory(atPath: tmp.paths.tasksDir + "/" + ns)) ?? []).sorted()
        return Leftovers(mounts: mounts, cgroups: cgroups.sorted(), shims: shims.sorted(), bundles: bundles)
    }

    func cleanup() {
        if let ids = try? check(["containers", "ls", "-q"]) {
            for id in ids.split(separator: "\n") { _ = try? berth(["containers", "rm", "--force", String(id)]) }
        }
        if let core = try? core(), let tasks = try? core.runtime.tasks(namespace: ns) {
            for t in tasks { _ = try? core.runtime.deleteTask(namespace: ns, id: t.id, force: true) }
        }
        for pid in leftovers().shims { kill(pid, SIGKILL) }
        for line in leftovers().mounts {
            let f = line.split(separator: " ")
            if f.count > 4 { umount2(String(f[4]), Int32(MNT_DETACH)) }
        }
        if let cgroups = try? CgroupHierarchy.host.get() { cgroups.removeNamespace(ns) }
        tmp.cleanup()
    }
}
