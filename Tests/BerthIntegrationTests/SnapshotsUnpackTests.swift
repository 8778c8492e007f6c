import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Unpack through the CLI: bad layers, kill -9 mid-unpack and recovery, GC of snapshots.
@Suite(.serialized, .enabled(if: Privilege.canRunRootTests))
struct SnapshotsUnpackTests {
    /// An OCI archive of one image whose layers are the given blobs, with `diffIDs` in its config.
    func archive(_ dir: String, name: String, layers: [(bytes: [UInt8], mediaType: String)], diffIDs: [Digest]) throws -> String {
        let b = try LayoutBuilder(dir + "/layout-\(UUID().uuidString)")
        let ls = try layers.map { try b.blob($0.bytes, mediaType: $0.mediaType) }
        let config = try b.blob(try b.json(ImageConfig(architecture: Platform.host.architecture, os: "linux",
                                                       rootfs: .init(diffIDs: diffIDs))), mediaType: MediaType.ociConfig)
        b.add(try b.blob(try b.json(Manifest(config: config, layers: ls)), mediaType: MediaType.ociManifest), refName: name)
        let out = dir + "/\(UUID().uuidString).tar"
        try b.tar(to: out)
        return out
    }

    func gzip(_ path: String) throws -> [UInt8] {
        try Command.check(["gzip", "-n", "-k", "-f", path])
        return try FileSystem.readFile(path + ".gz")
    }

