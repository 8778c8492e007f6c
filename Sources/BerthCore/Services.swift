import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
import Foundation

// What front ends may do with each service, as `BerthCore` hands them out. The services'
// own types (the runtime, the stores, the journal) stay behind these: a front end cannot reach
// their internals, the shim launcher or the database.

/// Containers and their tasks (`BerthCore.tasks`).
public protocol TaskService: Sendable {
    func containers(namespace: String) throws(BerthError) -> [Container]
    func container(namespace: String, id: String) throws(BerthError) -> Container
    /// Every task of a namespace, reconciled first (vanished shims show as stopped, 255).
    func tasks(namespace: String) throws(BerthError) -> [TaskInfo]
    func task(namespace: String, id: String) throws(BerthError) -> TaskInfo
    /// Follows the task's output (replayed, then live) and feeds its input; `foreground` for
    /// a caller that waits for the task's exit in the foreground.
    func attach(namespace: String, id: String, foreground: Bool) throws(BerthError) -> TaskAttachment
    func exec(namespace: String, id: String, execID: String?, args: [String], env: [String],
              cwd: String?, user: String?, terminal: Bool) throws(BerthError) -> TaskAttachment
    func kill(namespace: String, id: String, signal: Int32, all: Bool) throws(BerthError)
    func pause(namespace: String, id: String) throws(BerthError)
    func resume(namespace: String, id: String) throws(BerthError)
    func pids(namespace: String, id: String) throws(BerthError) -> [Int32]
    func metrics(namespace: String, id: String) throws(BerthError) -> TaskMetrics
    /// Deletes a stopped task (any, killing it first, with `force`); its exit status.
    func deleteTask(namespace: String, id: String, force: Bool) throws(BerthError) -> Int32
}

extension TaskService {
    public func attach(namespace: String, id: String) throws(BerthError) -> TaskAttachment {
        try attach(namespace: namespace, id: id, foreground: false)
    }
    public func exec(namespace: String, id: String, execID: String? = nil, args: [String], env: [String] = [],
                     cwd: String? = nil, user: String? = nil, terminal: Bool = false) throws(BerthError) -> TaskAttachment {
        try exec(namespace: namespace, id: id, execID: execID, args: args, env: env, cwd: cwd, user: user, terminal: terminal)
    }
    public func kill(namespace: String, id: String, signal: Int32 = SIGTERM) throws(BerthError) {
        try kill(namespace: namespace, id: id, signal: signal, all: false)
    }
}

extension Runtime: TaskService {}

/// The content store: blobs by digest, ingests (`BerthCore.content`).
public protocol ContentService: Sendable {
    /// How much to hand a writer at once.
    var preferredWriteSize: Int { get }
    func list(namespace: String) throws(BerthError) -> [ContentRecord]
    func info(namespace: String, _ digest: Digest) throws(BerthError) -> ContentRecord
    func copyBlob(namespace: String, _ digest: Digest, to out: Int32, outName: String) throws(BerthError)
    func writer(namespace: String, ref: String, expectedSize: Int64?, lease: String?) throws(BerthError) -> ContentWriter
    func setLabels(namespace: String, _ digest: Digest, _ changes: Labels) throws(BerthError)
    func activeIngests(namespace: String) -> [IngestStatus]
}

extension ContentService {
    public func writer(namespace: String, ref: String, expectedSize: Int64? = nil) throws(BerthError) -> ContentWriter {
        try writer(namespace: namespace, ref: ref, expectedSize: expectedSize, lease: nil)
    }
}

extension ContentStore: ContentService {
    public var preferredWriteSize: Int { Self.bufferSize }
}

/// Namespaces (`BerthCore.namespaces`; removing one is `BerthCore.removeNamespace`).
public protocol NamespaceService: Sendable {
    func list() throws(BerthError) -> [NamespaceRecord]
    func get(_ name: String) throws(BerthError) -> NamespaceRecord
    func setLabels(_ name: String, _ changes: Labels) throws(BerthError)
}

extension NamespaceStore: NamespaceService {}

/// Leases (`BerthCore.leases`; removing them is `BerthCore.removeLeases`).
public protocol LeaseService: Sendable {
    func list(namespace: String) throws(BerthError) -> [LeaseRecord]
    func create(namespace: String, id: String?, expiresIn: TimeInterval?, labels: Labels) throws(BerthError) -> LeaseRecord
}

extension LeaseStore: LeaseService {}

/// The event journal, for reading (`BerthCore.events`); the services publish.
public protocol EventService: Sendable {
    func readAll() -> [Event]
    func follow() -> AsyncStream<Event>
}

extension EventJournal: EventService {}
