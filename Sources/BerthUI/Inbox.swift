import BerthCore
import Foundation

/// What background work reports to the UI thread.
enum Message: Sendable {
    case model(namespace: String, namespaces: [String], images: [ImageRow], snapshots: [SnapshotRow], tasks: [TaskRow], errors: [Pane: String])
    case details(Selection, [String])
    case metrics(String, MetricsSample)
    case attached(generation: Int, task: String, ConsoleBox)
    case output(generation: Int, [UInt8])
    case closed(generation: Int)
    case status(String, isError: Bool)
    case progress(Double, String)
    case progressDone
    case log(String, [String])
    case changed(ChangeNote)
    case ranTask(String)
    case loaded
}

/// A console session crossing to the UI thread.
struct ConsoleBox: @unchecked Sendable {
    let session: any ConsoleSession
    let zoom: Bool
}

/// A queue from background tasks to the UI thread, plus the pipe that wakes the UI's poll().
final class Inbox: Sendable {
    private let queue = Locked<[Message]>([])
    let readFD: Int32
    let writeFD: Int32

    init() {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    func post(_ m: Message) {
        queue.withLock { $0.append(m) }
        var b: UInt8 = 1
        _ = write(writeFD, &b, 1)
    }

    func drain() -> [Message] {
        var buf = [UInt8](repeating: 0, count: 256)
        while buf.withUnsafeMutableBytes({ read(readFD, $0.baseAddress, $0.count) }) > 0 {}
        return queue.withLock { q in defer { q = [] }; return q }
    }
}
