import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Read-only binds stay read-only below their submounts, and `images mount` never gives a
/// stranger's setuid file or device node its power on the host.
@Suite(.serialized) struct RuntimeMountsTests {
    typealias FileState = RuntimeFdLeakTests.FileState

    /// The mount options (mountinfo's sixth field) of the mount at `path` in `mountinfo`.
    static func options(of path: String, in mountinfo: String) -> [String]? {
        mountinfo.split(separator: "\n").last { $0.split(separator: " ").dropFirst(4).first.map(String.init) == path }
            .map { $0.split(separator: " ")[5].split(separator: ",").map(String.init) }
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func readOnlyBindIsReadOnlyBelowItsSubmounts() throws {
        let f = try RuntimeFixture("robind"); defer { f.cleanup() }
        let src = f.tmp.dir + "/src"
        try FileSystem.makeDirectories(src + "/sub")
        try FileSystem.writeAtomically(src + "/top", "top\n")
        #expect(mount("tmpfs", src + "/sub", "tmpfs", 0, "mode=755") == 0)
        defer { umount2(src + "/sub", Int32(MNT_DETACH)) }
        try FileSystem.writeAtomically(src + "/sub/below", "below\n")
        try FileSystem.makeDirectories(src + "/sub/dir")
        let paths = [src + "/top", src + "/sub/below", src + "/sub/dir"]
        let before = try paths.map(FileState.init)
        let script = """
        for p in /host/top /host/sub/below; do echo changed >> $p 2>/dev/null && echo "wrote $p"; done
        for p in /host/new /host/sub/new /host/sub/dir/new; do touch $p 2>/dev/null && echo "created $p"; done
        chmod 777 /host/sub/below 2>/dev/null && echo "chmod /host/sub/below"
        rm -r /host/sub/dir 2>/dev/null && echo "removed /host/sub/dir"
        cat /proc/self/mountinfo
        """
        for option in ["options=ro", "ro"] {
            let r = try f.run(["--mount", "type=bind,src=\(src),dst=/host,\(option)"], ["sh", "-c", script])
            #expect(r.status == 0, "\(r.stderr)")
            for verb in ["wrote", "created", "chmod", "removed"] { #expect(!r.stdout.contains(verb), "\(option): \(r.stdout)") }
            #expect(Self.options(of: "/host", in: r.stdout)?.contains("ro") == true, "\(r.stdout)")
            #expect(Self.options(of: "/host/sub", in: r.stdout)?.contains("ro") == true, "submount writable: \(r.stdout)")
        }
        #expect(try paths.map(FileState.init) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: src).sorted() == ["sub", "top"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: src + "/sub").sorted() == ["below", "dir"])
        // The host's own mounts are as they were: still writable there.
        #expect(Self.options(of: src + "/sub", in: try FileSystem.readString("/proc/self/mountinfo"))?.contains("rw") == true)
        #expect(umount2(src + "/sub", 0) == 0)
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    /// --read-only holds for the mounts a host directory rootfs brings along; the container's
    /// own mounts (/dev/shm, a writable bind) stay writable.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func readOnlyRootfsIsReadOnlyBelowItsSubmounts() throws {
        let f = try RuntimeFixture("rorootfs"); defer { f.cleanup() }
        let sub = f.rootfs + "/mnt/sub"
        try FileSystem.makeDirectories(sub)
        #expect(mount("tmpfs", sub, "tmpfs", 0, "mode=755") == 0)
        defer { umount2(sub, Int32(MNT_DETACH)) }
        try FileSystem.writeAtomically(sub + "/below", "below\n")
        let rw = f.tmp.dir + "/rw"
        try FileSystem.makeDirectories(rw)
        let before = try [sub + "/below", sub].map(FileState.init)
        let script = """
        echo changed >> /mnt/sub/below 2>/dev/null && echo "wrote below"
        touch /mnt/sub/new /top-new 2>/dev/null && echo "created"
        touch /dev/shm/ok /rw/ok && echo "own mounts writable"
        """
        let r = try f.run(["--read-only", "--mount", "type=bind,src=\(rw),dst=/rw"], ["sh", "-c", script])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("wrote") && !r.stdout.contains("created"), "\(r.stdout)")
        #expect(r.stdout.contains("own mounts writable\n"), "\(r.stdout) \(r.stderr)")
        #expect(try [sub + "/below", sub].map(FileState.init) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: sub) == ["below"])
        #expect(FileSystem.exists(rw + "/ok"))
        #expect(umount2(sub, 0) == 0)
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func imagesMountIsNosuidAndNodev() throws {
        let t = try TempRoot("mount-nosuid")
        defer { Mounts.unmountAll(under: t.dir); t.cleanup() }
        let cli = BerthCLI(tmp: t)
        let layer = t.dir + "/suid.tar"
        try TestLayer.make(layer, "f('bin/suid', b'#!/bin/sh\\nid\\n', mode=0o4755); c('dev/mem', 1, 1)")
        let plain = try FileSystem.readFile(layer)
        let b = try LayoutBuilder(t.dir + "/layout")
        let config = try b.blob(try b.json(ImageConfig(architecture: Platform.host.architecture, os: "linux",
                                                       rootfs: .init(diffIDs: [Digest.sha256(plain)]))), mediaType: MediaType.ociConfig)
        let manifest = Manifest(config: config, layers: [try b.blob(plain, mediaType: MediaType.ociLayer)])
        b.add(try b.blob(try b.json(manifest), mediaType: MediaType.ociManifest), refName: "localhost/suid:1")
        try b.tar(to: t.dir + "/suid-image.tar")
        try cli.check(["images", "import", t.dir + "/suid-image.tar"])
        for (name, flags) in [("ro", [String]()), ("rw", ["--rw"])] {
            let m = t.dir + "/m-" + name
            try FileSystem.makeDirectories(m)
            try cli.check(["images", "mount"] + flags + ["localhost/suid:1", m])
            var st = stat()
            #expect(stat(m + "/bin/suid", &st) == 0 && st.st_mode & 0o4000 != 0, "the setuid bit is in the image")
            let opts = try #require(Self.options(of: m, in: try FileSystem.readString("/proc/self/mountinfo")))
            #expect(opts.contains("nosuid") && opts.contains("nodev"), "\(name): \(opts)")
            #expect(opts.contains(name), "\(name): \(opts)")
            if lstat(m + "/dev/mem", &st) == 0 {
                #expect(open(m + "/dev/mem", O_RDONLY) == -1 && errno == EACCES, "a device node of the image opened")
            }
            try cli.check(["images", "unmount", m])
        }
        #expect(Mounts.mounts(under: t.dir).isEmpty)
    }
}
