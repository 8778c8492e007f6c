import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// berth's exports are real OCI layouts: containerd imports them and skopeo inspects them.
@Suite(.serialized) struct ImagesExportTests {
    @Test(.enabled(if: Privilege.canRunRootTests))
    func exportImportsIntoContainerdAndPassesSkopeo() throws {
        let s = try Scratch("export"); defer { s.cleanup() }
        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        try cli.check(["demo"])
        let b = try LayoutBuilder(s.dir + "/l")
        b.add(try b.image(.host, files: ["etc/x": "x\n"], compression: .zstd), refName: "example.com/z:3")
        try b.tar(to: s.dir + "/z.tar")
        try cli.check(["images", "import", s.dir + "/z.tar"])
        let demo = try cli.check(["images", "ls", "--format", "json"])
        #expect(demo.contains("localhost/busybox:latest"))

        let out = s.dir + "/out.tar"
        try cli.check(["images", "export", out, "localhost/busybox:latest", "example.com/z:3"])
        let inspect = try Command.check(["skopeo", "inspect", "oci-archive:\(out):latest"])
        #expect(inspect.contains("\"Architecture\": \"\(Platform.host.architecture)\""))

        let c = try PrivateContainerd.start(); defer { c.stop() }
        try c.ctr(["images", "import", "--no-unpack", out])
        let listed = try c.ctr(["images", "ls", "-q"])
        #expect(listed.contains("localhost/busybox:latest"))
        #expect(listed.contains("example.com/z:3"))
        let bb = try cli.check(["images", "ls", "--format", "json"])
        let berthDigest = try #require(bb.range(of: "sha256:[0-9a-f]{64}", options: .regularExpression).map { String(bb[$0]) })
        #expect(try c.ctr(["images", "ls"]).contains(berthDigest))

        // And back: berth imports its own export into a fresh root with the same digests.
        let tmp2 = try TempRoot("img"); defer { tmp2.cleanup() }
        let cli2 = BerthCLI(tmp: tmp2)
        try cli2.check(["images", "import", out])
        #expect(try cli2.imageNames() == cli.imageNames())
        #expect(cli2.blobs() == cli.blobs())
    }
}
