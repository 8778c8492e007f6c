import BerthCore
import CBerthSys
import CBerthTerminal
import Foundation

/// A local process on its own pty, as a `ConsoleSession`. The fake backend gives its tasks
/// these, so the console pane, zoom and benchmarks can be exercised without the runtime.
public final class PTYProcess: ConsoleSession, @unchecked Sendable {
    public let pid: pid_t
    private let master: Int32
    public let output: AsyncStream<[UInt8]>
    private let closed = Locked(false)

    public init(_ argv: [String], rows: Int = 24, cols: Int = 80, environment: [String: String] = [:]) throws(BerthError) {
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        for (k, v) in environment { env[k] = v }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var fd: Int32 = -1
        let p = berth_pty_spawn(cArgs, cEnv, UInt16(rows), UInt16(cols), &fd)
        guard p > 0 else { throw .system("spawn", argv.first ?? "", errno: errno) }
        pid = p
        master = fd
        let (stream, cont) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        output = stream
        let closed = self.closed
        let masterFD = fd
        Thread {
            let fd = masterFD
            var buf = [UInt8](repeating: 0, count: 16384)
            while !closed.current {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 250) <= 0 { continue }
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 { cont.yield(Array(buf[0..<n])) } else if n == 0 || (errno != EAGAIN && errno != EINTR) { break }
            }
            cont.finish()
        }.start()
    }

    deinit {
        close(master)
    }

    public func write(_ bytes: [UInt8]) throws(BerthError) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EAGAIN || errno == EINTR { usleep(1000); continue }
                throw .system("write", "pty of pid \(pid)", errno: errno)
            }
            off += n
        }
    }

    public func resize(rows: Int, cols: Int) throws(BerthError) {
        if berth_set_winsize(master, UInt16(rows), UInt16(cols)) != 0 { throw .system("resize", "pty of pid \(pid)", errno: errno) }
    }

    public func detach() { closed.withLock { $0 = true } }

    public func terminate() {
        Glibc.kill(pid, SIGKILL)
        var st: Int32 = 0
        waitpid(pid, &st, 0)
        detach()
    }

    public var isRunning: Bool { Glibc.kill(pid, 0) == 0 && waitpid(pid, nil, WNOHANG) == 0 }
}
