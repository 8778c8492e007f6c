import BerthBase
import CIsal
#if canImport(Glibc)
import Glibc
#endif

/// Streaming gzip decompression with ISA-L's inflate, which is several times faster than
/// zlib's and so than libarchive's gzip filter: inflating is most of an unpack's work.
/// Like Go's gzip reader (and so containerd), it reads concatenated members, checks each
/// member's CRC and length, and refuses anything after the last member that is not
/// another member.
final class GzipInflater {
    private let fd: Int32
    private let state: UnsafeMutablePointer<inflate_state>
    private let input: UnsafeMutableRawPointer
    private static let inputSize = 1 << 20
    private var atEOF = false

    /// True when the data at `fd`'s start is gzip.
    static func isGzip(_ fd: Int32) -> Bool {
        var magic: (UInt8, UInt8) = (0, 0)
        return pread(fd, &magic, 2, 0) == 2 && magic == (0x1f, 0x8b)
    }

    init(fd: Int32) {
        self.fd = fd
        state = .allocate(capacity: 1)
        input = .allocate(byteCount: Self.inputSize, alignment: 64)
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
    }

    deinit {
        state.deallocate()
        input.deallocate()
    }

    /// Fills `out` with up to `capacity` bytes; returns how many, 0 at the end of the data.
    func read(into out: UnsafeMutableRawPointer, capacity: Int) throws(BerthError) -> Int {
        state.pointee.next_out = out.assumingMemoryBound(to: UInt8.self)
        state.pointee.avail_out = UInt32(capacity)
        while state.pointee.avail_out > 0 {
            if state.pointee.avail_in == 0 && !atEOF { try refill() }
            if state.pointee.block_state == ISAL_BLOCK_FINISH {
                // A member ended: the data ends here or another member follows.
                if state.pointee.avail_in == 0 { break }
                isal_inflate_reset(state)
                state.pointee.crc_flag = UInt32(ISAL_GZIP)
            }
            let before = (state.pointee.avail_in, state.pointee.avail_out)
            let rc = isal_inflate(state)
            guard rc >= 0 && rc != ISAL_NEED_DICT else { throw .invalidArgument("corrupt gzip data: \(Self.describe(rc))") }
            if before == (state.pointee.avail_in, state.pointee.avail_out) && state.pointee.block_state != ISAL_BLOCK_FINISH {
                // No progress: out of data in the middle of a member, or stuck on bad data.
                if atEOF && state.pointee.avail_in == 0 { throw .invalidArgument("truncated gzip data: unexpected end of data") }
                if state.pointee.avail_in > 0 { throw .invalidArgument("corrupt gzip data: inflate cannot go on") }
            }
        }
        return capacity - Int(state.pointee.avail_out)
    }

    private func refill() throws(BerthError) {
        while true {
            let n = Glibc.read(fd, input, Self.inputSize)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .invalidArgument("cannot read layer data: \(Errno.current)") }
            if n == 0 { atEOF = true; return }
            state.pointee.next_in = input.assumingMemoryBound(to: UInt8.self)
            state.pointee.avail_in = UInt32(n)
            return
        }
    }

    private static func describe(_ rc: Int32) -> String {
        switch rc {
        case ISAL_INVALID_BLOCK: "invalid deflate block"
        case ISAL_INVALID_SYMBOL: "invalid deflate symbol"
        case ISAL_INVALID_LOOKBACK: "invalid back-reference distance"
        case ISAL_INVALID_WRAPPER: "invalid gzip header"
        case ISAL_UNSUPPORTED_METHOD: "unsupported compression method"
        case ISAL_INCORRECT_CHECKSUM: "checksum mismatch"
        case ISAL_NEED_DICT: "preset dictionary required"
        default: "inflate error \(rc)"
        }
    }
}
