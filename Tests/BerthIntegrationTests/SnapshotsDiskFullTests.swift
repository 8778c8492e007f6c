@testable import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// A disk that fills while an image comes in (its blobs, or its layers being unpacked) gives
/// one error line saying so, a non-zero exit, and leaves nothing half made: no snapshot
/// record or directory, no ingest, no lease, no mount.
@Suite(.serialized, .enabled(if: Privilege.canRunRootTests))
struct SnapshotsDiskFullTests {
    /// A berth root on an 8 MiB tmpfs of its own, unmounted by cleanup().
    struct SmallRoot {
        let t: TempRoot
        let cli: BerthCLI

        init() throws {
            t = try TempRoot("diskfull")
            cli = BerthCLI(tmp: t)
            try FileSystem.makeDirectories(t.paths.root)
            try Command.check(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", t.paths.root])
        }

        func cleanup() {
            Mounts.unmountAll(under: t.dir)
            t.cleanup()
        }

        func expectFullDiskError(_ r: CommandResult, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(r.status != 0, sourceLocation: sourceLocation)
            #expect(r.stderr.hasPrefix("berth: ") && r.stderr.filter { $0 == "\n" }.count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
            #expect(r.stderr.contains("No space left on device"), "\(r.stderr)", sourceLocation: sourceLocation)
        }

        /// Nothing of an unpack or import is left. Looked at before any other berth command
        /// runs its start-up recovery, which would tidy up what a failed one left behind.
        func expectNothingLeft(keeping kept: [String] = [], snapshotter: String = "overlayfs",
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
            let snapshotDirs = (FileSystem.directoryEntries(t.paths.snapshotterDir(snapshotter)) ?? []).filter { $0 != "spare" }
            #expect(snapshotDirs.count == kept.count, "snapshot directories: \(snapshotDirs)", sourceLocation: sourceLocation)
            #expect(cli.ingests().isEmpty, "ingests left: \(cli.ingests())", sourceLocation: sourceLocation)
            #expect(Mounts.mounts(under: t.paths.root) == [t.paths.root], sourceLocation: sourceLocation)
            let core = try BerthCore(paths: t.paths, deferringRecovery: true)
            #expect(try core.snapshotter(snapshotter).walk(namespace: "default").map(\.name) == kept, sourceLocation: sourceLocation)
            #expect(try core.images.leases.list(namespace: "default").map(\.id) == [], sourceLocation: sourceLocation)
            #expect(try cli.check(["snapshots", "ls", "-q", "--snapshotter", snapshotter]) == kept.map { $0 + "\n" }.joined(),
                    sourceLocation: sourceLocation)
            #expect(try cli.check(["leases", "ls", "-q"]) == "", sourceLocation: sourceLocation)
        }
    }

    /// A layer of 24 MiB of zeros: its gzip blob fits, its files do not.
    @Test func unpackFillingTheDiskLeavesNothing() throws {
        let s = try SmallRoot()
        defer { s.cleanup() }
        let layer = s.t.dir + "/zeros.tar"
        try TestLayer.make(layer, "f('small', b'x'); f('big', bytes(24 << 20))")
        try Command.check(["gzip", "-n", "-k", "-f", layer])
        let b = try LayoutBuilder(s.t.dir + "/layout")
        let blob = try b.blob(try FileSystem.readFile(layer + ".gz"), mediaType: MediaType.ociLayerGzip)
        let config = try b.blob(try b.json(ImageConfig(architecture: Platform.host.architecture, os: "linux",
                                                       rootfs: .init(diffIDs: [Digest.sha256(try FileSystem.readFile(layer))]))),
                                mediaType: MediaType.ociConfig)
        b.add(try b.blob(try b.json(Manifest(config: config, layers: [blob])), mediaType: MediaType.ociManifest), refName: "localhost/zeros:1")
        try b.tar(to: s.t.dir + "/zeros.oci.tar")

        try s.cli.check(["images", "import", "--no-unpack", s.t.dir + "/zeros.oci.tar"])
        let unpack = try s.cli.run(["images", "unpack", "localhost/zeros:1"])
        s.expectFullDiskError(unpack)
        #expect(unpack.stderr.contains("localhost/zeros:1") && unpack.stderr.contains(blob.digest.description), "\(unpack.stderr)")
        try s.expectNothingLeft()

        try s.cli.check(["images", "rm", "localhost/zeros:1"])
        s.expectFullDiskError(try s.cli.run(["images", "import", s.t.dir + "/zeros.oci.tar"]))
        try s.expectNothingLeft()
        // The space is free again: a small image still comes in and unpacks.
        let small = s.t.dir + "/small.tar"
        try TestLayer.make(small, "f('hello', b'hello')")
        try LayoutBuilder.archive(s.t.dir + "/small.oci.tar", name: "localhost/small:1", layers: [small])
        try s.cli.check(["images", "import", s.t.dir + "/small.oci.tar"])
        #expect(try s.cli.check(["snapshots", "ls", "-q"]).split(separator: "\n").count == 1)
    }

    /// A blob bigger than the disk, in an archive or made from a root file system tar: the
    /// import stops in the content store.
    @Test func importFillingTheDiskLeavesNothing() throws {
        let s = try SmallRoot()
        defer { s.cleanup() }
        let layer = s.t.dir + "/random.tar"
        try TestLayer.make(layer, "import os\nf('big', os.urandom(12 << 20))")
        try LayoutBuilder.archive(s.t.dir + "/random.oci.tar", name: "localhost/random:1", layers: [layer])
        for args in [["images", "import", s.t.dir + "/random.oci.tar"], ["images", "import", "--rootfs", layer, "localhost/random:2"]] {
            s.expectFullDiskError(try s.cli.run(args))
            try s.expectNothingLeft()
            #expect(try s.cli.imageNames().isEmpty)
            #expect(s.cli.blobs().isEmpty, "blobs left: \(s.cli.blobs())")
        }
    }

    /// The native snapshotter's copy of a parent layer fills the disk: the layer below
    /// stays committed, nothing of the one above is left.
    @Test func nativeCopyFillingTheDiskLeavesNothing() throws {
        let s = try SmallRoot()
        defer { s.cleanup() }
        let (bottom, top) = (s.t.dir + "/bottom.tar", s.t.dir + "/top.tar")
        try TestLayer.make(bottom, "import os\nf('big', os.urandom(3 << 20))")
        try TestLayer.make(top, "f('small', b'x')")
        try LayoutBuilder.archive(s.t.dir + "/two.oci.tar", name: "localhost/two:1", layers: [bottom, top])
        let r = try s.cli.run(["images", "import", "--snapshotter", "native", s.t.dir + "/two.oci.tar"])
        s.expectFullDiskError(r)
        let bottomChain = Digest.sha256(try FileSystem.readFile(bottom)).description
        try s.expectNothingLeft(keeping: [bottomChain], snapshotter: "native")
    }
}
