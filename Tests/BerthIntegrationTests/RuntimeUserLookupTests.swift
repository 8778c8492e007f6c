import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// A user named by the image (`User` in its config) or by `--user` is looked up in the
/// container's /etc/passwd and /etc/group, resolved beneath its root file system: a symlink
/// there can neither make berth read a host file nor block or exhaust it on a device, a FIFO,
/// a directory or a huge file. Each bad file fails the run at once with one line naming it,
/// and leaves no container, snapshot, mount, cgroup or process.
@Suite(.serialized, .enabled(if: Privilege.canRunRootTests))
struct RuntimeUserLookupTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        /// The image's /etc entries; @HOST@ is a host file that lists the user.
        var etc: String
        var user = "daemon"
        var says: String
        var description: String { name }
    }

    static let up = Array(repeating: "..", count: 30).joined(separator: "/")
    static let cases: [Case] = [
        .init(name: "passwd a symlink to /dev/zero", etc: "l('etc/passwd', '/dev/zero')",
              says: "unable to find user daemon: no matching entries in the container's /etc/passwd"),
        .init(name: "passwd a symlink to the image's /dev/zero", etc: "c('dev/zero', 1, 5); l('etc/passwd', '/dev/zero')",
              says: "the container's /etc/passwd is not a regular file"),
        .init(name: "passwd a FIFO", etc: "p('etc/passwd')", says: "the container's /etc/passwd is not a regular file"),
        .init(name: "passwd a directory", etc: "d('etc/passwd')", says: "the container's /etc/passwd is not a regular file"),
        .init(name: "passwd over 1 MiB", etc: "f('etc/passwd', b'daemon:x:1:1::/:/bin/sh\\n' + b'#' * (1 << 20))",
              says: "the container's /etc/passwd is larger than 1 MiB"),
        .init(name: "passwd an absolute symlink to a host file", etc: "l('etc/passwd', '@HOST@')",
              says: "unable to find user daemon: no matching entries in the container's /etc/passwd"),
        .init(name: "passwd a relative symlink to a host file", etc: "l('etc/passwd', '\(up)@HOST@')",
              says: "unable to find user daemon: no matching entries in the container's /etc/passwd"),
        .init(name: "passwd a symlink loop", etc: "l('etc/passwd', 'loop'); l('etc/loop', 'passwd')",
              says: "the container's /etc/passwd: "),
        .init(name: "group a FIFO", etc: "f('etc/passwd', b'daemon:x:1:1::/:/bin/sh\\n'); p('etc/group')",
              says: "the container's /etc/group is not a regular file"),
        .init(name: "group a symlink to a host file", etc: "f('etc/passwd', b'daemon:x:1:1::/:/bin/sh\\n'); l('etc/group', '@HOST@')",
              user: "daemon:hostgroup", says: "unable to find group hostgroup: no matching entries in the container's /etc/group"),
    ]

    /// A host file that would give the user and group ids berth must never use.
    static func hostFile(_ f: RuntimeFixture) throws -> String {
        let path = f.tmp.dir + "/host-passwd"
        try FileSystem.writeAtomically(path, "daemon:x:4242:4242::/:/bin/sh\nhostgroup:x:4242:daemon\n")
        return path
    }

    /// A busybox layer (shared by every image here) and an image of it plus `etc`.
    static func image(_ f: RuntimeFixture, _ name: String, etc: String, user: String?) throws -> String {
        let base = f.tmp.dir + "/busybox.tar"
        if !FileSystem.exists(base) {
            try TestLayer.make(base, """
            f('bin/busybox', open('/bin/busybox', 'rb').read(), mode=0o755)
            for a in ['sh', 'id', 'cat', 'sleep']: l('bin/' + a, 'busybox')
            d('etc'); d('proc'); d('sys'); d('dev'); d('tmp')
            """)
        }
        let layer = f.tmp.dir + "/\(UUID().uuidString).tar"
        try TestLayer.make(layer, etc.replacingOccurrences(of: "@HOST@", with: try hostFile(f)))
        let archive = layer + ".oci.tar"
        try LayoutBuilder.archive(archive, name: name, layers: [base, layer], config: .init(User: user, Cmd: ["id"]))
        try f.check(["images", "import", archive])
        return name
    }

    /// Runs berth, killing it if it has not finished by the deadline (a lookup that blocks
    /// or reads without end is a failure, not a hung test).
    struct Outcome { var status: Int32; var stdout: String; var stderr: String; var finished: Bool }

    static func runQuickly(_ f: RuntimeFixture, _ args: [String], deadline: Double = 20) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltProducts.berth)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(f.env) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let finished = Command.waitUntil(timeout: deadline) { !p.isRunning }
        if !finished { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return Outcome(status: p.terminationStatus,
                       stdout: String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                       stderr: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), finished: finished)
    }

    @Test(arguments: cases)
    func badUserDatabaseFailsTheRunAndLeavesNothing(_ c: Case) throws {
        let f = try RuntimeFixture("user")
        defer { f.cleanup() }
        let image = try Self.image(f, "localhost/user:1", etc: c.etc, user: c.user)
        let snapshots = try f.check(["snapshots", "ls", "-q"])
        let before = f.leftovers()
        for args in [["run", "--rm", image], ["run", image], ["run", "--rm", "--user", c.user, image, "id"]] {
            let r = try Self.runQuickly(f, args)
            #expect(r.finished, "\(args) still running after 20 s")
            #expect(r.status == 125, "\(args): \(r.status) \(r.stdout) \(r.stderr)")
            #expect(r.stderr.hasPrefix("berth: ") && r.stderr.filter { $0 == "\n" }.count == 1 && r.stderr.contains(c.says),
                    "\(args): \(r.stderr)")
            #expect(!r.stdout.contains("4242"))
            #expect(try f.check(["containers", "ls", "-q"]) == "")
            #expect(try f.check(["snapshots", "ls", "-q"]) == snapshots)
            #expect(f.leftovers() == before)
        }
    }

    /// RESOLVE_IN_ROOT: an absolute symlink means the container's own file, and resolves.
    @Test func aSymlinkInsideTheRootFileSystemResolves() throws {
        let f = try RuntimeFixture("user-ok")
        defer { f.cleanup() }
        let image = try Self.image(f, "localhost/user-ok:1", etc: """
        f('etc/real/passwd', b'daemon:x:1:2::/:/bin/sh\\n'); l('etc/passwd', '/etc/real/passwd')
        f('etc/real/group', b'daemon:x:2:\\nextra:x:7:daemon\\n'); l('etc/group', '../etc/./real/group')
        """, user: "daemon")
        let r = try Self.runQuickly(f, ["run", "--rm", image])
        #expect(r.finished && r.status == 0 && r.stdout == "uid=1(daemon) gid=2(daemon) groups=7(extra)\n", "\(r.stdout) \(r.stderr)")
        let named = try Self.runQuickly(f, ["run", "--rm", "--user", "daemon:extra", image])
        #expect(named.status == 0 && named.stdout.hasPrefix("uid=1(daemon) gid=7(extra)"), "\(named.stdout) \(named.stderr)")
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    /// `tasks exec --user` looks the user up the same way in the running container.
    @Test func execLooksTheUserUpBeneathTheRootFileSystem() throws {
        let f = try RuntimeFixture("user-exec")
        defer { f.cleanup() }
        let image = try Self.image(f, "localhost/user-exec:1", etc: "l('etc/passwd', '@HOST@')", user: nil)
        try f.check(["run", "-d", "--name", "c", image, "sleep", "100"])
        let running = f.leftovers()
        let r = try Self.runQuickly(f, ["tasks", "exec", "--user", "daemon", "c", "id"])
        #expect(r.finished && r.status != 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr == "berth: unable to find user daemon: no matching entries in the container's /etc/passwd\n", "\(r.stderr)")
        #expect(!r.stdout.contains("4242"))
        #expect(f.leftovers() == running)
    }
}
