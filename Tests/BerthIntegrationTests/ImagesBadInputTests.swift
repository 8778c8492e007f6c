import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Every bad archive is refused with one line naming the culprit, a non-zero exit, and
/// nothing left behind: no image record, no blob, no ingest.
@Suite(.serialized) struct ImagesBadInputTests {
    func expectRejected(_ archive: String, _ extra: [String] = [], mentions culprit: String,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let tmp = try TempRoot("bad"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        let r = try cli.run(["images", "import"] + extra + [archive])
        #expect(r.status != 0, "import of a bad archive succeeded", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "want one line, got: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.hasPrefix("berth: "), sourceLocation: sourceLocation)
        #expect(r.stderr.contains(culprit), "\(r.stderr) does not name \(culprit)", sourceLocation: sourceLocation)
        #expect(try cli.imageNames().isEmpty, sourceLocation: sourceLocation)
        #expect(cli.blobs().isEmpty, "blobs left: \(cli.blobs())", sourceLocation: sourceLocation)
        #expect(cli.ingests().isEmpty, "ingests left: \(cli.ingests())", sourceLocation: sourceLocation)
        #expect(try cli.check(["leases", "ls", "-q"]).isEmpty, sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func truncatedArchive() throws {
        let s = try Scratch("trunc"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/l")
        b.add(try b.image(.host, files: ["big": String(repeating: "x", count: 200_000)], compression: .none), refName: "localhost/t:1")
        try b.tar(to: s.dir + "/full.tar")
        let bytes = try FileSystem.readFile(s.dir + "/full.tar")
        try FileSystem.writeAtomically(s.dir + "/cut.tar", Array(bytes.prefix(bytes.count / 2)))
        try expectRejected(s.dir + "/cut.tar", mentions: s.dir + "/cut.tar")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func blobDigestMismatch() throws {
        let s = try Scratch("digest"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/l")
        let liar = Digest.sha256(Array("something else".utf8))
        let layer = try b.blob(Array("not what the name says".utf8), mediaType: MediaType.ociLayer, named: liar)
        let config = try b.blob(try b.json(ImageConfig(architecture: Platform.host.architecture, os: "linux", rootfs: .init(diffIDs: [liar]))),
                                mediaType: MediaType.ociConfig)
        b.add(try b.blob(try b.json(Manifest(config: config, layers: [layer])), mediaType: MediaType.ociManifest), refName: "localhost/d:1")
        try b.tar(to: s.dir + "/a.tar")
        try expectRejected(s.dir + "/a.tar", mentions: liar.encoded)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func blobSizeMismatch() throws {
        let s = try Scratch("size"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/l")
        var m = try b.image(.host, files: ["a": "a"])
        m.size += 1
        b.add(m, refName: "localhost/s:1")
        try b.tar(to: s.dir + "/a.tar")
        try expectRejected(s.dir + "/a.tar", mentions: m.digest.description)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func manifestPointsAtMissingBlob() throws {
        let s = try Scratch("missing"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/l")
        let m = try b.image(.host, files: ["a": "a"])
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(try FileSystem.readFile(b.dir + "/blobs/sha256/" + m.digest.encoded)))
        unlink(b.dir + "/blobs/sha256/" + manifest.layers[0].digest.encoded)
        b.add(m, refName: "localhost/m:1")
        try b.tar(to: s.dir + "/a.tar")
        try expectRejected(s.dir + "/a.tar", mentions: manifest.layers[0].digest.description)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func invalidJSON() throws {
        let s = try Scratch("json"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/l")
        b.add(try b.image(.host, files: ["a": "a"]), refName: "localhost/j:1")
        try b.tar(to: s.dir + "/a.tar", indexJSON: Array(#"{"schemaVersion":2,"manifests":[{"#.utf8))
        try expectRejected(s.dir + "/a.tar", mentions: "index.json")

        let s2 = try Scratch("json2"); defer { s2.cleanup() }
        let b2 = try LayoutBuilder(s2.dir + "/l")
        let bad = try b2.blob(Array("{not json".utf8), mediaType: MediaType.ociManifest)
        b2.add(bad, refName: "localhost/j:2")
        try b2.tar(to: s2.dir + "/a.tar")
        try expectRejected(s2.dir + "/a.tar", mentions: bad.digest.description)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func unknownMediaType() throws {
        let s = try Scratch("media"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/l")
        b.add(try b.image(.host, files: ["a": "a"], layerMediaType: "application/x-strange"), refName: "localhost/u:1")
        try b.tar(to: s.dir + "/a.tar")
        try expectRejected(s.dir + "/a.tar", mentions: "application/x-strange")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func noManifestForPlatform() throws {
        let s = try Scratch("platform"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/l")
        b.add(try b.image(foreignPlatform, files: ["a": "a"]), refName: "localhost/p:1")
        try b.tar(to: s.dir + "/a.tar")
        try expectRejected(s.dir + "/a.tar", mentions: Platform.host.description)
        try expectRejected(s.dir + "/a.tar", ["--platform", "linux/s390x"], mentions: "linux/s390x")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func invalidReference() throws {
        let s = try Scratch("ref"); defer { s.cleanup() }
        let b = try LayoutBuilder(s.dir + "/l")
        b.add(try b.image(.host, files: ["a": "a"]), refName: "example.com/UPPER/case:1")
        try b.tar(to: s.dir + "/a.tar")
        try expectRejected(s.dir + "/a.tar", mentions: "example.com/UPPER/case:1")
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func notAnImageArchive() throws {
        let s = try Scratch("none"); defer { s.cleanup() }
        try FileSystem.makeDirectories(s.dir + "/x")
        try FileSystem.writeAtomically(s.dir + "/x/readme", "hello")
        try Command.check(["tar", "-C", s.dir + "/x", "-cf", s.dir + "/a.tar", "."])
        try expectRejected(s.dir + "/a.tar", mentions: "index.json")
        try expectRejected(s.dir + "/missing.tar", mentions: s.dir + "/missing.tar")
    }
}
