import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Imports of archives made by skopeo, umoci and by hand, checked for names, digests,
/// media types and platforms.
@Suite(.serialized) struct ImagesImportTests {
    /// An umoci-made OCI layout with one gzip layer.
    func umociLayout(_ s: Scratch, tag: String = "v1") throws -> String {
        let layout = s.dir + "/umoci"
        try Command.check(["umoci", "init", "--layout", layout])
        try Command.check(["umoci", "new", "--image", "\(layout):\(tag)"])
        try FileSystem.makeDirectories(s.dir + "/rootfs/etc")
        try FileSystem.writeAtomically(s.dir + "/rootfs/etc/hello", "hello from umoci\n")
        try Command.check(["umoci", "insert", "--image", "\(layout):\(tag)", s.dir + "/rootfs/etc", "/etc"])
        return layout
    }

    func indexDigest(_ layout: String) throws -> Digest {
        let index: Index = try JSONDecoder().decode(Index.self, from: Data(try FileSystem.readFile(layout + "/index.json")))
        return index.manifests[0].digest
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func umociGzipLayout() throws {
        let s = try Scratch("umoci"); defer { s.cleanup() }
        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let layout = try umociLayout(s)
        try Command.check(["tar", "-C", layout, "-cf", s.dir + "/a.tar", "."])
        let cli = BerthCLI(tmp: tmp)
        try cli.check(["images", "import", "--base-name", "example.com/umoci/app", s.dir + "/a.tar"])
        #expect(try cli.imageNames() == ["example.com/umoci/app:v1"])
        let details: ImageDetails = try JSONDecoder.iso.decode(ImageDetails.self, from: Data(try cli.check(["images", "inspect", "--format", "json", "example.com/umoci/app:v1"]).utf8))
        #expect(details.image.digest == (try indexDigest(layout)))
        #expect(details.manifests.map(\.platform.description) == [Platform.host.description])
        #expect(details.manifests.first?.layers.first?.mediaType == MediaType.ociLayerGzip)
        #expect(cli.blobs().count == 3)
        // The manifest carries containerd's GC labels to its config and layer.
        let m = try #require(details.manifests.first)
        let info = try cli.check(["content", "info", "--format", "json", m.digest.description])
        #expect(info.contains("containerd.io/gc.ref.content.config"))
        #expect(info.contains("containerd.io/gc.ref.content.l.0"))
        // A tag-only ref.name without --base-name gets ctr's dated prefix.
        let tmp2 = try TempRoot("img"); defer { tmp2.cleanup() }
        let out = try BerthCLI(tmp: tmp2).check(["images", "import", s.dir + "/a.tar"])
        #expect(out.contains("docker.io/library/import-"))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func skopeoZstdLayoutAndDockerArchive() throws {
        let s = try Scratch("skopeo"); defer { s.cleanup() }
        let layout = try umociLayout(s)
        try Command.check(["skopeo", "copy", "-q", "--dest-compress-format", "zstd", "--dest-compress", "oci:\(layout):v1", "oci:\(s.dir)/z:v1"])
        try Command.check(["tar", "-C", s.dir + "/z", "-cf", s.dir + "/z.tar", "."])
        try Command.check(["skopeo", "copy", "-q", "oci:\(layout):v1", "docker-archive:\(s.dir)/d.tar:quay.io/team/tool:2.0"])

        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        try cli.check(["images", "import", "--base-name", "localhost/zstd", s.dir + "/z.tar"])
        let z = try cli.check(["images", "inspect", "--format", "json", "localhost/zstd:v1"])
        #expect(z.contains(MediaType.ociLayerZstd))
        #expect(z.contains(try indexDigest(s.dir + "/z").description))

        try cli.check(["images", "import", s.dir + "/d.tar"])
        let d: ImageDetails = try JSONDecoder.iso.decode(ImageDetails.self, from: Data(try cli.check(["images", "inspect", "--format", "json", "quay.io/team/tool:2.0"]).utf8))
        #expect(d.image.mediaType == MediaType.dockerManifest)
        #expect(d.manifests.first?.config.mediaType == MediaType.dockerConfig)
        #expect(d.manifests.first?.layers.map(\.mediaType) == [MediaType.dockerLayer])
        #expect(try cli.imageNames() == ["localhost/zstd:v1", "quay.io/team/tool:2.0"])
        // docker's v1 files (<id>/json, VERSION) were collected; only what images need stays.
        let needed = Set(try cli.check(["content", "ls", "-q"]).split(separator: "\n").map { String($0.dropFirst(7)) })
        #expect(Set(cli.blobs()) == needed)
        #expect(cli.ingests().isEmpty)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func plainLayersAndMultiPlatformIndex() throws {
        let s = try Scratch("multi"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/layout")
        let host = try b.image(.host, files: ["etc/which": "host\n"], compression: .none)
        let other = try b.image(foreignPlatform, files: ["etc/which": "other\n"], compression: .zstd)
        var hostEntry = host; hostEntry.platform = .host
        var otherEntry = other; otherEntry.platform = foreignPlatform
        let idx = try b.indexBlob([hostEntry, otherEntry])
        b.add(idx, refName: "example.com/multi:1")
        try b.tar(to: s.dir + "/m.tar")

        // Default: the host's platform only; the other platform's blobs are collected.
        let t1 = try TempRoot("img"); defer { t1.cleanup() }
        let c1 = BerthCLI(tmp: t1)
        try c1.check(["images", "import", s.dir + "/m.tar"])
        let d1: ImageDetails = try JSONDecoder.iso.decode(ImageDetails.self, from: Data(try c1.check(["images", "inspect", "--format", "json", "example.com/multi:1"]).utf8))
        #expect(d1.image.digest == idx.digest)
        #expect(d1.platforms == [Platform.host.description])
        #expect(d1.manifests.first?.layers.first?.mediaType == MediaType.ociLayer)
        #expect(c1.blobs().count == 4)

        // --platform picks the other one; --all-platforms both.
        let t2 = try TempRoot("img"); defer { t2.cleanup() }
        let c2 = BerthCLI(tmp: t2)
        try c2.check(["images", "import", "--platform", foreignPlatform.description, s.dir + "/m.tar"])
        let d2 = try c2.check(["images", "ls", "--format", "json"])
        #expect(d2.contains(foreignPlatform.description) && !d2.contains("\"\(Platform.host.description)\""))
        let t3 = try TempRoot("img"); defer { t3.cleanup() }
        let c3 = BerthCLI(tmp: t3)
        try c3.check(["images", "import", "--all-platforms", s.dir + "/m.tar"])
        let d3: ImageDetails = try JSONDecoder.iso.decode(ImageDetails.self, from: Data(try c3.check(["images", "inspect", "--format", "json", "example.com/multi:1"]).utf8))
        #expect(Set(d3.platforms) == [Platform.host.description, foreignPlatform.description])
        #expect(c3.blobs().count == 7)
        // The index labels its manifests for GC.
        let info = try c3.check(["content", "info", "--format", "json", idx.digest.description])
        #expect(info.contains("containerd.io/gc.ref.content.m.0") && info.contains("containerd.io/gc.ref.content.m.1"))
    }

    /// docker save since Docker 25: an OCI layout plus manifest.json, the names in RepoTags.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func newerDockerSaveLayout() throws {
        let s = try Scratch("docker25"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/layout")
        let m = try b.image(.host, files: ["etc/os": "docker\n"], compression: .gzip)
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(try FileSystem.readFile(b.dir + "/blobs/sha256/" + m.digest.encoded)))
        b.index = [m]
        let entry: [[String: [String]]] = [[
            "RepoTags": ["registry.example:5000/ops/tool:7"],
            "Layers": manifest.layers.map { "blobs/sha256/" + $0.digest.encoded },
        ]]
        var json = String(decoding: try b.json(entry), as: UTF8.self)
        json = json.replacingOccurrences(of: "{\"Layers\"", with: "{\"Config\":\"blobs/sha256/\(manifest.config.digest.encoded)\",\"Layers\"")
        try FileSystem.writeAtomically(b.dir + "/manifest.json", json)
        try b.tar(to: s.dir + "/d.tar")
        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        try cli.check(["images", "import", s.dir + "/d.tar"])
        #expect(try cli.imageNames() == ["registry.example:5000/ops/tool:7"])
        let d: ImageDetails = try JSONDecoder.iso.decode(ImageDetails.self, from: Data(try cli.check(["images", "inspect", "--format", "json", "registry.example:5000/ops/tool:7"]).utf8))
        #expect(d.manifests.first?.layers.map(\.mediaType) == [MediaType.dockerLayerGzip])
        #expect(d.manifests.first?.layers.map(\.digest) == manifest.layers.map(\.digest))
    }

    /// On a terminal, import draws a progress line (bytes, rate) on stderr; not otherwise.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func progressLineOnlyOnATerminal() throws {
        let s = try Scratch("progress"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/layout")
        b.add(try b.image(.host, files: ["a": String(repeating: "p", count: 100_000)]), refName: "localhost/p:1")
        try b.tar(to: s.dir + "/p.tar")
        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        let plain = try cli.run(["images", "import", "--no-unpack", s.dir + "/p.tar"])
        #expect(plain.succeeded && plain.stderr.isEmpty)
        let tty = try Command.run(["script", "-qec", "\(BuiltProducts.berth) images import --no-unpack \(s.dir)/p.tar", "/dev/null"],
                                  environment: cli.env)
        #expect(tty.succeeded, "\(tty.stdout)")
        #expect(tty.stdout.contains("importing ") && tty.stdout.contains("/s"))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func importFromStdinAndRemoveCollects() throws {
        let s = try Scratch("stdin"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/layout")
        b.add(try b.image(.host, files: ["a": "a\n"]), refName: "localhost/stdin:1")
        try b.tar(to: s.dir + "/s.tar")
        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        let r = try cli.run(["images", "import", "-"], stdin: Data(try FileSystem.readFile(s.dir + "/s.tar")))
        #expect(r.succeeded, "\(r.stderr)")
        #expect(try cli.imageNames() == ["localhost/stdin:1"])
        try cli.check(["images", "tag", "localhost/stdin:1", "localhost/other:2"])
        try cli.check(["images", "rm", "localhost/stdin:1"])
        #expect(cli.blobs().count == 3)
        try cli.check(["images", "rm", "localhost/other:2"])
        #expect(cli.blobs().isEmpty)
        #expect(try cli.check(["content", "ls", "-q"]).isEmpty)
    }
}

extension JSONDecoder {
    static var iso: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
