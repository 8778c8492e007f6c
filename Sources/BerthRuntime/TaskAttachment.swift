import BerthBase
import CBerthSys
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A live connection to a task's (or one exec'd process's) stdio, as `berth tasks attach` and
/// the UI's console use it. `output` first replays what the task printed so far, then
/// follows; it finishes when the process exits or on `detach()`.
public final class TaskAttachment: Sendable {
    /// The task's output; empty for an attachment made to be followed with `follow`.
    public var output: AsyncStream<[UInt8]> { channel?.stream ?? AsyncStream { $0.finish() } }
    /// The exec id, or nil for the task's init.
    public let execID: String?
    private let socket: ShimSocket?
    private let state = Locked(StateBox())
    private let bundle: String
    private let onExit: (@Sendable (Int32) -> Void)?
    /// Signalled by the reader when a `state` reply arrives: everything sent before it was handled.
    private let synced = DispatchSemaphore(value: 0)

    struct StateBox {
        var status: Int32?
        /// finish() has begun (onExit runs); `finished` once waiters may go on.
        var finishing = false
        var finished = false
        var detached = false
        var waiters: [CheckedContinuation<Int32?, Never>] = []
    }

    /// `output` and its writing end, made only for an attachment with a reader: a class, so
    /// that `berth run`, which follows its task with `follow`, never instantiates the stream's
    /// types (a fresh process pays for each generic type's first use).
    private let channel: OutputChannel?
    /// For `follow`: the log of a task that finished before the attach.
    private let replayed: [UInt8]?

    private final class OutputChannel: Sendable {
        let stream: AsyncStream<[UInt8]>
        let continuation: AsyncStream<[UInt8]>.Continuation
        init() { (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded) }
        @inline(never) func finish() { continuation.finish() }
    }

    /// Attaches to the init of the task in `bundle`. When the shim is already gone (a task that
    /// ran to completion before anyone attached), the output log and exit file are replayed.
    /// Without `reader`, nothing is read until `follow` does it on the caller's thread.
    init(bundle: String, replayFromDisk: Bool, onExit: (@Sendable (Int32) -> Void)? = nil, reader: Bool = true) throws(BerthError) {
        self.bundle = bundle
        self.onExit = onExit
        execID = nil
        let channel = reader ? OutputChannel() : nil
        self.channel = channel
        if replayFromDisk {
            socket = nil
            let log = (try? FileSystem.readFile(bundle + "/output.log")) ?? []
            replayed = log
            if let channel {
                if !log.isEmpty { channel.continuation.yield(log) }
                finish(status: TaskFiles.exitStatus(bundle: bundle) ?? 255)
            }
            return
        }
        replayed = nil
        let s = try ShimSocket(bundle: bundle)
        socket = s
        try s.send(ShimFrame.attach)
        try s.send(ShimFrame.wait)
        if let channel { startReader(s, channel.continuation, prefix: nil) }
    }

    /// Follows the task on the calling thread (an attachment made without a reader): its output
    /// goes to `emit`, a signal read from `signals` (a signalfd) to `onSignal`. Returns the exit
    /// status, 255 when the shim vanished without recording one. `berth run` without a terminal
    /// follows its task this way: no reader thread and no hand-over between threads.
    public func follow(emit: ([UInt8]) -> Void, signals: Int32, onSignal: (Int32) -> Void) -> Int32 {
        guard let s = socket else {
            if let replayed, !replayed.isEmpty { emit(replayed) }
            let status = TaskFiles.exitStatus(bundle: bundle) ?? 255
            finish(status: status)
            return status
        }
        var received = 0
        while true {
            if !s.hasBufferedFrame {
                var fds = [pollfd(fd: s.fd, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: signals, events: Int16(POLLIN), revents: 0)]
                let r = poll(&fds, signals >= 0 ? 2 : 1, -1)
                if r < 0 && errno == EINTR { continue }
                if signals >= 0, fds[1].revents & Int16(POLLIN) != 0 {
                    while case let sig = berth_signalfd_next(signals), sig > 0 { onSignal(sig) }
                    if fds[0].revents == 0 { continue }
                }
            }
            let frame: (type: UInt8, payload: [UInt8])?
            do { frame = try s.receive() } catch { frame = nil }
            guard let f = frame else {
                // As the reader thread does: a recorded exit means the log is complete.
                let status = TaskFiles.exitStatus(bundle: bundle)
                if status != nil { replayRest(from: received, emit) }
                finish(status: status ?? 255)
                return status ?? 255
            }
            switch f.type {
            case ShimFrame.output:
                received += f.payload.count
                emit(f.payload)
            case ShimFrame.exited where f.payload.count >= 4:
                replayRest(from: received, emit)
                let status = Int32(bitPattern: ShimFrame.readLE32(f.payload[0..<4]))
                finish(status: status)
                return status
            default:
                continue
            }
        }
    }

    /// Attaches to an exec'd process over the connection that started it.
    init(bundle: String, socket s: ShimSocket, execID: String) {
        self.bundle = bundle
        self.execID = execID
        onExit = nil
        socket = s
        replayed = nil
        let channel = OutputChannel()
        self.channel = channel
        startReader(s, channel.continuation, prefix: Self.prefix(execID))
    }

    private static func prefix(_ id: String) -> [UInt8] { [UInt8(id.utf8.count)] + Array(id.utf8) }

