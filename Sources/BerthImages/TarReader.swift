import BerthBase
import CArchive
import Foundation

/// One entry of a tar stream read by `TarReader`.
struct TarEntry {
    enum Kind { case file, directory, symlink, hardlink, other }
    /// The path without a leading `./` or `/`.
    var path: String
    var kind: Kind
    var size: Int64
    var mode: UInt32
    var linkTarget: String?
    var entry: OpaquePointer
}

/// Streams a tar archive (optionally gzip/zstd/xz compressed as a whole) with libarchive,
/// handing out each entry's data as the blocks libarchive already holds, so data is not
/// copied on its way to the hasher and the ingest file.
final class TarReader {
    private let archive: OpaquePointer
    let name: String
    private var closed = false

    init(fd: Int32, name: String) throws(BerthError) {
        guard let a = archive_read_new() else { throw .internal("archive_read_new failed") }
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        archive_read_support_format_gnutar(a)
        if archive_read_open_fd(a, fd, ContentStoreBuffer.size) != ARCHIVE_OK {
            let msg = Self.message(a)
            archive_read_free(a)
            throw .invalidArgument("\(name): \(msg)")
        }
        // Stored only once open: a throw after every property is set runs deinit, which
        // would free the archive a second time.
        archive = a
        self.name = name
    }

    deinit { archive_read_free(archive) }

    /// Bytes of the (compressed) input consumed so far, for progress.
    var bytesConsumed: Int64 { archive_filter_bytes(archive, -1) }

    func next() throws(BerthError) -> TarEntry? {
        var e: OpaquePointer?
        let r = archive_read_next_header(archive, &e)
        if r == ARCHIVE_EOF { return nil }
        guard r == ARCHIVE_OK || r == ARCHIVE_WARN, let e else {
            throw .invalidArgument("\(name): \(Self.message(archive))")
        }
        var path = archive_entry_pathname(e).map { String(cString: $0) } ?? ""
        path = Self.clean(path)
        let type = archive_entry_filetype(e)
        var kind: TarEntry.Kind
        var link: String?
        if let h = archive_entry_hardlink(e) {
            kind = .hardlink
            link = Self.clean(String(cString: h))
        } else {
            switch type {
            case 0o100000: kind = .file
            case 0o040000: kind = .directory
            case 0o120000:
                kind = .symlink
                link = archive_entry_symlink(e).map { String(cString: $0) }
            default: kind = .other
            }
        }
        return TarEntry(path: path, kind: kind, size: archive_entry_size(e), mode: UInt32(archive_entry_perm(e)),
                        linkTarget: link, entry: e)
    }

    /// Calls `body` with the entry's data in order, block by block; holes in sparse entries
    /// come as zeros.
    func readData(_ body: (UnsafeRawBufferPointer) throws(BerthError) -> Void) throws(BerthError) {
        var expected: Int64 = 0
        while true {
            var buf: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            let r = archive_read_data_block(archive, &buf, &size, &offset)
            if r == ARCHIVE_EOF { return }
            guard r == ARCHIVE_OK || r == ARCHIVE_WARN else {
                throw .invalidArgument("\(name): \(Self.message(archive))")
            }
            if offset > expected {
                try Self.zeros(count: offset - expected, body)
                expected = offset
            }
            if size > 0, let buf { try body(UnsafeRawBufferPointer(start: buf, count: size)) }
            expected += Int64(size)
        }
    }

    /// Reads a whole (small) entry into memory.
    func readAll(limit: Int64) throws(BerthError) -> [UInt8] {
        var out = [UInt8]()
        try readData { (b) throws(BerthError) in
            guard Int64(out.count + b.count) <= limit else { throw .invalidArgument("\(name): entry larger than \(limit) bytes") }
            out.append(contentsOf: b)
        }
        return out
    }

    func skipData() throws(BerthError) {
        if archive_read_data_skip(archive) != ARCHIVE_OK { throw .invalidArgument("\(name): \(Self.message(archive))") }
    }

    private static func zeros(count: Int64, _ body: (UnsafeRawBufferPointer) throws(BerthError) -> Void) throws(BerthError) {
        let chunk = [UInt8](repeating: 0, count: 1 << 16)
        var left = count
        while left > 0 {
            let n = Int(min(left, Int64(chunk.count)))
            let r = chunk.withUnsafeBytes { b in Result { () throws(BerthError) in try body(UnsafeRawBufferPointer(rebasing: b[0..<n])) } }
            try r.get()
            left -= Int64(n)
        }
    }

    static func clean(_ p: String) -> String {
        var s = Substring(p)
        while s.hasPrefix("./") || s.hasPrefix("/") { s = s.hasPrefix("./") ? s.dropFirst(2) : s.dropFirst() }
        while s.hasSuffix("/") { s = s.dropLast() }
        return String(s)
    }

    static func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "archive error \(archive_errno(a))"
    }
}

/// The I/O block size for archives: large, so read() calls and hashing calls stay cheap.
enum ContentStoreBuffer {
    static let size = 1 << 20
}
