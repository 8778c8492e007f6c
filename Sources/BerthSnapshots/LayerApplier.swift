import BerthBase
import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a layer goes: the tree it is written into and, for overlay, the parent trees
/// (topmost first) that the merged view would show beneath it. Derived from a snapshot's
/// mounts as containerd's applier does: a bind mount is the tree itself and deletes in
/// place; an overlay writes into its upper directory with overlay whiteouts.
public struct ApplyTarget: Sendable {
    public var root: String
    public var lowers: [String]
    public var overlayWhiteouts: Bool

    public init(root: String, lowers: [String] = [], overlayWhiteouts: Bool) {
        self.root = root
        self.lowers = lowers
        self.overlayWhiteouts = overlayWhiteouts
    }

    public init(mounts: [Mount]) throws(BerthError) {
        guard mounts.count == 1, let m = mounts.first, !m.isReadOnly else {
            throw .invalidArgument("cannot apply a layer to \(mounts.count) mounts or a read-only one: want one writable snapshot mount")
        }
        switch m.type {
        case "bind", "rbind":
            self.init(root: m.source, overlayWhiteouts: false)
        case "overlay":
            guard let upper = m.upperDir else { throw .invalidArgument("cannot apply a layer to an overlay without upperdir") }
            self.init(root: upper, lowers: m.lowerDirs, overlayWhiteouts: true)
        default:
            throw .invalidArgument("cannot apply a layer to a \(m.type) mount")
        }
    }
}

/// What applying a layer found: the digest and size of the uncompressed tar stream.
public struct AppliedLayer: Sendable, Equatable {
    public var diffID: Digest
    public var size: Int64
}

/// Applies one OCI layer (tar, tar+gzip or tar+zstd, detected from the data) to a tree.
/// Two threads work on it at once: one decompresses the blob and hashes the tar stream
/// (the diff ID), the other parses the tar and writes files; nothing is copied to disk
/// but the files themselves. Every path is resolved inside the target (see LayerWriter):
/// an entry that would reach outside it fails the whole layer.
public enum LayerApplier {
    /// `subject` names the layer in errors, e.g. `image "x": layer sha256:...`.
    public static func apply(blob: String, to target: ApplyTarget, subject: String) throws(BerthError) -> AppliedLayer {
        let blobFD = open(blob, O_RDONLY | O_CLOEXEC)
        guard blobFD >= 0 else { throw BerthError.system("open", blob).prefixed(subject) }
        var sv: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) == 0 else {
            close(blobFD)
            throw BerthError.system("socketpair", blob).prefixed(subject)
        }
        var bufSize: Int32 = 4 << 20
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufSize, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &bufSize, socklen_t(MemoryLayout<Int32>.size))
        shutdown(sv[0], Int32(SHUT_RD))

        let stage = Decompressor(blobFD: blobFD, outFD: sv[0], blob: blob)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { stage.run(); done.signal() }
        thread.stackSize = 1 << 20
        thread.start()

        var applyError: BerthError?
        do {
            let writer = try LayerWriter(target: target, subject: subject)
            defer { writer.close() }
            try readTar(fd: sv[1], writer: writer, subject: subject)
            try writer.finish()
        } catch {
            applyError = error
        }
        // Let the decompressor finish (it hashes what the tar reader did not need, such as
        // the end-of-archive padding) or, after a failure, stop at its next write.
        if applyError == nil { drain(sv[1]) }
        close(sv[1])
        done.wait()
        close(blobFD)
        if let e = stage.error { throw e.prefixed(subject) }
        if let applyError { throw applyError }
        return AppliedLayer(diffID: stage.digest.finalize(), size: stage.digest.count)
    }

    private static func readTar(fd: Int32, writer: LayerWriter, subject: String) throws(BerthError) {
        guard let a = archive_read_new() else { throw .internal("\(subject): archive_read_new failed") }
        defer { archive_read_free(a) }
        archive_read_support_format_tar(a)
        guard archive_read_open_fd(a, fd, 1 << 16) == ARCHIVE_OK else {
            throw .invalidArgument("\(subject): not a tar stream: \(errorString(a))")
        }
        var entry: OpaquePointer?
        while true {
            let r = archive_read_next_header(a, &entry)
            if r == ARCHIVE_EOF { return }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN, let entry else {
                throw .invalidArgument("\(subject): corrupt or truncated tar stream: \(errorString(a))")
            }
            try writer.apply(entry: entry, archive: a)
            if writer.endedEarly { return }
        }
    }

    private static func drain(_ fd: Int32) {
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { continue }
            if n < 0 && errno == EINTR { continue }
            return
        }
    }

    static func errorString(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
    }
}

/// The first stage: blob -> (gzip|zstd|none) -> socket, hashing the tar bytes on the way.
private final class Decompressor: @unchecked Sendable {
    let blobFD: Int32, outFD: Int32, blob: String
    var digest = SHA256Digester()
    var error: BerthError?

    init(blobFD: Int32, outFD: Int32, blob: String) {
        self.blobFD = blobFD
        self.outFD = outFD
        self.blob = blob
    }

    func run() {
        defer { close(outFD) }
        guard let a = archive_read_new() else { error = .internal("archive_read_new failed"); return }
        defer { archive_read_free(a) }
        archive_read_support_filter_gzip(a)
        archive_read_support_filter_zstd(a)
        archive_read_support_format_raw(a)
        archive_read_support_format_empty(a)
        guard archive_read_open_fd(a, blobFD, 1 << 20) == ARCHIVE_OK else {
            error = .invalidArgument("cannot read layer data: \(LayerApplier.errorString(a))")
            return
        }
        var entry: OpaquePointer?
        let h = archive_read_next_header(a, &entry)
        if h == ARCHIVE_EOF { return }
        guard h == ARCHIVE_OK || h == ARCHIVE_WARN else {
            error = .invalidArgument("cannot read layer data: \(LayerApplier.errorString(a))")
            return
        }
        let filter = archive_filter_count(a) > 1 ? String(cString: archive_filter_name(a, 0)) : "tar"
        let size = 1 << 20
        let buf = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = archive_read_data(a, buf, size)
            if n == 0 { return }
            if n < 0 {
                error = .invalidArgument("corrupt or truncated \(filter) data: \(LayerApplier.errorString(a))")
                return
            }
            digest.update(UnsafeRawBufferPointer(start: buf, count: n))
            var off = 0
            while off < n {
                let w = send(outFD, buf + off, n - off, Int32(MSG_NOSIGNAL))
                if w < 0 {
                    if errno == EINTR { continue }
                    return  // the tar reader stopped (and reports why)
                }
                off += w
            }
        }
    }
}

extension BerthError {
    func prefixed(_ subject: String) -> BerthError {
        var e = self
        e.message = "\(subject): \(message)"
        return e
    }
}
