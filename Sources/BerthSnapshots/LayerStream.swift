import BerthBase
import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A layer blob's uncompressed tar stream, produced by its own thread into a bounded
/// in-memory queue: the thread decompresses (gzip with ISA-L, zstd with libarchive, or
/// none, detected from the data) and hashes the tar bytes (the diff ID) while the
/// consumer parses and writes them.
/// Started ahead of its turn, it lets the next layers decompress while an earlier one is
/// still written and committed, so decompression, the slowest stage, runs on every core.
public final class LayerStream: @unchecked Sendable {
    /// How much decompressed data may wait for the consumer before the producer pauses:
    /// enough to hold a typical layer, so a stream started ahead is mostly done by its turn.
    public static let defaultLimit = 128 << 20
    private static let chunkSize = 1 << 20

    public let blob: String
    private let limit: Int
    private let cond = NSCondition()
    // Guarded by `cond`.
    private var queue: [(UnsafeMutableRawPointer, Int)] = []
    private var free: [UnsafeMutableRawPointer] = []
    private var queued = 0
    private var started = false
    private var producing = false
    private var consumerDone = false
    private var cancelled = false
    /// The chunk the consumer holds (libarchive reads it until its next call).
    private var current: UnsafeMutableRawPointer?
    // Written by the producer before `producing` turns false.
    private var digest = SHA256Digester()
    private var failure: BerthError?

    public init(blob: String, limit: Int = LayerStream.defaultLimit) {
        self.blob = blob
        self.limit = max(limit, Self.chunkSize)
    }

    deinit {
        for (p, _) in queue { p.deallocate() }
        for p in free { p.deallocate() }
        current?.deallocate()
    }

    /// Starts the producer thread; a second call does nothing.
    public func start() {
        cond.lock()
        defer { cond.unlock() }
        guard !started else { return }
        started = true
        producing = true
        let thread = Thread { [self] in produce() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Stops the producer (at its next chunk) and waits for it; what it made is dropped.
    public func cancel() {
        cond.lock()
        cancelled = true
        cond.broadcast()
        while producing { cond.wait() }
        cond.unlock()
    }

    /// After the consumer has read what it needs: lets the producer run to the end of the
    /// data (hashing, not queueing, what is left, such as the end-of-archive padding) and
    /// returns the diff ID and size of the whole stream, or the producer's error.
    func finish() throws(BerthError) -> AppliedLayer {
        cond.lock()
        consumerDone = true
        cond.broadcast()
        while producing { cond.wait() }
        let error = failure
        cond.unlock()
        if let error { throw error }
        return AppliedLayer(diffID: digest.finalize(), size: digest.count)
    }

    /// The producer's error, once it has stopped.
    func stop() -> BerthError? {
        cancel()
        return failure
    }

    // MARK: - Consumer

    /// Hands libarchive the next chunk: blocks until there is one; 0 at the end (or after
    /// a producer error, which the caller reports).
    fileprivate func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        cond.lock()
        defer { cond.unlock() }
        if let c = current { free.append(c); current = nil }
        while queue.isEmpty && producing { cond.wait() }
        guard !queue.isEmpty else { return 0 }
        let (p, n) = queue.removeFirst()
        queued -= n
        current = p
        cond.broadcast()
        out?.pointee = UnsafeRawPointer(p)
        return n
    }

    /// Opens libarchive's tar reader `a` on this stream.
    func open(_ a: OpaquePointer) -> Int32 {
        archive_read_open(a, Unmanaged.passUnretained(self).toOpaque(), nil, { _, client, out in
            Unmanaged<LayerStream>.fromOpaque(client!).takeUnretainedValue().next(out)
        }, nil)
    }

    // MARK: - Producer

    private func produce() {
        let error = decompress()
        cond.lock()
        failure = error
        producing = false
        cond.broadcast()
        cond.unlock()
    }

    private func decompress() -> BerthError? {
        let fd = Glibc.open(blob, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .system("open", blob) }
        defer { close(fd) }
        if GzipInflater.isGzip(fd) {
            let inflater = GzipInflater(fd: fd)
            return pump { (chunk, size) throws(BerthError) in try inflater.read(into: chunk, capacity: size) }
        }
        // zstd, plain tar, or data that is neither (which the tar reader then refuses).
        guard let a = archive_read_new() else { return .internal("archive_read_new failed") }
        defer { archive_read_free(a) }
        archive_read_support_filter_zstd(a)
        archive_read_support_format_raw(a)
        archive_read_support_format_empty(a)
        guard archive_read_open_fd(a, fd, 1 << 20) == ARCHIVE_OK else {
            return .invalidArgument("cannot read layer data: \(LayerApplier.errorString(a))")
        }
        var entry: OpaquePointer?
        let h = archive_read_next_header(a, &entry)
        if h == ARCHIVE_EOF { return nil }
        guard h == ARCHIVE_OK || h == ARCHIVE_WARN else {
            return .invalidArgument("cannot read layer data: \(LayerApplier.errorString(a))")
        }
        let filter = archive_filter_count(a) > 1 ? String(cString: archive_filter_name(a, 0)) : "tar"
        return pump { (chunk, size) throws(BerthError) in
            let n = archive_read_data(a, chunk, size)
            guard n >= 0 else {
                throw .invalidArgument("corrupt or truncated \(filter) data: \(LayerApplier.errorString(a))")
            }
            return n
        }
    }

    /// Fills chunks with `fill` (0 at the end), hashes and queues them until the end,
    /// an error, or a cancel.
    private func pump(_ fill: (UnsafeMutableRawPointer, Int) throws(BerthError) -> Int) -> BerthError? {
        while true {
            guard let chunk = takeChunk() else { return nil }
            let n: Int
            do { n = try fill(chunk, Self.chunkSize) } catch {
                giveBack(chunk)
                return error
            }
            if n == 0 {
                giveBack(chunk)
                return nil
            }
            digest.update(UnsafeRawBufferPointer(start: chunk, count: n))
            guard push(chunk, n) else { return nil }
        }
    }

    /// A free chunk, once the queue has room; nil when cancelled.
    private func takeChunk() -> UnsafeMutableRawPointer? {
        cond.lock()
        defer { cond.unlock() }
        while queued + Self.chunkSize > limit && !consumerDone && !cancelled { cond.wait() }
        if cancelled { return nil }
        return free.popLast() ?? UnsafeMutableRawPointer.allocate(byteCount: Self.chunkSize, alignment: 64)
    }

    /// Queues a filled chunk (or drops it when the consumer is done); false when cancelled.
    private func push(_ chunk: UnsafeMutableRawPointer, _ n: Int) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        if cancelled || consumerDone {
            free.append(chunk)
            return !cancelled
        }
        queue.append((chunk, n))
        queued += n
        cond.broadcast()
        return true
    }

    private func giveBack(_ chunk: UnsafeMutableRawPointer) {
        cond.lock()
        free.append(chunk)
        cond.unlock()
    }
}
