import BerthBase
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One event, as containerd's envelope: when, which namespace, which topic, and the payload.
public struct Event: Codable, Sendable, Equatable {
    public var timestamp: Date
    public var namespace: String
    public var topic: String
    public var attributes: [String: String]

    public init(timestamp: Date = Date(), namespace: String, topic: String, attributes: [String: String] = [:]) {
        self.timestamp = timestamp
        self.namespace = namespace
        self.topic = topic
        self.attributes = attributes
    }
}

/// Topics berth publishes (containerd's names).
public enum Topic {
    public static let namespaceCreate = "/namespaces/create"
    public static let namespaceDelete = "/namespaces/delete"
    public static let imageCreate = "/images/create"
    public static let imageUpdate = "/images/update"
    public static let imageDelete = "/images/delete"
    public static let contentDelete = "/content/delete"
    public static let snapshotPrepare = "/snapshot/prepare"
    public static let snapshotCommit = "/snapshot/commit"
    public static let snapshotRemove = "/snapshot/remove"
    public static let containerCreate = "/containers/create"
    public static let containerUpdate = "/containers/update"
    public static let containerDelete = "/containers/delete"
    public static let taskCreate = "/tasks/create"
    public static let taskStart = "/tasks/start"
    public static let taskExit = "/tasks/exit"
    public static let taskDelete = "/tasks/delete"
    public static let taskOOM = "/tasks/oom"
    public static let taskPaused = "/tasks/paused"
    public static let taskResumed = "/tasks/resumed"
    public static let taskExecStarted = "/tasks/exec-started"
}

/// berth has no daemon, so events cross processes through an append-only journal of JSON
/// lines under the state directory (podman's file events backend is the model). Any process
/// appends with O_APPEND (one write per line, so lines never interleave); readers follow the
/// file, woken by inotify. The file is rotated to `events.log.1` past `maxBytes`.
public final class EventJournal: Sendable {
    public let directory: String
    public let maxBytes: Int64
    public var path: String { directory + "/events.log" }

    public init(directory: String, maxBytes: Int64 = 4 << 20) {
        self.directory = directory
        self.maxBytes = maxBytes
    }

    /// Appends one event. Publishing never fails an operation: a journal that cannot be
    /// written loses the event, not the user's work.
    public func publish(_ event: Event) {
        var line = EventLine.encode(event)
        line.append(0x0A)
        try? FileSystem.makeDirectories(directory, mode: 0o711)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var st = stat()
        if fstat(fd, &st) == 0, Int64(st.st_size) > maxBytes {
            // Rotation by rename is atomic; a follower notices the new inode and reopens.
            rename(path, path + ".1")
        }
    }

    public func publish(namespace: String, topic: String, _ attributes: [String: String] = [:]) {
        publish(Event(namespace: namespace, topic: topic, attributes: attributes))
    }

    /// All events currently in the journal (rotated file first), oldest first.
    public func readAll() -> [Event] {
        (decodeFile(path + ".1") + decodeFile(path))
    }

    private func decodeFile(_ p: String) -> [Event] {
        guard let bytes = try? FileSystem.readFile(p) else { return [] }
        return Self.decodeLines(bytes[...]).events
    }

    static func decodeLines(_ bytes: ArraySlice<UInt8>) -> (events: [Event], consumed: Int) {
        let dec = JSONDecoder()
        dec.dateDecodingStrategy = .iso8601
        var out: [Event] = []
        var start = bytes.startIndex
        var consumed = 0
        while let nl = bytes[start...].firstIndex(of: 0x0A) {
            if let e = try? dec.decode(Event.self, from: Data(bytes[start..<nl])) { out.append(e) }
            start = nl + 1
            consumed = start - bytes.startIndex
        }
        return (out, consumed)
    }

    /// Follows the journal from its current end, yielding new events as they are appended,
    /// until the consumer stops iterating. Woken by inotify; no polling loop.
    public func follow() -> AsyncStream<Event> {
        let dir = directory, file = path
        return AsyncStream { continuation in
            let thread = Thread {
                try? FileSystem.makeDirectories(dir, mode: 0o711)
                let ino = inotify_init1(Int32(IN_CLOEXEC))
                guard ino >= 0 else { continuation.finish(); return }
                defer { close(ino) }
                _ = inotify_add_watch(ino, dir, UInt32(IN_MODIFY | IN_CREATE | IN_MOVED_TO))
                var fd: Int32 = -1
                var inode: ino_t = 0
                var pending: [UInt8] = []
                func reopen(atEnd: Bool) {
                    if fd >= 0 { close(fd) }
                    fd = open(file, O_RDONLY | O_CLOEXEC)
                    var st = stat()
                    if fd >= 0, fstat(fd, &st) == 0 {
                        inode = st.st_ino
                        if atEnd { lseek(fd, 0, SEEK_END) }
                    }
                    pending = []
                }
                reopen(atEnd: true)
                let cancelled = Locked(false)
                continuation.onTermination = { _ in cancelled.withLock { $0 = true } }
                var buf = [UInt8](repeating: 0, count: 1 << 16)
                var evbuf = [UInt8](repeating: 0, count: 4096)
                while !cancelled.current {
                    // Drain whatever is there.
                    if fd >= 0 {
                        while true {
                            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                            if n <= 0 { break }
                            pending.append(contentsOf: buf[0..<n])
                        }
                        let (events, consumed) = Self.decodeLines(pending[...])
                        pending.removeFirst(consumed)
                        for e in events { continuation.yield(e) }
                    }
                    var st = stat()
                    if stat(file, &st) == 0, st.st_ino != inode { reopen(atEnd: false); continue }
                    var pfd = pollfd(fd: ino, events: Int16(POLLIN), revents: 0)
                    // A bounded wait so cancellation is noticed; events themselves wake us at once.
                    if poll(&pfd, 1, 500) > 0 {
                        _ = evbuf.withUnsafeMutableBytes { read(ino, $0.baseAddress, $0.count) }
                    }
                }
                if fd >= 0 { close(fd) }
                continuation.finish()
            }
            thread.start()
        }
    }
}
