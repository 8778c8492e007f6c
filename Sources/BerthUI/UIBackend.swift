import BerthCore
import Foundation

/// What the UI shows and does, as one small protocol. The real implementation (`CoreBackend`)
/// calls BerthCore's public API only; `FakeBackend` serves unit tests and benchmarks.
/// Every method may block on I/O, so the UI calls them off its drawing thread.
public protocol UIBackend: Sendable {
    /// A short description of where the data comes from, shown in the title bar.
    var label: String { get }
    func namespaces() throws(BerthError) -> [String]
    func images(namespace: String) throws(BerthError) -> [ImageRow]
    func snapshots(namespace: String) throws(BerthError) -> [SnapshotRow]
    func tasks(namespace: String) throws(BerthError) -> [TaskRow]
    func details(namespace: String, item: Selection) throws(BerthError) -> [String]
    func metrics(namespace: String, id: String) throws(BerthError) -> MetricsSample
    /// The task's output so far (its log), for the full-log view.
    func log(namespace: String, id: String) throws(BerthError) -> [UInt8]
    func attach(namespace: String, id: String) throws(BerthError) -> any ConsoleSession
    /// Starts `command` (or the image's default) from `image`; returns the new task's id.
    func run(namespace: String, image: String, command: [String], tty: Bool) throws(BerthError) -> String
    /// Starts a shell inside a running task and returns its console.
    func execShell(namespace: String, id: String) throws(BerthError) -> any ConsoleSession
    func kill(namespace: String, id: String, signal: Int32) throws(BerthError)
    /// SIGTERM, then SIGKILL when the task is still running after `timeout` seconds.
    func stop(namespace: String, id: String, timeout: Double) async throws(BerthError)
    func pause(namespace: String, id: String) throws(BerthError)
    func resume(namespace: String, id: String) throws(BerthError)
    /// Deletes the task (killing it first) and its container.
    func delete(namespace: String, id: String) throws(BerthError)
    func deleteImage(namespace: String, name: String) throws(BerthError)
    func removeSnapshot(namespace: String, key: String) throws(BerthError)
    func garbageCollect() throws(BerthError) -> String
    func importArchive(namespace: String, path: String, progress: @escaping @Sendable (Double, String) -> Void) throws(BerthError) -> [String]
    /// Creates the demo images; returns their names.
    func createDemo(namespace: String, progress: @escaping @Sendable (Double, String) -> Void) throws(BerthError) -> [String]
    /// Changes to anything the UI shows (events from any process on the root).
    func changes() -> AsyncStream<ChangeNote>
}

/// One image row.
public struct ImageRow: Sendable, Equatable {
    public var name: String
    public var digest: String
    public var size: Int64
    public var platform: String
    public init(name: String, digest: String, size: Int64, platform: String = "") {
        self.name = name; self.digest = digest; self.size = size; self.platform = platform
    }
}

/// One snapshot; the UI draws them as a tree of chains by `parent`.
public struct SnapshotRow: Sendable, Equatable {
    public var key: String
    public var parent: String?
    public var kind: String
    public var size: Int64?
    public init(key: String, parent: String?, kind: String, size: Int64? = nil) {
        self.key = key; self.parent = parent; self.kind = kind; self.size = size
    }
}

/// The states a task row can be in (containerd's, plus `none` for a container without a task).
public enum TaskState: String, Sendable, CaseIterable {
    case created, running, paused, stopped, none, unknown
}

/// One container with its task state.
public struct TaskRow: Sendable, Equatable {
    public var id: String
    public var image: String
    public var state: TaskState
    public var pid: Int32?
    public var exitStatus: Int32?
    public init(id: String, image: String, state: TaskState, pid: Int32? = nil, exitStatus: Int32? = nil) {
        self.id = id; self.image = image; self.state = state; self.pid = pid; self.exitStatus = exitStatus
    }
}

/// One metrics reading; the UI keeps a short history per task for the sparklines.
public struct MetricsSample: Sendable, Equatable {
    public var time: Double
    public var cpuUsageNanos: UInt64
    public var memoryBytes: UInt64
    public var memoryLimit: UInt64?
    public var pids: Int
    public init(time: Double, cpuUsageNanos: UInt64, memoryBytes: UInt64, memoryLimit: UInt64? = nil, pids: Int = 0) {
        self.time = time; self.cpuUsageNanos = cpuUsageNanos; self.memoryBytes = memoryBytes
        self.memoryLimit = memoryLimit; self.pids = pids
    }
}

/// What the details pane is about.
public enum Selection: Sendable, Equatable {
    case namespace(String)
    case image(String)
    case snapshot(String)
    case task(String)
}

/// Something changed; `namespace` nil means "anything".
public struct ChangeNote: Sendable, Equatable {
    public var namespace: String?
    public var topic: String
    public var id: String?
    public init(namespace: String?, topic: String, id: String? = nil) {
        self.namespace = namespace; self.topic = topic; self.id = id
    }
}

/// A live connection to a task's terminal.
public protocol ConsoleSession: AnyObject, Sendable {
    /// Output bytes; finishes when the process exits or on `detach()`.
    var output: AsyncStream<[UInt8]> { get }
    func write(_ bytes: [UInt8]) throws(BerthError)
    func resize(rows: Int, cols: Int) throws(BerthError)
    func detach()
}
