import BerthCore
import Foundation

/// The UI's backend over BerthCore's public API: the same calls an embedding program makes.
public final class CoreBackend: UIBackend, Sendable {
    public let core: BerthCore
    public var label: String { core.paths.root }

    public init(core: BerthCore) { self.core = core }

    public func namespaces() throws(BerthError) -> [String] { try core.namespaces.list().map(\.name) }

    public func images(namespace: String) throws(BerthError) -> [ImageRow] {
        throw .unavailable("images are not available in this build")
    }

    public func snapshots(namespace: String) throws(BerthError) -> [SnapshotRow] {
        throw .unavailable("snapshots are not available in this build")
    }

    public func tasks(namespace: String) throws(BerthError) -> [TaskRow] {
        throw .unavailable("tasks are not available in this build")
    }

    public func details(namespace: String, item: Selection) throws(BerthError) -> [String] {
        switch item {
        case .namespace(let n):
            let r = try core.namespaces.get(n)
            var lines = ["Namespace:", "  name     \(r.name)", "  created  \(r.createdAt)"]
            if !r.labels.isEmpty {
                lines.append("Labels:")
                lines += r.labels.sorted { $0.key < $1.key }.map { "  \($0.key)=\($0.value)" }
            }
            return lines
        default:
            throw .unavailable("details are not available in this build")
        }
    }

    public func metrics(namespace: String, id: String) throws(BerthError) -> MetricsSample { throw unavailable("metrics") }
    public func log(namespace: String, id: String) throws(BerthError) -> [UInt8] { throw unavailable("task logs") }
    public func attach(namespace: String, id: String) throws(BerthError) -> any ConsoleSession { throw unavailable("attach") }
    public func run(namespace: String, image: String, command: [String], tty: Bool) throws(BerthError) -> String { throw unavailable("run") }
    public func execShell(namespace: String, id: String) throws(BerthError) -> any ConsoleSession { throw unavailable("exec") }
    public func kill(namespace: String, id: String, signal: Int32) throws(BerthError) { throw unavailable("kill") }
    public func stop(namespace: String, id: String, timeout: Double) async throws(BerthError) { throw unavailable("stop") }
    public func pause(namespace: String, id: String) throws(BerthError) { throw unavailable("pause") }
    public func resume(namespace: String, id: String) throws(BerthError) { throw unavailable("resume") }
    public func delete(namespace: String, id: String) throws(BerthError) { throw unavailable("delete") }
    public func deleteImage(namespace: String, name: String) throws(BerthError) { throw unavailable("image removal") }
    public func removeSnapshot(namespace: String, key: String) throws(BerthError) { throw unavailable("snapshot removal") }
    public func garbageCollect() throws(BerthError) -> String { throw unavailable("garbage collection") }
    public func importArchive(namespace: String, path: String, progress: @escaping @Sendable (Double, String) -> Void) throws(BerthError) -> [String] {
        throw unavailable("import")
    }
    public func createDemo(namespace: String, progress: @escaping @Sendable (Double, String) -> Void) throws(BerthError) -> [String] {
        throw unavailable("the demo image")
    }

    private func unavailable(_ what: String) -> BerthError { .unavailable("\(what) is not available in this build") }

    public func changes() -> AsyncStream<ChangeNote> {
        let events = core.events.follow()
        return AsyncStream { cont in
            let t = Task {
                for await e in events { cont.yield(ChangeNote(namespace: e.namespace, topic: e.topic, id: e.attributes["id"])) }
                cont.finish()
            }
            cont.onTermination = { _ in t.cancel() }
        }
    }
}
