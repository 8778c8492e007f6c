import CBerthSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts the writeback of files a layer has finished writing, on a thread of its own,
/// while the layer goes on. The kernel would otherwise hold the data in memory until the
/// snapshot's commit calls syncfs, which then writes the whole layer while unpacking waits.
/// This only starts writes early: durability still comes from that syncfs.
final class Writeback: @unchecked Sendable {
    private let cond = NSCondition()
    // Guarded by `cond`.
    private var pending: [Int32] = []
    private var stopping = false
    private var running = true

    init() {
        let thread = Thread { [self] in run() }
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// Queues the writeback of the open file `fd` (duplicated: the caller keeps its own).
    func submit(_ fd: Int32) {
        let copy = dup(fd)
        guard copy >= 0 else { return }
        cond.lock()
        pending.append(copy)
        cond.signal()
        cond.unlock()
    }

    /// Ends the thread; files not yet started are left to the commit's syncfs.
    func stop() {
        cond.lock()
        stopping = true
        cond.signal()
        while running { cond.wait() }
        cond.unlock()
    }

    private func run() {
        cond.lock()
        while true {
            while pending.isEmpty && !stopping { cond.wait() }
            if stopping { break }
            let batch = pending
            pending = []
            cond.unlock()
            for fd in batch {
                _ = berth_start_writeback(fd)
                close(fd)
            }
            cond.lock()
        }
        for fd in pending { close(fd) }
        pending = []
        running = false
        cond.broadcast()
        cond.unlock()
    }
}
