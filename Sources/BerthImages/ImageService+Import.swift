import BerthBase
import BerthContent
import BerthMetadata
import BerthOCI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A regular file of the archive once in the content store.
struct ArchiveBlob {
    var digest: Digest
    var size: Int64
    /// The first bytes, to detect a docker-save layer's compression.
    var magic: [UInt8]
}

/// What one pass over an image archive found: small metadata files in memory, every other
/// regular file committed to the content store under the import's lease.
struct ArchiveScan {
    var metadataFiles: [String: [UInt8]] = [:]
    var blobs: [String: ArchiveBlob] = [:]
    var links: [String: String] = [:]

    func blob(_ path: String) -> ArchiveBlob? {
        var p = TarReader.clean(path)
        for _ in 0..<8 {
            if let b = blobs[p] { return b }
            guard let l = links[p] else { return nil }
            p = l
        }
        return nil
    }
}

extension ImageService {
    static let metadataFileNames: Set<String> = ["index.json", "oci-layout", "manifest.json", "repositories"]

    /// Imports the images of an OCI image-layout or docker-save archive. The whole import
    /// runs under a lease, and image records are written only once every blob they need is
    /// committed and verified, so a concurrent GC or a kill at any moment leaves the store
    /// consistent; running it again completes it. The caller runs GC afterwards, which
    /// removes what the archive held but no image needs (other platforms, docker's v1 files).
    public func importArchive(namespace: String, from source: ImportSource, options: ImportOptions = ImportOptions(),
                              progress: (@Sendable (ImportProgress) -> Void)? = nil) throws(BerthError) -> [ImportedImage] {
        try NamespaceName.validate(namespace)
        if let base = options.baseName { _ = try Reference.parse(base) }
        let lease = try leases.create(namespace: namespace, expiresIn: 24 * 3600, labels: ["berth.io/import": source.name])
        defer { try? leases.delete(namespace: namespace, id: lease.id) }
        let fd: Int32
        var total: Int64?
        switch source {
        case .file(let path):
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw .system("open", path) }
            var st = stat()
            if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { total = Int64(st.st_size) }
        case .descriptor(let d, _):
            fd = d
        }
        defer { if case .file = source { close(fd) } }
        let scan = try scanArchive(namespace: namespace, fd: fd, name: source.name, lease: lease.id, total: total, progress: progress)
        let resolved = try resolve(namespace: namespace, scan: scan, source: source.name, options: options, lease: lease.id)
        return try record(namespace: namespace, resolved)
    }

    /// One sequential pass over the archive, straight into the content store.
    func scanArchive(namespace: String, fd: Int32, name: String, lease: String, total: Int64?,
                     progress: (@Sendable (ImportProgress) -> Void)?) throws(BerthError) -> ArchiveScan {
        let reader = try TarReader(fd: fd, name: name)
        var scan = ArchiveScan()
        var lastReport = 0 as Int64
        func report(force: Bool = false) {
            guard let progress else { return }
            let b = reader.bytesConsumed
            if force || b - lastReport >= 4 << 20 { lastReport = b; progress(ImportProgress(bytes: b, total: total)) }
        }
        var sawEntry = false
        while let entry = try reader.next() {
            sawEntry = true
            switch entry.kind {
            case .symlink:
                if let t = entry.linkTarget {
                    let dir = (entry.path as NSString).deletingLastPathComponent
                    scan.links[entry.path] = TarReader.clean(((dir.isEmpty ? t : dir + "/" + t) as NSString).standardizingPath)
                }
                continue
            case .hardlink:
                if let t = entry.linkTarget { scan.links[entry.path] = t }
                continue
            case .file:
                break
            default:
                continue
            }
            if Self.metadataFileNames.contains(entry.path) {
                scan.metadataFiles[entry.path] = try reader.readAll(limit: 16 << 20)
                continue
            }
            do throws(BerthError) {
                scan.blobs[entry.path] = try ingestEntry(namespace: namespace, reader: reader, entry: entry, lease: lease, report: { report() })
            } catch {
                let detail = error.message.hasPrefix(name + ": ") ? String(error.message.dropFirst(name.count + 2)) : error.message
                throw BerthError(error.code, "\(name): \(entry.path): \(detail)")
            }
            report()
        }
        guard sawEntry else { throw .invalidArgument("\(name): empty archive") }
        report(force: true)
        return scan
    }

    /// Commits one archive entry to the content store. `blobs/sha256/<hex>` entries are
    /// checked against the digest their name promises and resume an interrupted earlier
    /// import; other files are hashed into whatever digest they have.
    private func ingestEntry(namespace: String, reader: TarReader, entry: TarEntry, lease: String,
                             report: () -> Void) throws(BerthError) -> ArchiveBlob {
        var expected: Digest?
        if entry.path.hasPrefix("blobs/sha256/") {
            let hex = String(entry.path.dropFirst("blobs/sha256/".count))
            do { expected = try Digest("sha256:" + hex) } catch {
                throw .invalidArgument("blob file name is not a sha256 digest")
            }
        }
        let ref = expected.map { "import-\($0)" } ?? "import-\(UUID().uuidString.lowercased())"
        let deadline = Date().addingTimeInterval(600)
        while true {
            if let expected, let size = try content.adopt(namespace: namespace, expected, lease: lease) {
                try reader.skipData()
                return ArchiveBlob(digest: expected, size: size, magic: [])
            }
            let writer: ContentWriter
            do {
                writer = try content.writer(namespace: namespace, ref: ref, expectedSize: entry.size, lease: lease)
            } catch where error.code == .locked && Date() < deadline {
                // Another import is writing this very blob: wait for it to commit or give up.
                usleep(50_000)
                continue
            }
            do throws(BerthError) {
                var skip = writer.offset
                var magic = [UInt8]()
                try reader.readData { (block) throws(BerthError) in
                    var b = block
                    if magic.count < 8 { magic += b.prefix(8 - magic.count) }
                    if skip > 0 {
                        let n = Int(min(skip, Int64(b.count)))
                        skip -= Int64(n)
                        b = UnsafeRawBufferPointer(rebasing: b[n...])
                    }
                    try writer.write(b)
                    report()
                }
                let (digest, size) = try writer.commit(size: entry.size, digest: expected)
                return ArchiveBlob(digest: digest, size: size, magic: magic)
            } catch {
                writer.abort()
                throw error
            }
        }
    }
}