    private func startReader(_ s: ShimSocket, _ cont: AsyncStream<[UInt8]>.Continuation, prefix: [UInt8]?) {
        let bundle = self.bundle
        let thread = Thread { [self] in
            var received = 0
            while true {
                let frame: (type: UInt8, payload: [UInt8])?
                do { frame = try s.receive() } catch { frame = nil }
                guard let f = frame else {
                    // Connection gone: detached, the shim died, or it was exiting as we
                    // connected. A recorded exit means the log is complete: send the rest.
                    if prefix == nil, !isDetached, let status = TaskFiles.exitStatus(bundle: bundle) {
                        replayRest(from: received, cont)
                        finish(status: status)
                    } else {
                        finish(status: 255)
                    }
                    return
                }
                switch (f.type, prefix) {
                case (ShimFrame.stateReply, _):
                    synced.signal()
                case (ShimFrame.output, nil):
                    received += f.payload.count
                    cont.yield(f.payload)
                case (ShimFrame.exited, nil) where f.payload.count >= 4:
                    // `exited` can overtake the replay of output.log; the log is complete once
                    // the exit is recorded, so what was not replayed yet is read from it.
                    replayRest(from: received, cont)
                    finish(status: Int32(bitPattern: ShimFrame.readLE32(f.payload[0..<4])))
                    return
                case (ShimFrame.execOutput, let p?) where f.payload.starts(with: p):
                    cont.yield(Array(f.payload.dropFirst(p.count)))
                case (ShimFrame.execExited, let p?) where f.payload.starts(with: p) && f.payload.count >= p.count + 4:
                    finish(status: Int32(bitPattern: ShimFrame.readLE32(f.payload[p.count..<p.count + 4])))
                    return
                default:
                    continue
                }
            }
        }
        thread.start()
    }

    private var isDetached: Bool { state.withLock { $0.detached } }

    /// The part of output.log not received over the socket yet.
    private func replayRest(from received: Int, _ cont: AsyncStream<[UInt8]>.Continuation) {
        replayRest(from: received) { cont.yield($0) }
    }

    private func replayRest(from received: Int, _ emit: ([UInt8]) -> Void) {
        if let log = try? FileSystem.readFile(bundle + "/output.log"), log.count > received {
            emit(Array(log[received...]))
        }
    }

    /// Ends the attachment. `onExit` (which records in the bundle that the exit was published)
    /// runs before the output ends and waiters wake: whoever waits may delete the bundle next,
    /// and must not find a file appearing in it while it does.
    private func finish(status: Int32) {
        let first = state.withLock { s -> Bool in
            if s.finished || s.finishing { return false }
            s.finishing = true
            return true
        }
        guard first else { return }
        if !isDetached { onExit?(status) }
        let waiting = state.withLock { s -> Bool in
            s.finished = true
            if !s.detached { s.status = status }
            return !s.waiters.isEmpty
        }
        // The stream and the waiters' continuations only where they exist: `berth run` has
        // neither, and a fresh process pays for each of their types' first use.
        channel?.finish()
        if waiting { resumeWaiters() }
    }

    @inline(never)
    private func resumeWaiters() {
        var waiters: [CheckedContinuation<Int32?, Never>] = []
        let result = state.withLock { s -> Int32? in
            swap(&waiters, &s.waiters)
            return s.status
        }
        for w in waiters { w.resume(returning: result) }
    }

    /// The exit status once the process has exited (255 when its shim vanished); nil while it
    /// runs and after `detach()`.
    public var exitStatus: Int32? { state.withLock { $0.status } }

    /// Waits until the process exits (its status) or the attachment is detached (nil).
    public func wait() async -> Int32? {
        await withCheckedContinuation { c in
            let ready = state.withLock { s -> (Bool, Int32?) in
                if s.finished { return (true, s.status) }
                s.waiters.append(c)
                return (false, nil)
            }
            if ready.0 { c.resume(returning: ready.1) }
        }
    }

    private var sock: ShimSocket {
        get throws(BerthError) {
            guard let socket else { throw .failedPrecondition("the task has exited") }
            return socket
        }
    }

    /// Sends bytes to the process's stdin (or its pty).
    public func write(_ bytes: [UInt8]) throws(BerthError) {
        if let execID { try sock.send(ShimFrame.execStdin, Self.prefix(execID) + bytes) } else { try sock.send(ShimFrame.stdin, bytes) }
    }

    public func closeStdin() throws(BerthError) {
        try sock.send(ShimFrame.closeStdin, execID.map(Self.prefix) ?? [])
    }

    /// Sets the pty's window size; the kernel tells the process with SIGWINCH.
    public func resize(rows: UInt16, cols: UInt16) throws(BerthError) {
        let size = ShimFrame.le16(rows) + ShimFrame.le16(cols)
        if let execID { try sock.send(ShimFrame.execResize, Self.prefix(execID) + size) } else { try sock.send(ShimFrame.resize, size) }
    }

    /// Drops the connection. Called once the process has exited, it lets the shim (which stays
    /// while a client is connected) leave at once rather than when this object is freed.
    public func close() {
        socket?.shutdownBoth()
    }

    /// Stops following: the task keeps running; `output` finishes. Input written before is
    /// delivered first (closing a socket with unread output would make the shim drop it).
    public func detach() {
        state.withLock { s in if !s.finished { s.detached = true } }
        if let socket, (try? socket.send(ShimFrame.state)) != nil {
            _ = synced.wait(timeout: .now() + 2)
        }
        socket?.shutdownBoth()
    }
}

/// Files in a task's bundle that outlive its shim.
enum TaskFiles {
    static func exitStatus(bundle: String) -> Int32? { number(bundle + "/exit") }

    static func pid(_ path: String) -> Int32? { number(path) }

    /// A decimal number on a line of its own (surrounding ASCII whitespace ignored).
    static func number(_ path: String) -> Int32? {
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return nil }
        return Int32(String(decoding: bytes[first...last], as: UTF8.self))
    }
}
