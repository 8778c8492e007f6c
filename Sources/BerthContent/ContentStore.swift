import BerthBase
import BerthMetadata
import BerthOCI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The content-addressable store: read-only blobs under `<root>/content/blobs/sha256/<hex>`,
/// shared on disk by every namespace, with per-namespace visibility in the metadata database
/// (a namespace sees a blob only when it has a `content` row for it).
///
/// Blob files are removed only when no namespace references them, under a root-wide lock
/// (`<root>/content/lock`): committers hold it shared while they rename a blob into place and
/// record its row, the sweeper holds it exclusive, so a concurrent import never loses a blob.
public final class ContentStore: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore

    public init(paths: BerthPaths, metadata: MetadataStore) {
        self.paths = paths
        self.metadata = metadata
    }

    public func blobPath(_ digest: Digest) -> String { paths.blobsDir + "/" + digest.encoded }
    var lockPath: String { paths.contentDir + "/lock" }

    /// The namespace's record of `digest`, or notFound.
    public func info(namespace: String, _ digest: Digest) throws(BerthError) -> ContentRecord {
        let r = try metadata.read { tx in try tx.content.get(namespace: namespace, digest: digest) }
        guard let r else { throw .notFound("content \(digest) not found in namespace \(namespace.debugDescription)") }
        return r
    }

    public func exists(namespace: String, _ digest: Digest) -> Bool {
        ((try? metadata.read { tx in try tx.content.size(namespace: namespace, digest: digest) }) ?? nil) != nil
    }

    public func list(namespace: String) throws(BerthError) -> [ContentRecord] {
        try metadata.read { tx in try tx.content.list(namespace: namespace) }
    }

    /// Sets labels on a blob the namespace sees; an empty value removes the label.
    public func setLabels(namespace: String, _ digest: Digest, _ changes: Labels) throws(BerthError) {
        for (k, v) in changes { try LabelRules.validate(k, v) }
        let found = try metadata.write { tx in try tx.content.setLabels(namespace: namespace, digest: digest, changes) }
        if !found { throw .notFound("content \(digest) not found in namespace \(namespace.debugDescription)") }
    }

    /// Opens a blob the namespace sees for reading; the caller closes the descriptor.
    public func openBlob(namespace: String, _ digest: Digest) throws(BerthError) -> Int32 {
        _ = try info(namespace: namespace, digest)
        let path = blobPath(digest)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open blob", path) }
        return fd
    }

    /// Reads a whole (small) blob, such as a manifest, index or config.
    public func readBlob(namespace: String, _ digest: Digest, limit: Int64 = 16 << 20) throws(BerthError) -> [UInt8] {
        guard let bytes = try readBlobIfPresent(namespace: namespace, digest, limit: limit) else {
            throw .notFound("content \(digest) not found in namespace \(namespace.debugDescription)")
        }
        return bytes
    }

    /// `readBlob`, or nil when the namespace holds no such blob (one lookup for both).
    public func readBlobIfPresent(namespace: String, _ digest: Digest, limit: Int64 = 16 << 20) throws(BerthError) -> [UInt8]? {
        let size = try metadata.read { tx in try tx.content.size(namespace: namespace, digest: digest) }
        return try readBlob(digest, size: size, limit: limit)
    }

    /// `readBlobIfPresent` inside the caller's read transaction `db`.
    public func readBlobIfPresent(_ tx: MetadataTransaction, namespace: String, _ digest: Digest, limit: Int64 = 16 << 20) throws -> [UInt8]? {
        try readBlob(digest, size: try tx.content.size(namespace: namespace, digest: digest), limit: limit)
    }

    private func readBlob(_ digest: Digest, size: Int64?, limit: Int64) throws(BerthError) -> [UInt8]? {
        guard let size else { return nil }
        guard size <= limit else { throw .failedPrecondition("blob \(digest) is \(size) bytes, more than \(limit) allowed here") }
        let bytes = try FileSystem.readFile(blobPath(digest))
        guard Int64(bytes.count) == size else { throw .internal("blob \(digest) on disk is \(bytes.count) bytes, want \(size)") }
        return bytes
    }

    /// Streams a blob to `fd` in large chunks.
    public func copyBlob(namespace: String, _ digest: Digest, to out: Int32, outName: String) throws(BerthError) {
        let fd = try openBlob(namespace: namespace, digest)
        defer { close(fd) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: ContentStore.bufferSize, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf.baseAddress, buf.count)
            if n < 0 { if errno == EINTR { continue }; throw .system("read blob", blobPath(digest)) }
            if n == 0 { return }
            try FileSystem.writeAll(out, UnsafeRawBufferPointer(rebasing: buf[0..<n]), path: outName)
        }
    }

    /// Removes the namespace's reference to a blob; the file goes once no namespace has one.
    public func remove(namespace: String, _ digest: Digest) throws(BerthError) {
        let found = try metadata.write { tx in try tx.content.delete(namespace: namespace, digest: digest) }
        guard found else { throw .notFound("content \(digest) not found in namespace \(namespace.debugDescription)") }
        _ = try deleteUnreferencedBlobs([digest])
    }

    /// Records that `namespace` sees a blob already on disk (another namespace or an earlier
    /// run put it there); false when the blob is not on disk. Holds the root lock shared so
    /// the sweeper cannot delete the file between the check and the row.
    public func adopt(namespace: String, _ digest: Digest, lease: String?, labels: Labels = [:]) throws(BerthError) -> Int64? {
        let lock = try ContentLock(path: lockPath, exclusive: false)
        defer { lock.release() }
        var st = stat()
        guard stat(blobPath(digest), &st) == 0 else { return nil }
        let size = Int64(st.st_size)
        try metadata.write { tx in
            try tx.content.upsert(namespace: namespace, digest: digest, size: size, labels: labels)
            if let lease { try tx.leases.addResource(namespace: namespace, lease: lease, LeaseResource(kind: LeaseStore.contentKind, id: digest.description)) }
        }
        return size
    }

    /// Deletes the blob files among `candidates` (or, with nil, every file in blobs/) that no
    /// namespace references, under the exclusive root lock; returns the digests deleted.
    public func deleteUnreferencedBlobs(_ candidates: [Digest]?) throws(BerthError) -> [Digest] {
        try FileSystem.makeDirectories(paths.blobsDir, mode: 0o711)
        let lock = try ContentLock(path: lockPath, exclusive: true)
        defer { lock.release() }
        let onDisk: [Digest]
        if let candidates {
            onDisk = candidates.filter { FileSystem.exists(blobPath($0)) }
        } else {
            onDisk = ((try? FileManager.default.contentsOfDirectory(atPath: paths.blobsDir)) ?? [])
                .compactMap { try? Digest("sha256:" + $0) }
        }
        guard !onDisk.isEmpty else { return [] }
        let referenced = try metadata.read { tx in try tx.content.allDigests() }
        var deleted: [Digest] = []
        for d in onDisk where !referenced.contains(d.description) {
            if unlink(blobPath(d)) == 0 { deleted.append(d) }
        }
        if !deleted.isEmpty { FileSystem.syncDirectory(paths.blobsDir) }
        return deleted.sorted()
    }

    /// Read and write chunk size: large enough that syscalls and hashing calls are cheap.
    public static let bufferSize = 1 << 20
}

/// flock(2) on the content lock file: shared for committers, exclusive for the sweeper.
final class ContentLock {
    private var fd: Int32

    init(path: String, exclusive: Bool) throws(BerthError) {
        try FileSystem.makeDirectories(FileSystem.parentDirectory(path), mode: 0o711)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system("open", path) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            if errno == EINTR { continue }
            let e = errno
            close(fd)
            throw .system("flock", path, errno: e)
        }
    }

    func release() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    deinit { release() }
}
