import BerthBase
import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a `TarWriter` sends its bytes.
final class ByteSink {
    let write: (UnsafeRawBufferPointer) throws(BerthError) -> Void
    var error: BerthError?
    init(_ write: @escaping (UnsafeRawBufferPointer) throws(BerthError) -> Void) { self.write = write }

    /// Opens libarchive writer `a` onto this sink with 64 KiB blocks and no padding of the
    /// last one; a failed write is kept in `error` for the caller to report. `ref` keeps the
    /// sink alive while libarchive holds it.
    func open(_ a: OpaquePointer, ref: Unmanaged<ByteSink>) -> Int32 {
        archive_write_set_bytes_per_block(a, 1 << 16)
        archive_write_set_bytes_in_last_block(a, 1)
        return archive_write_open2(a, ref.toOpaque(), nil, { _, ctx, buf, n in
            let sink = Unmanaged<ByteSink>.fromOpaque(ctx!).takeUnretainedValue()
            do throws(BerthError) {
                try sink.write(UnsafeRawBufferPointer(start: buf, count: n))
                return n
            } catch {
                sink.error = error
                return -1
            }
        }, nil, nil)
    }
}

/// Writes a pax tar stream with libarchive, optionally gzip-compressed, to a sink.
final class TarWriter {
    private let archive: OpaquePointer
    private let sink: ByteSink
    private var sinkRef: Unmanaged<ByteSink>
    private var finished = false
    let name: String

    init(name: String, gzip: Bool, sink: ByteSink) throws(BerthError) {
        guard let a = archive_write_new() else { throw .internal("archive_write_new failed") }
        archive = a
        self.sink = sink
        self.name = name
        sinkRef = Unmanaged.passRetained(sink)
        archive_write_set_format_pax_restricted(a)
        if gzip {
            archive_write_add_filter_gzip(a)
            // Deterministic output: no timestamp or file name in the gzip header.
            archive_write_set_filter_option(a, "gzip", "timestamp", nil)
        }
        let r = sink.open(a, ref: sinkRef)
        guard r == ARCHIVE_OK else {
            let msg = TarReader.message(a)
            archive_write_free(a)
            sinkRef.release()
            throw .internal("\(name): \(msg)")
        }
    }

    deinit {
        archive_write_free(archive)
        sinkRef.release()
    }

    private func check(_ r: Int32, _ what: String) throws(BerthError) {
        guard r >= ARCHIVE_WARN else {
            if let e = sink.error { throw e }
            throw .internal("\(name): \(what): \(TarReader.message(archive))")
        }
    }

    /// Writes a header; `entry` comes from libarchive (another archive or a disk walk).
    func writeHeader(_ entry: OpaquePointer) throws(BerthError) {
        try check(archive_write_header(archive, entry), archive_entry_pathname(entry).map { String(cString: $0) } ?? "entry")
    }

    func writeData(_ bytes: UnsafeRawBufferPointer) throws(BerthError) {
        guard bytes.count > 0 else { return }
        let n = archive_write_data(archive, bytes.baseAddress, bytes.count)
        if n < 0 { try check(Int32(n), "data") }
    }

    /// A new entry owned by the caller for one header.
    func entry(path: String, type: UInt32, mode: UInt32, size: Int64 = 0, mtime: Int = 0) -> OpaquePointer {
        let e = archive_entry_new()!
        archive_entry_set_pathname(e, path)
        archive_entry_set_filetype(e, type)
        archive_entry_set_perm(e, mode_t(mode))
        archive_entry_set_size(e, size)
        archive_entry_set_mtime(e, mtime, 0)
        archive_entry_set_uid(e, 0)
        archive_entry_set_gid(e, 0)
        return e
    }

    func addDirectory(_ path: String, mode: UInt32 = 0o755) throws(BerthError) {
        let e = entry(path: path, type: 0o040000, mode: mode)
        defer { archive_entry_free(e) }
        try writeHeader(e)
    }

    func addSymlink(_ path: String, target: String) throws(BerthError) {
        let e = entry(path: path, type: 0o120000, mode: 0o777)
        defer { archive_entry_free(e) }
        archive_entry_set_symlink(e, target)
        try writeHeader(e)
    }

    func addFile(_ path: String, mode: UInt32 = 0o644, bytes: [UInt8]) throws(BerthError) {
        let e = entry(path: path, type: 0o100000, mode: mode, size: Int64(bytes.count))
        defer { archive_entry_free(e) }
        try writeHeader(e)
        let r = bytes.withUnsafeBytes { b in Result { () throws(BerthError) in try writeData(b) } }
        try r.get()
    }

    /// Copies a host file's contents as `path`.
    func addFile(_ path: String, mode: UInt32, from hostPath: String) throws(BerthError) {
        let fd = open(hostPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open", hostPath) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system("stat", hostPath) }
        let e = entry(path: path, type: 0o100000, mode: mode, size: Int64(st.st_size))
        defer { archive_entry_free(e) }
        try writeHeader(e)
        try copyData(fd: fd, name: hostPath)
    }

    func copyData(fd: Int32, name: String) throws(BerthError) {
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: ContentStoreBuffer.size, alignment: 16)
        defer { buf.deallocate() }
        while true {
            let n = read(fd, buf.baseAddress, buf.count)
            if n < 0 { if errno == EINTR { continue }; throw .system("read", name) }
            if n == 0 { return }
            try writeData(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
        }
    }

    func finish() throws(BerthError) {
        guard !finished else { return }
        finished = true
        try check(archive_write_close(archive), "close")
    }
}