    @Test func badLayersFailNamingImageAndLayerAndLeaveNothing() throws {
        let t = try TempRoot("unpack-bad")
        defer { Mounts.unmountAll(under: t.dir); t.cleanup() }
        let cli = BerthCLI(tmp: t)
        let good = t.dir + "/good.tar"
        try TestLayer.make(good, "f('etc/hello', b'hello ' * 10000)")
        let plain = try FileSystem.readFile(good)
        var gz = try gzip(good)
        gz[gz.count / 2] ^= 0x55

        struct Case { var layer: [UInt8]; var type: String; var diffID: Digest; var says: String }
        let wrongDiff = Digest.sha256(Array("not this".utf8))
        let cases = [
            Case(layer: plain, type: MediaType.ociLayer, diffID: wrongDiff, says: "diff ID mismatch"),
            // A flipped byte breaks the deflate data or the member's CRC; were it to inflate
            // to other bytes of the right length, the diff ID would still catch it.
            Case(layer: gz, type: MediaType.ociLayerGzip, diffID: Digest.sha256(plain), says: "gzip|diff ID mismatch"),
            Case(layer: Array(plain[0..<3000]), type: MediaType.ociLayer, diffID: Digest.sha256(plain[0..<3000]), says: "truncated"),
        ]
        for (i, c) in cases.enumerated() {
            let name = "localhost/bad\(i):1"
            let a = try archive(t.dir, name: name, layers: [(c.layer, c.type)], diffIDs: [c.diffID])
            let r = try cli.run(["images", "import", a])
            #expect(r.status != 0)
            let line = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!line.contains("\n"))
            #expect(line.contains("image \"\(name)\"") && line.contains("layer \(Digest.sha256(c.layer))") && c.says.split(separator: "|").contains { line.contains($0) }, "\(line)")
            #expect(try cli.check(["snapshots", "ls", "-q"]).isEmpty)
            #expect(Mounts.mounts(under: t.paths.root).isEmpty)
        }
        // No snapshot directory is left either.
        let left = (try? FileManager.default.contentsOfDirectory(atPath: t.paths.snapshotterDir("overlayfs"))) ?? []
        #expect(left.isEmpty)
    }

    /// Layers decompress ahead of their turn, but are committed in order: a layer that
    /// fails leaves the layers below it committed and nothing above it, and the layers
    /// above (whose data was already decompressing) are not left half done.
    @Test func aFailingMiddleLayerLeavesNothingCommittedAboveIt() throws {
        let t = try TempRoot("unpack-middle")
        defer { Mounts.unmountAll(under: t.dir); t.cleanup() }
        let cli = BerthCLI(tmp: t)
        try TestLayer.makeMany(t.dir + "/l%d.tar", count: 5, "f('layer%d' % i, b'content %d ' % i * 50000)")
        let plain = try (0..<5).map { try FileSystem.readFile(t.dir + "/l\($0).tar") }
        var gz = try (0..<5).map { try gzip(t.dir + "/l\($0).tar") }
        let diffIDs = plain.map { Digest.sha256($0) }
        let chain = ChainID.chain(diffIDs).map(\.description)

        // The whole image unpacks, each layer under its chain ID.
        let good = try archive(t.dir, name: "localhost/five:1", layers: gz.map { ($0, MediaType.ociLayerGzip) }, diffIDs: diffIDs)
        try cli.check(["images", "import", good])
        #expect(try cli.check(["snapshots", "ls", "-q"]).split(separator: "\n").map(String.init).sorted() == chain.sorted())
        let m = t.dir + "/m"
        try FileSystem.makeDirectories(m)
        try cli.check(["images", "mount", "localhost/five:1", m])
        #expect(try FileSystem.readString(m + "/layer0").hasPrefix("content 0 "))
        #expect(try FileSystem.readString(m + "/layer4").hasPrefix("content 4 "))
        try cli.check(["images", "unmount", m])
        try cli.check(["images", "rm", "localhost/five:1"])
        try cli.check(["gc"])
        #expect(try cli.check(["snapshots", "ls", "-q"]).isEmpty)

        // The third layer's gzip data is cut short.
        gz[2] = Array(gz[2][0..<(gz[2].count / 2)])
        let bad = try archive(t.dir, name: "localhost/five:2", layers: gz.map { ($0, MediaType.ociLayerGzip) }, diffIDs: diffIDs)
        try cli.check(["images", "import", "--no-unpack", bad])
        let r = try cli.run(["images", "unpack", "localhost/five:2"])
        #expect(r.status != 0)
        let line = r.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.contains("image \"localhost/five:2\"") && line.contains("layer \(Digest.sha256(gz[2]))") && line.contains("gzip"), "\(line)")
        #expect(try cli.check(["snapshots", "ls", "-q"]).split(separator: "\n").map(String.init).sorted() == chain[0..<2].sorted())
        #expect(Mounts.mounts(under: t.paths.root).isEmpty)
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: t.paths.snapshotterDir("overlayfs"))) ?? []
        #expect(dirs.count == 2)
    }

    @Test func killDuringUnpackThenRecover() throws {
        let t = try TempRoot("unpack-kill")
        defer { Mounts.unmountAll(under: t.dir); t.cleanup() }
        let cli = BerthCLI(tmp: t)
        // Enough files that applying them takes a while.
        let big = t.dir + "/big.tar"
        try TestLayer.make(big, "f('bottom', b'lowest layer')\nfor i in range(3000): f('d%d/f%d' % (i % 30, i), bytes(65536))")
        let top = t.dir + "/top.tar"
        try TestLayer.make(top, "f('top', b'top')")
        let layers = [(try FileSystem.readFile(big), MediaType.ociLayer), (try FileSystem.readFile(top), MediaType.ociLayer)]
        let a = try archive(t.dir, name: "localhost/kill:1", layers: layers, diffIDs: layers.map { Digest.sha256($0.0) })
        try cli.check(["images", "import", "--no-unpack", a])

        let core = try t.core()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltProducts.berth)
        p.arguments = ["images", "unpack", "localhost/kill:1"]
        p.environment = cli.env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let extracting = try Command.waitUntil(timeout: 30, interval: 0.005) {
            try core.snapshotter().walk(namespace: "default").contains { $0.name.hasPrefix("extract-") }
        }
        #expect(extracting)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)

        // The next command removes the temporary snapshot and its directory.
        let listed = try cli.check(["snapshots", "ls", "-q"])
        #expect(!listed.contains("extract-"))
        #expect(try core.snapshotter().walk(namespace: "default").allSatisfy { $0.kind == .committed })
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: t.paths.snapshotterDir("overlayfs"))) ?? []
        #expect(dirs.count == (try core.snapshotter().walk(namespace: "default").count))

        // Running unpack again makes the image usable.
        try cli.check(["images", "unpack", "localhost/kill:1"])
        let m = t.dir + "/m"
        try FileSystem.makeDirectories(m)
        try cli.check(["images", "mount", "localhost/kill:1", m])
        defer { _ = try? cli.run(["images", "unmount", m]) }
        #expect(try FileSystem.readString(m + "/bottom") == "lowest layer")
        #expect(try FileSystem.readString(m + "/top") == "top")
    }

    @Test func aHundredAndThirtyLayerImageMounts() throws {
        let t = try TempRoot("unpack-130")
        defer { Mounts.unmountAll(under: t.dir); t.cleanup() }
        let cli = BerthCLI(tmp: t)
        try TestLayer.makeMany(t.dir + "/l%d.tar", count: 130, "f('layer%d' % i, b'content %d' % i)")
        let layers = try (0..<130).map { (try FileSystem.readFile(t.dir + "/l\($0).tar"), MediaType.ociLayer) }
        let a = try archive(t.dir, name: "localhost/tall:1", layers: layers, diffIDs: layers.map { Digest.sha256($0.0) })
        try cli.check(["images", "import", a])
        let m = t.dir + "/m"
        try FileSystem.makeDirectories(m)
        try cli.check(["images", "mount", "localhost/tall:1", m])
        defer { _ = try? cli.run(["images", "unmount", m]) }
        #expect(try FileSystem.readString(m + "/layer0") == "content 0")
        #expect(try FileSystem.readString(m + "/layer129") == "content 129")
        try cli.check(["images", "unmount", m])
        #expect(!Mount.isMountPoint(m))
    }

    @Test func removingTheImageAndCollectingRemovesItsSnapshots() throws {
        let t = try TempRoot("unpack-gc")
        defer { Mounts.unmountAll(under: t.dir); t.cleanup() }
        let cli = BerthCLI(tmp: t)
        let l = t.dir + "/l.tar"
        try TestLayer.make(l, "f('a', b'a')")
        let bytes = try FileSystem.readFile(l)
        let a = try archive(t.dir, name: "localhost/gc:1", layers: [(bytes, MediaType.ociLayer)], diffIDs: [Digest.sha256(bytes)])
        try cli.check(["images", "import", a])
        try cli.check(["gc"])
        #expect(try cli.check(["snapshots", "ls", "-q"]).split(separator: "\n") == [Substring(Digest.sha256(bytes).description)])
        // A snapshot nothing references is marked in the listing.
        try cli.check(["snapshots", "prepare", "loose"])
        let listing = try cli.check(["snapshots", "ls"])
        #expect(listing.split(separator: "\n").contains { $0.hasPrefix("loose ") && $0.contains("unreferenced") })
        try cli.check(["images", "rm", "localhost/gc:1"])
        try cli.check(["gc"])
        #expect(try cli.check(["snapshots", "ls", "-q"]).isEmpty)
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: t.paths.snapshotterDir("overlayfs"))) ?? []
        #expect(dirs.isEmpty)
    }
}
