import BerthContent
import BerthEvents
import BerthMetadata
import BerthRuntime
import BerthSnapshots
@testable import BerthCore
@testable import BerthImages
import BerthTestSupport
import Foundation
import Testing

/// containerd's GC semantics through BerthCore: roots, labels, leases, expiry.
@Suite struct GarbageCollectionTests {
    func put(_ core: BerthCore, _ ns: String, _ text: String, lease: String? = nil, labels: Labels = [:]) throws -> Digest {
        let w = try core.contentStore.writer(namespace: ns, ref: "t-\(text)", lease: lease)
        try w.write(Array(text.utf8))
        return try w.commit(labels: labels).digest
    }

    func onDisk(_ core: BerthCore, _ d: Digest) -> Bool { FileSystem.exists(core.contentStore.blobPath(d)) }

    @Test func unreferencedContentIsCollectedAndRootsAreKept() throws {
        let tmp = try TempRoot("gc"); defer { tmp.cleanup() }
        let core = try tmp.core()
        let loose = try put(core, "default", "loose")
        let rooted = try put(core, "default", "rooted", labels: [GCLabel.gcRoot: "yes"])
        let child = try put(core, "default", "child")
        let parent = try put(core, "default", "parent", labels: [GCLabel.contentPrefix + "l.0": child.description])
        try core.metadata.write { tx in
            try tx.images.put(ImageRecord(namespace: "default", name: "localhost/p:1", mediaType: MediaType.ociManifest,
                                                 digest: parent, size: 6))
        }
        let report = try core.garbageCollect()
        #expect(report.blobs == [loose])
        #expect(!onDisk(core, loose))
        for d in [rooted, child, parent] { #expect(onDisk(core, d)) }

        // Removing the image takes its manifest and, through the label, its layer.
        let (removed, gc) = try core.removeImages(namespace: "default", ["localhost/p:1"])
        #expect(removed == ["localhost/p:1"])
        #expect(Set(gc.blobs) == [parent, child])
        #expect(onDisk(core, rooted))
    }

    @Test func leasesProtectUntilRemovedOrExpired() throws {
        let tmp = try TempRoot("gc"); defer { tmp.cleanup() }
        let core = try tmp.core()
        let lease = try core.images.leases.create(namespace: "default", id: "work")
        let held = try put(core, "default", "held", lease: lease.id)
        #expect(try core.images.leases.resources(namespace: "default", id: "work") == [LeaseResource(kind: "content", id: held.description)])
        try core.garbageCollect()
        #expect(onDisk(core, held))
        let gc = try core.removeLeases(namespace: "default", ["work"])
        #expect(gc.blobs == [held])

        let short = try core.images.leases.create(namespace: "default", expiresIn: 0.05)
        let brief = try put(core, "default", "brief", lease: short.id)
        #expect(Command.waitUntil(timeout: 5) { Date() > short.expiresAt! })
        let r = try core.garbageCollect()
        #expect(r.leases == ["default/\(short.id)"])
        #expect(!onDisk(core, brief))
    }

    @Test func sharedBlobSurvivesWhileAnotherNamespaceReferencesIt() throws {
        let tmp = try TempRoot("gc"); defer { tmp.cleanup() }
        let core = try tmp.core()
        let a = try put(core, "a", "same")
        _ = try put(core, "b", "same", labels: [GCLabel.gcRoot: "1"])
        let r = try core.garbageCollect()
        #expect(r.content == ["a \(a)"])
        #expect(r.blobs.isEmpty)
        #expect(onDisk(core, a))
    }

    @Test func snapshotsFollowLabelsAndParents() throws {
        let tmp = try TempRoot("gc"); defer { tmp.cleanup() }
        let core = try tmp.core()
        try core.metadata.write { tx in
            try tx.namespaces.ensure("default")
            // Backend ids 1, 2, 3 in this order.
            for (key, parent) in [("base", nil), ("top", "base"), ("stray", nil)] as [(String, String?)] {
                _ = try tx.snapshots.create(.committed, snapshotter: "native", namespace: "default", key: key, parent: parent,
                                            labels: [:], at: Date())
            }
        }
        for id in 1...3 { try FileSystem.makeDirectories(tmp.paths.snapshotterDir("native") + "/\(id)/fs") }
        _ = try put(core, "default", "layer", labels: [GCLabel.snapshotPrefix + "native": "top", GCLabel.gcRoot: "x"])
        let r = try core.garbageCollect()
        #expect(r.snapshots.map(\.key) == ["stray"])
        #expect(!FileSystem.exists(tmp.paths.snapshotterDir("native") + "/3"))
        #expect(FileSystem.exists(tmp.paths.snapshotterDir("native") + "/1"))
    }

    @Test func dockerLayerCompressionFromMagic() {
        #expect(ImageService.dockerLayerType([0x1f, 0x8b, 8]) == MediaType.dockerLayerGzip)
        #expect(ImageService.dockerLayerType([0x28, 0xb5, 0x2f, 0xfd]) == MediaType.dockerLayerZstd)
        #expect(ImageService.dockerLayerType(Array("bin/".utf8)) == MediaType.dockerLayer)
    }
}

/// One rule decides what is referenced: a snapshot listed as unreferenced is exactly one that
/// `berth gc` removes.
@Suite struct ReferenceRuleTests {
    @Test func listingsCallUnreferencedExactlyWhatCollectionRemoves() throws {
        let tmp = try TempRoot("gcrule"); defer { tmp.cleanup() }
        let core = try tmp.core()
        let s = try core.snapshotter("native")
        func committed(_ name: String, parent: String? = nil, labels: Labels = [:]) throws {
            _ = try s.prepare(namespace: "default", key: name + "-active", parent: parent, labels: [:])
            try s.commit(namespace: "default", name: name, key: name + "-active", labels: labels)
        }
        // Reached from a root: kept, with the parent it stands on.
        try committed("base")
        try committed("rooted", parent: "base", labels: [GCLabel.gcRoot: "yes"])
        // A chain nothing reaches: the child names its parent, but neither is kept.
        try committed("loose-parent")
        _ = try s.prepare(namespace: "default", key: "loose-child", parent: "loose-parent", labels: [:])
        // Held by a live lease: kept; by an expired one: removed.
        for (key, expiry) in [("leased", 3600.0), ("lapsed", -60.0)] {
            let lease = try core.images.leases.create(namespace: "default", expiresIn: expiry)
            _ = try s.prepare(namespace: "default", key: key, parent: nil, labels: [:])
            try core.metadata.write { tx in
                try tx.leases.addResource(namespace: "default", lease: lease.id, LeaseResource(kind: LeaseStore.snapshotKind("native"), id: key))
            }
        }
        let listed = Set(try core.listSnapshots(namespace: "default", snapshotter: "native").filter(\.unreferenced).map(\.info.name))
        let removed = Set(try core.garbageCollect().snapshots.map(\.key))
        #expect(listed == ["loose-parent", "loose-child", "lapsed"])
        #expect(removed == listed)
    }
}
