import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// `berth demo` and `images import --rootfs`.
@Suite(.serialized) struct ImagesDemoTests {
    func layerListing(_ cli: BerthCLI, _ image: String) throws -> String {
        let d: ImageDetails = try JSONDecoder.iso.decode(ImageDetails.self, from: Data(try cli.check(["images", "inspect", "--format", "json", image]).utf8))
        let layer = try #require(d.manifests.first?.layers.first)
        let s = try Scratch("layer"); defer { s.cleanup() }
        try Command.check(["sh", "-c", "\"$0\" content get \"$1\" > \"$2\"", BuiltProducts.berth, layer.digest.description, s.dir + "/l.tgz"],
                          environment: cli.env)
        return try Command.check(["tar", "-tvzf", s.dir + "/l.tgz"])
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func demoImage() throws {
        let tmp = try TempRoot("demo"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        #expect(try cli.check(["demo"]).hasPrefix("created localhost/busybox:latest"))
        #expect(try cli.check(["demo"]).contains("already exists"))
        #expect(try cli.imageNames() == ["localhost/busybox:latest"])
        // Unpacked at once: its one layer's chain is a committed snapshot, ready to run.
        let snapshots = try cli.check(["snapshots", "ls", "-q"]).split(separator: "\n")
        #expect(snapshots.count == 1 && snapshots.first?.hasPrefix("sha256:") == true)
        let d: ImageDetails = try JSONDecoder.iso.decode(ImageDetails.self, from: Data(try cli.check(["images", "inspect", "--format", "json", "localhost/busybox"]).utf8))
        #expect(d.manifests.first?.imageConfig.config?.Cmd == ["/bin/sh"])
        #expect(d.manifests.first?.platform.description == Platform.host.description)
        let listing = try layerListing(cli, "localhost/busybox:latest")
        #expect(listing.contains("bin/busybox"))
        #expect(listing.contains("bin/sh -> /bin/busybox"))
        #expect(listing.contains("drwxrwxrwt") && listing.contains("tmp"))
        for p in ["etc/passwd", "etc/group", "proc", "sys", "dev", "root"] { #expect(listing.contains(p)) }
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func rootfsFromDirectoryAndTar() throws {
        let s = try Scratch("rootfs"); defer { s.cleanup() }
        try FileSystem.makeDirectories(s.dir + "/fs/usr/share")
        try FileSystem.writeAtomically(s.dir + "/fs/usr/share/note", "from a directory\n")
        symlink("share/note", s.dir + "/fs/usr/link")
        let tmp = try TempRoot("rootfs"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        try cli.check(["images", "import", "--rootfs", s.dir + "/fs", "--no-unpack", "localhost/fromdir:1"])
        #expect(try cli.check(["snapshots", "ls", "-q"]).isEmpty)
        let l1 = try layerListing(cli, "localhost/fromdir:1")
        #expect(l1.contains("usr/share/note"))
        #expect(l1.contains("usr/link -> share/note"))
        #expect(!l1.contains(s.dir))

        try Command.check(["tar", "-C", s.dir + "/fs", "-czf", s.dir + "/fs.tgz", "."])
        try cli.check(["images", "import", "--rootfs", s.dir + "/fs.tgz", "localhost/fromtar:1"])
        #expect(try cli.check(["snapshots", "ls", "-q"]).split(separator: "\n").count == 1)
        #expect(try layerListing(cli, "localhost/fromtar:1").contains("usr/share/note"))

        let bad = try cli.run(["images", "import", "--rootfs", s.dir + "/nope", "localhost/x:1"])
        #expect(bad.status != 0 && bad.stderr.contains(s.dir + "/nope"))
        let badName = try cli.run(["images", "import", "--rootfs", s.dir + "/fs", "Not A Name"])
        #expect(badName.status != 0 && badName.stderr.contains("Not A Name"))
        #expect(try cli.imageNames() == ["localhost/fromdir:1", "localhost/fromtar:1"])
    }
}
