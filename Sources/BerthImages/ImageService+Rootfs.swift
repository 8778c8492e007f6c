import BerthBase
import BerthContent
import BerthMetadata
import BerthOCI
import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ImageService {
    /// `berth images import --rootfs DIR|TAR NAME`: a single-layer image from a root file
    /// system, like `docker import`. A directory is archived with libarchive; a tar (plain or
    /// compressed) is copied entry by entry. The layer is stored gzip-compressed.
    public func importRootfs(namespace: String, from path: String, name: String, platform: Platform = .host,
                             config: ImageConfig.Config? = nil) throws(BerthError) -> ImportedImage {
        let isDir = FileSystem.isDirectory(path)
        guard isDir || FileSystem.exists(path) else { throw .notFound("root file system \(path) not found") }
        return try createSingleLayerImage(namespace: namespace, name: name, platform: platform, config: config,
                                          createdBy: "berth images import --rootfs") { (tar) throws(BerthError) in
            if isDir { try Self.archiveDirectory(path, into: tar) } else { try Self.copyTar(path, into: tar) }
        }
    }

    /// Builds a one-layer image whose layer `writeLayer` writes, under a lease, and records it
    /// once the layer, config and manifest are committed.
    func createSingleLayerImage(namespace: String, name: String, platform: Platform, config: ImageConfig.Config?,
                                       created: Date = Date(), createdBy: String,
                                       writeLayer: (TarWriter) throws(BerthError) -> Void) throws(BerthError) -> ImportedImage {
        let name = try Reference.normalize(name)
        let lease = try leases.create(namespace: namespace, expiresIn: 24 * 3600, labels: ["berth.io/import": name])
        defer { try? leases.delete(namespace: namespace, id: lease.id) }

        let writer = try content.writer(namespace: namespace, ref: "rootfs-\(UUID().uuidString.lowercased())", lease: lease.id)
        var diffID = SHA256Digester()
        let layerDigest: Digest, layerSize: Int64
        do throws(BerthError) {
            let gz = try GzipSink(into: ByteSink { (b) throws(BerthError) in try writer.write(b) })
            let tar = try TarWriter(name: "layer of \(name)", gzip: false, sink: ByteSink { (b) throws(BerthError) in
                diffID.update(b)
                try gz.write(b)
            })
            try writeLayer(tar)
            try tar.finish()
            try gz.finish()
            (layerDigest, layerSize) = try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
        let iso = ISO8601DateFormatter().string(from: created)
        let imageConfig = ImageConfig(architecture: platform.architecture, os: platform.os, variant: platform.variant,
                                      config: config, rootfs: .init(diffIDs: [diffID.finalize()]),
                                      history: [.init(created: iso, created_by: createdBy)], created: iso)
        let (configDigest, configSize) = try storeBytes(namespace: namespace, try Self.encodeJSON(imageConfig), lease: lease.id)
        let manifest = Manifest(config: Descriptor(mediaType: MediaType.ociConfig, digest: configDigest, size: configSize),
                                layers: [Descriptor(mediaType: MediaType.ociLayerGzip, digest: layerDigest, size: layerSize)])
        let (manifestDigest, manifestSize) = try storeBytes(namespace: namespace, try Self.encodeJSON(manifest), lease: lease.id)
        var resolved = ResolvedImport()
        resolved.gcLabels[manifestDigest] = [GCLabel.contentPrefix + "config": configDigest.description,
                                             GCLabel.contentPrefix + "l.0": layerDigest.description]
        resolved.images = [(name, Descriptor(mediaType: MediaType.ociManifest, digest: manifestDigest, size: manifestSize))]
        return try record(namespace: namespace, resolved)[0]
    }

    /// Archives a directory tree with libarchive's disk reader (owners, modes, xattrs), with
    /// paths relative to `dir` and without crossing into other mounts.
    static func archiveDirectory(_ dir: String, into tar: TarWriter) throws(BerthError) {
        guard let disk = archive_read_disk_new() else { throw .internal("archive_read_disk_new failed") }
        defer { archive_read_free(disk) }
        archive_read_disk_set_standard_lookup(disk)
        archive_read_disk_set_behavior(disk, Int32(ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS))
        guard archive_read_disk_open(disk, dir) == ARCHIVE_OK else { throw .invalidArgument("\(dir): \(TarReader.message(disk))") }
        let prefix = dir.hasSuffix("/") ? dir : dir + "/"
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buf.deallocate() }
        let entry = archive_entry_new()!
        defer { archive_entry_free(entry) }
        while true {
            archive_entry_clear(entry)
            let r = archive_read_next_header2(disk, entry)
            if r == ARCHIVE_EOF { break }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN else { throw .invalidArgument("\(dir): \(TarReader.message(disk))") }
            archive_read_disk_descend(disk)
            let full = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
            guard full.hasPrefix(prefix) else { continue }
            archive_entry_set_pathname(entry, String(full.dropFirst(prefix.count)))
            try tar.writeHeader(entry)
            if archive_entry_filetype(entry) == 0o100000 && archive_entry_size(entry) > 0 {
                while true {
                    let n = archive_read_data(disk, buf.baseAddress, buf.count)
                    if n < 0 { throw .invalidArgument("\(full): \(TarReader.message(disk))") }
                    if n == 0 { break }
                    try tar.writeData(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
                }
            }
        }
    }

    /// Copies every entry of a (possibly compressed) tar.
    static func copyTar(_ path: String, into tar: TarWriter) throws(BerthError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open", path) }
        defer { close(fd) }
        let reader = try TarReader(fd: fd, name: path)
        while let e = try reader.next() {
            try tar.writeHeader(e.entry)
            if e.kind == .file { try reader.readData { (b) throws(BerthError) in try tar.writeData(b) } }
        }
    }
}
