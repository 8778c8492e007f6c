import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
import BerthCore
import BerthTestSupport
import CBerthSys
import Foundation
import Testing

/// The device cgroup: a container may make any device node, but open only Docker's default
/// devices and those given with --device; --privileged opens anything.
@Suite(.serialized) struct RuntimeDevicesTests {
    /// Makes nodes of host devices outside the allowed list and reports what opening them did.
    static let forbiddenScript = """
    mknod /dev/vcs c 7 0 && echo mknod-vcs
    mknod /dev/loop0 b 7 0 && echo mknod-loop0
    for d in vcs loop0; do head -c1 /dev/$d > /dev/null 2>/tmp/err; echo "$d=$? $(cat /tmp/err)"; done
    echo x > /dev/vcs 2>/dev/null && echo wrote-vcs

    """

    @Test(.enabled(if: Privilege.canRunRootTests))
    func defaultContainerOpensOnlyTheDefaultDevices() throws {
        let f = try RuntimeFixture("dev"); defer { f.cleanup() }
        let r = try f.run([], ["sh", "-c", Self.forbiddenScript + """
        for d in null zero full random urandom; do head -c1 /dev/$d > /dev/null && echo ok-$d; done
        echo x > /dev/null && echo wrote-null
        """])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("mknod-vcs\n") && r.stdout.contains("mknod-loop0\n"), "mknod is allowed: \(r.stdout)")
        #expect(r.stdout.contains("vcs=1 head: /dev/vcs: Operation not permitted\n"), "\(r.stdout)")
        #expect(r.stdout.contains("loop0=1 head: /dev/loop0: Operation not permitted\n"), "\(r.stdout)")
        #expect(!r.stdout.contains("wrote-vcs"))
        for d in ["null", "zero", "full", "random", "urandom"] { #expect(r.stdout.contains("ok-\(d)\n"), "\(d): \(r.stdout)") }
        #expect(r.stdout.contains("wrote-null\n"))

        // A terminal: /dev/tty, the pty and a new one from /dev/ptmx.
        let t = try f.run(["-t"], ["sh", "-c", "echo hi > /dev/tty && echo tty-ok; tty; exec 3<>/dev/ptmx && echo ptmx-ok; " +
                                   "exec 4<$(tty) && echo > $(tty) && echo pts-ok"])
        #expect(t.status == 0, "\(t.stderr)")
        for marker in ["tty-ok", "ptmx-ok", "pts-ok", "/dev/pts/0"] { #expect(t.stdout.contains(marker), "\(marker): \(t.stdout)") }
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func privilegedOpensAnyDevice() throws {
        let f = try RuntimeFixture("devpriv"); defer { f.cleanup() }
        let r = try f.run(["--privileged"], ["sh", "-c", Self.forbiddenScript])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("vcs=0 \n") && r.stdout.contains("loop0=0 \n"), "\(r.stdout)")
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func deviceOptionMakesTheNodeAndAllowsIt() throws {
        let f = try RuntimeFixture("devopt"); defer { f.cleanup() }
        // A node of the host's "full" device made elsewhere, with its own mode and owner.
        let node = f.tmp.dir + "/myfull"
        #expect(mknod(node, S_IFCHR | 0o640, berth_makedev(1, 7)) == 0 && chown(node, 12, 34) == 0)
        let script = """
        ls -ln /dev/full2 /dev/loop-control /dev/lc | awk '{print $1, $3, $4, $5, $6, $NF}'
        head -c3 /dev/full2 | od -An -tx1
        echo x > /dev/full2 || echo write-full2-failed
        exec 3</dev/loop-control && echo opened-loop-control
        exec 4</dev/lc && echo read-lc
        echo x 2>/dev/null > /dev/lc || echo write-lc-denied
        """
        let r = try f.run(["--device", node + ":/dev/full2", "--device", "/dev/loop-control",
                           "--device", "/dev/loop-control:/dev/lc:r"], ["sh", "-c", script])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("crw-r----- 12 34 1, 7 /dev/full2\n"), "\(r.stdout)")
        #expect(r.stdout.contains("crw------- 0 0 10, 237 /dev/loop-control\n"), "\(r.stdout)")
        #expect(r.stdout.contains(" 00 00 00\n"), "\(r.stdout)")
        #expect(r.stdout.contains("write-full2-failed\n") && (r.stdout + r.stderr).contains("No space left on device"), "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("opened-loop-control\n") && r.stdout.contains("read-lc\n") && r.stdout.contains("write-lc-denied\n"), "\(r.stdout)")
        var st = stat()
        #expect(lstat(node, &st) == 0 && st.st_mode == S_IFCHR | 0o640 && st.st_uid == 12 && st.st_gid == 34 && st.st_rdev == berth_makedev(1, 7))
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func badDeviceValuesFailWithOneLine() throws {
        let f = try RuntimeFixture("devbad"); defer { f.cleanup() }
        let file = f.tmp.dir + "/plain"
        try FileSystem.writeAtomically(file, "x")
        for value in ["/nonexistent-device", file, "relative", "/dev/null:dev/x", "/dev/null:/dev/x:rwz",
                      "/dev/null:/dev/../x", "/dev/null:/dev/x:rw:extra", "/dev/null::r", ""] {
            let r = try f.run(["--device", value], ["true"])
            #expect(r.status == 125, "\(value): \(r.status)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].contains("--device") && lines[0].contains(value.debugDescription),
                    "\(value): \(r.stderr)")
        }
        #expect(try f.check(["containers", "ls", "-q"]).isEmpty)
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    /// cgroup v2 has no devices controller: a BPF program attached to the task's cgroup
    /// decides. This machine's v2 hierarchy is empty, but device programs attach to it.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func cgroupV2DeviceProgramDecidesForTheShimsInit() throws {
        let unified = "/sys/fs/cgroup/unified"
        let hasV2 = FileSystem.exists(unified + "/cgroup.procs")
        #expect(hasV2 || ProcessInfo.processInfo.environment["CI"] != "true", "no cgroup v2 hierarchy at \(unified)")
        guard hasV2 else { return }
        let hierarchy = CgroupHierarchy(mode: .v2(root: unified))
        for privileged in [false, true] {
            let s = try ShimFixture(); defer { s.cleanup() }
            var options = ContainerOptions()
            options.privileged = privileged
            let spec = try SpecGenerator.generate(id: "v2dev", namespace: "default", image: nil,
                                                  options: { var o = options; o.command = ["true"]; return o }())
            let group = hierarchy.cgroup(namespace: "v2test", id: "dev\(getpid())-\(privileged)")
            try group.create(resources: spec.linux?.resources)
            defer { try? group.destroy(); hierarchy.removeNamespace("v2test"); rmdir(unified + "/berth") }
            var conf = s.conf(["sh", "-c", "read x; " + Self.forbiddenScript + "head -c1 /dev/null && echo null-ok"])
            conf.add("cgroup-procs", all: group.procsFiles)
            #expect(try s.start(conf).hasPrefix("ok "))
            let c = try s.attachAndRelease()
            #expect(c.waitOutput { $0.contains("null-ok") })
            let out = c.outputText
            #expect(out.contains("mknod-vcs") && out.contains("null-ok"), "\(out)")
            if privileged {
                #expect(out.contains("vcs=0") && out.contains("loop0=0"), "privileged: \(out)")
            } else {
                #expect(out.contains("vcs=1 head: /dev/vcs: Operation not permitted") &&
                        out.contains("loop0=1 head: /dev/loop0: Operation not permitted"), "\(out)")
            }
        }
        #expect(!FileSystem.exists(unified + "/berth/v2test"))
    }
}
