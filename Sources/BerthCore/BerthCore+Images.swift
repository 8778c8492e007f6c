import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
import Foundation

/// Image, content and lease operations for front ends: each removal is followed by a
/// garbage collection, as the CLI and the UI want it.
extension BerthCore {
    public func listImages(namespace: String) throws(BerthError) -> [ImageRecord] {
        try images.list(namespace: namespace)
    }

    public func inspectImage(namespace: String, _ name: String) throws(BerthError) -> ImageDetails {
        try images.inspect(namespace: namespace, name)
    }

    /// Imports an OCI layout or docker-save archive, then collects what no image needs
    /// (other platforms' blobs, docker's v1 files; everything, when the import failed).
    public func importImages(namespace: String, from source: ImportSource, options: ImportOptions = ImportOptions(),
                             progress: (@Sendable (ImportProgress) -> Void)? = nil) throws(BerthError) -> [ImportedImage] {
        do {
            let out = try images.importArchive(namespace: namespace, from: source, options: options, progress: progress)
            try unpackImported(namespace: namespace, out, options: options)
            _ = try? garbageCollect()
            return out
        } catch {
            _ = try? garbageCollect()
            throw error
        }
    }

    /// Makes a single-layer image from a root filesystem and, unless `unpack` is false,
    /// unpacks it, as an archive import does.
    public func importRootfs(namespace: String, from path: String, name: String, platform: Platform = .host,
                             config: ImageConfig.Config? = nil, unpack: Bool = true,
                             snapshotter: String? = nil) throws(BerthError) -> ImportedImage {
        do {
            let out = try images.importRootfs(namespace: namespace, from: path, name: name, platform: platform, config: config)
            if unpack { _ = try unpackImage(namespace: namespace, out.name, platform: platform, snapshotter: snapshotter) }
            _ = try? garbageCollect()
            return out
        } catch {
            _ = try? garbageCollect()
            throw error
        }
    }

    /// `berth demo`: nil when the demo image already exists.
    /// The demo image is unpacked at once, so it is ready to run and its chain shows.
    /// The name `berth demo` gives the image it makes.
    public static let demoImageName = ImageService.demoImageName

    public func createDemoImage(namespace: String) throws(BerthError) -> ImportedImage? {
        guard let image = try images.createDemoImage(namespace: namespace) else { return nil }
        _ = try unpackImage(namespace: namespace, image.name)
        return image
    }

    public func tagImage(namespace: String, _ source: String, as name: String) throws(BerthError) -> ImageRecord {
        try images.tag(namespace: namespace, source, as: name)
    }

    /// Removes images and collects their content; returns the names removed and the GC report.
    public func removeImages(namespace: String, _ names: [String]) throws(BerthError) -> (removed: [String], gc: GCReport) {
        let removed = try images.remove(namespace: namespace, names)
        return (removed, try garbageCollect())
    }

    public func exportImages(namespace: String, _ names: [String], to fd: Int32, outName: String, platforms: [Platform]? = nil,
                             progress: (@Sendable (ImportProgress) -> Void)? = nil) throws(BerthError) {
        try images.export(namespace: namespace, names: names, to: fd, outName: outName, platforms: platforms, progress: progress)
    }

    public func removeContent(namespace: String, _ digests: [Digest]) throws(BerthError) -> GCReport {
        for d in digests { try contentStore.remove(namespace: namespace, d) }
        return try garbageCollect()
    }

    public func removeLeases(namespace: String, _ ids: [String]) throws(BerthError) -> GCReport {
        for id in ids { try images.leases.delete(namespace: namespace, id: id) }
        return try garbageCollect()
    }
}
