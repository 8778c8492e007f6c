import BerthBase
import BerthMount
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

    /// Deletes everything in the tree (not the tree itself), without following symlinks or
    /// crossing mounts: what a failed layer wrote, before its snapshot is removed.
    public func discardContents() {
        for name in FileSystem.directoryEntries(root) ?? [] { try? FileSystem.removeTree(root + "/" + name) }
    }
}

/// What applying a layer found: the digest and size of the uncompressed tar stream.
public struct AppliedLayer: Sendable, Equatable {
    public var diffID: Digest
    public var size: Int64
}

/// Applies one OCI layer (tar, tar+gzip or tar+zstd, detected from the data) to a tree.
/// Two threads work on it at once: the layer's LayerStream decompresses the blob and
/// hashes the tar stream (the diff ID), the caller's thread parses the tar and writes
/// files; nothing is copied to disk but the files themselves. Every path is resolved
/// inside the target (see LayerWriter): an entry that would reach outside it fails the
/// whole layer.
public enum LayerApplier {
    /// `subject` names the layer in errors, e.g. `image "x": layer sha256:...`.
    public static func apply(blob: String, to target: ApplyTarget, subject: String) throws(BerthError) -> AppliedLayer {
        try apply(stream: LayerStream(blob: blob), to: target, subject: subject)
    }

    /// Applies a layer from its stream, starting the stream if it is not yet running.
    public static func apply(stream: LayerStream, to target: ApplyTarget, subject: String) throws(BerthError) -> AppliedLayer {
        stream.start()
        do {
            let writer = try LayerWriter(target: target, subject: subject)
            defer { writer.close() }
            try readTar(stream: stream, writer: writer, subject: subject)
            try writer.finish()
        } catch {
            // A decompression failure (corrupt gzip, say) is the cause of whatever the tar
            // reader then saw, so it is the one reported.
            if let cause = stream.stop() { throw cause.prefixed(subject) }
            throw error
        }
        do {
            return try stream.finish()
        } catch {
            throw error.prefixed(subject)
        }
    }

    private static func readTar(stream: LayerStream, writer: LayerWriter, subject: String) throws(BerthError) {
        guard let a = archive_read_new() else { throw .internal("\(subject): archive_read_new failed") }
        defer { archive_read_free(a) }
        archive_read_support_format_tar(a)
        guard stream.open(a) == ARCHIVE_OK else {
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

    static func errorString(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
    }
}

extension BerthError {
    func prefixed(_ subject: String) -> BerthError {
        var e = self
        e.message = "\(subject): \(message)"
        return e
    }
}
