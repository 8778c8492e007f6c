import CBerthSnapshots
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts the writeback of files a layer has finished writing, on a thread of its own,
/// while the layer goes on. The kernel would otherwise hold the data in memory until the
/// snapshot's commit calls syncfs, which then writes the whole layer while unpacking waits.
/// This only starts writes early: durability still comes from that syncfs.
///
/// The writer hands over its open descriptors (the thread closes them) in batches, so a
/// file costs it no extra system call.
final class Writeback: @unchecked Sendable {
    /// Descriptors held here (queued or being started) at most; beyond that the writer
    /// closes files itself and leaves them to the syncfs, so a slow disk cannot run the
    /// process out of descriptors.
    private static let maxHeld = 256
    private static let batchFiles = 64
    private static let batchBytes: Int64 = 4 << 20

    private let cond = NSCondition()
    // Guarded by `cond`.
    private var pending: [Int32] = []
    private var held = 0
    private var stopping = false
    private var running = true
    // The writer's own.
    private var batch: [Int32] = []
    private var batchSize: Int64 = 0

    init() {
        let thread = Thread { [self] in run() }
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Takes over `fd`, a file of `size` bytes the writer is done with, and closes it.
    func submit(_ fd: Int32, size: Int64) {
        batch.append(fd)
        batchSize += size
        if batch.count >= Self.batchFiles || batchSize >= Self.batchBytes { flush() }
    }

    /// Ends the thread; files not yet started are only closed, left to the commit's syncfs.
    func stop() {
        flush()
        cond.lock()
        stopping = true
        cond.signal()
        while running { cond.wait() }
        cond.unlock()
    }

    private func flush() {
        guard !batch.isEmpty else { return }
        cond.lock()
        let full = held + batch.count > Self.maxHeld
        if !full {
            pending += batch
            held += batch.count
            cond.signal()
        }
        cond.unlock()
        if full { batch.forEach { _ = close($0) } }
        batch.removeAll(keepingCapacity: true)
        batchSize = 0
    }

    private func run() {
        cond.lock()
        while true {
            while pending.isEmpty && !stopping { cond.wait() }
            if stopping { break }
            let work = pending
            pending = []
            cond.unlock()
            for fd in work {
                _ = berth_start_writeback(fd)
                close(fd)
            }
            cond.lock()
            held -= work.count
        }
        for fd in pending { close(fd) }
        pending = []
        running = false
        cond.broadcast()
        cond.unlock()
    }
}
