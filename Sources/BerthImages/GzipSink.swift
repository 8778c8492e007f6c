import BerthBase
import CArchive

/// Gzip-compresses a byte stream into another sink (libarchive's raw format with its gzip
/// filter), so a layer can be hashed uncompressed (diff ID) and compressed (blob digest)
/// in one pass without a temporary file.
final class GzipSink {
    private let archive: OpaquePointer
    private var sinkRef: Unmanaged<ByteSink>
    private let sink: ByteSink
    private var finished = false

    init(into sink: ByteSink) throws(BerthError) {
        guard let a = archive_write_new() else { throw .internal("archive_write_new failed") }
        archive = a
        self.sink = sink
        sinkRef = Unmanaged.passRetained(sink)
        archive_write_set_format_raw(a)
        archive_write_add_filter_gzip(a)
        archive_write_set_filter_option(a, "gzip", "timestamp", nil)
        let r = sink.open(a, ref: sinkRef)
        let e = archive_entry_new()!
        defer { archive_entry_free(e) }
        archive_entry_set_pathname(e, "layer.tar")
        archive_entry_set_filetype(e, 0o100000)
        guard r == ARCHIVE_OK, archive_write_header(a, e) == ARCHIVE_OK else {
            throw .internal("gzip stream: \(TarReader.message(a))")
        }
    }

    deinit {
        archive_write_free(archive)
        sinkRef.release()
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(BerthError) {
        guard bytes.count > 0 else { return }
        if archive_write_data(archive, bytes.baseAddress, bytes.count) < 0 {
            throw sink.error ?? .internal("gzip stream: \(TarReader.message(archive))")
        }
    }

    func finish() throws(BerthError) {
        guard !finished else { return }
        finished = true
        if archive_write_close(archive) != ARCHIVE_OK {
            throw sink.error ?? .internal("gzip stream: \(TarReader.message(archive))")
        }
    }
}
