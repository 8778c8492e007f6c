import BerthBase
import CBerthRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Frame types of the berth-shim socket protocol (docs/shim-protocol.md):
/// `type:u8 length:u32-le payload[length]` in both directions.
public enum ShimFrame {
    // client -> shim
    static let attach: UInt8 = 1
    static let stdin: UInt8 = 2
    static let resize: UInt8 = 3
    static let signal: UInt8 = 4
    static let closeStdin: UInt8 = 5
    static let state: UInt8 = 6
    static let wait: UInt8 = 7
    static let exec: UInt8 = 8
    static let execStdin: UInt8 = 9
    static let execResize: UInt8 = 10
    static let shutdown: UInt8 = 11
    static let pids: UInt8 = 12
    // shim -> client
    static let execOutput: UInt8 = 13
    static let execExited: UInt8 = 14
    static let output: UInt8 = 20
    static let stateReply: UInt8 = 21
    static let exited: UInt8 = 22
    static let error: UInt8 = 23
    static let execStarted: UInt8 = 24
    static let pidsReply: UInt8 = 25

    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff), UInt8(v >> 16 & 0xff), UInt8(v >> 24)] }
    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    static func readLE32(_ b: ArraySlice<UInt8>) -> UInt32 {
        let i = b.startIndex
        return UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
    static func int32s(_ b: [UInt8]) -> [Int32] {
        stride(from: 0, to: b.count - b.count % 4, by: 4).map { Int32(bitPattern: readLE32(b[$0..<$0 + 4])) }
    }
}

/// One connection to a task's shim. Writes are serialised; reads belong to one reader.
final class ShimSocket: @unchecked Sendable {
    let fd: Int32
    private let writeLock = NSLock()
    private var readBuffer: [UInt8] = []

    /// Connects to `<bundle>/shim.sock`. The path goes through /proc/self/fd so that long
    /// state directories never exceed sun_path's 108 bytes.
    init(bundle: String) throws(BerthError) {
        let dirfd = berth_open_path_dir(bundle)
        guard dirfd >= 0 else { throw .system("open", bundle) }
        defer { close(dirfd) }
        let sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { throw .system("socket", bundle) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let path = Array("/proc/self/fd/\(dirfd)/shim.sock".utf8CString)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: path.map { UInt8(bitPattern: $0) }.prefix(raw.count - 1))
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(sock)
            throw BerthError(.unavailable, "connect to the shim of \(bundle): \(Errno(e))")
        }
        fd = sock
    }

    deinit { close(fd) }

    func send(_ type: UInt8, _ payload: [UInt8] = []) throws(BerthError) {
        var frame = [type] + ShimFrame.le32(UInt32(payload.count))
        frame += payload
        writeLock.lock()
        defer { writeLock.unlock() }
        var off = 0
        while off < frame.count {
            let n = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BerthError(.unavailable, "write to shim: \(Errno.current)")
            }
            off += n
        }
    }

    /// Reads one frame; nil at end of stream. `timeout` in milliseconds, -1 for none.
    /// Whether a whole frame is already buffered (polling the fd would not show it).
    var hasBufferedFrame: Bool {
        readBuffer.count >= 5 && readBuffer.count >= 5 + Int(ShimFrame.readLE32(readBuffer[1..<5]))
    }

    func receive(timeout: Int32 = -1) throws(BerthError) -> (type: UInt8, payload: [UInt8])? {
        while true {
            if readBuffer.count >= 5 {
                let len = Int(ShimFrame.readLE32(readBuffer[1..<5]))
                if readBuffer.count >= 5 + len {
                    let type = readBuffer[0]
                    let payload = Array(readBuffer[5..<5 + len])
                    readBuffer.removeFirst(5 + len)
                    return (type, payload)
                }
            }
            if timeout >= 0 {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, timeout)
                if r == 0 { throw .unavailable("the shim did not answer within \(timeout) ms") }
            }
            var buf = [UInt8](repeating: 0, count: 65536)
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw BerthError(.unavailable, "read from shim: \(Errno.current)")
            }
            if n == 0 { return nil }
            readBuffer += buf[0..<n]
        }
    }

    /// Sends a request and returns the first reply of one of `types` (an `error` frame throws).
    func request(_ type: UInt8, _ payload: [UInt8] = [], expect types: Set<UInt8>, timeout: Int32 = 10_000) throws(BerthError) -> [UInt8] {
        try send(type, payload)
        while let f = try receive(timeout: timeout) {
            if types.contains(f.type) { return f.payload }
            if f.type == ShimFrame.error { throw .failedPrecondition(String(decoding: f.payload, as: UTF8.self)) }
        }
        throw .unavailable("the shim closed the connection")
    }

    /// Half-closes our side so the shim sees we are gone even while the fd lives on.
    func shutdownBoth() { Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
}
