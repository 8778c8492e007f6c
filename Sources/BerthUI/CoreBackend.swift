import BerthCore
import Foundation

/// The UI's backend over BerthCore's public API: the same calls an embedding program makes.
public final class CoreBackend: UIBackend, Sendable {
    public let core: BerthCore
    public var label: String { core.paths.root }

    public init(core: BerthCore) { self.core = core }

    public func namespaces() throws(BerthError) -> [String] { try core.namespaces.list().map(\.name) }

    public func images(namespace: String) throws(BerthError) -> [ImageRow] {
        try core.listImages(namespace: namespace).map { ImageRow(name: $0.name, digest: $0.digest.description, size: $0.size) }
    }

    public func snapshots(namespace: String) throws(BerthError) -> [SnapshotRow] {
        try core.listSnapshots(namespace: namespace).map { SnapshotRow(key: $0.info.name, parent: $0.info.parent, kind: $0.info.kind.rawValue) }
    }

    public func tasks(namespace: String) throws(BerthError) -> [TaskRow] { try taskRows(namespace: namespace) }

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
        case .image(let name):
            return imageDetails(try core.inspectImage(namespace: namespace, name))
        case .snapshot(let key):
            return try snapshotDetails(namespace: namespace, key)
        case .task(let id):
            return try taskDetails(namespace: namespace, id)
        }
    }

    public func metrics(namespace: String, id: String) throws(BerthError) -> MetricsSample { try sample(namespace: namespace, id) }
    public func log(namespace: String, id: String) throws(BerthError) -> [UInt8] { try taskLog(namespace: namespace, id) }
    public func attach(namespace: String, id: String) throws(BerthError) -> any ConsoleSession {
        AttachmentConsole(try core.tasks.attach(namespace: namespace, id: id))
    }
    public func run(namespace: String, image: String, command: [String], tty: Bool) throws(BerthError) -> String {
        try runImage(namespace: namespace, image: image, command: command, tty: tty)
    }
    public func execShell(namespace: String, id: String) throws(BerthError) -> any ConsoleSession {
        AttachmentConsole(try core.tasks.exec(namespace: namespace, id: id, args: ["/bin/sh"], env: ["TERM=xterm-256color"], terminal: true))
    }
    public func kill(namespace: String, id: String, signal: Int32) throws(BerthError) {
        try core.tasks.kill(namespace: namespace, id: id, signal: signal, all: signal == SIGKILL)
    }
    public func stop(namespace: String, id: String, timeout: Double) async throws(BerthError) {
        try await stopTask(namespace: namespace, id: id, timeout: timeout)
    }
    public func pause(namespace: String, id: String) throws(BerthError) { try core.tasks.pause(namespace: namespace, id: id) }
    public func resume(namespace: String, id: String) throws(BerthError) { try core.tasks.resume(namespace: namespace, id: id) }
    public func delete(namespace: String, id: String) throws(BerthError) { try core.removeContainer(namespace: namespace, id: id, force: true) }
    public func deleteImage(namespace: String, name: String) throws(BerthError) {
        _ = try core.removeImages(namespace: namespace, [name])
    }
    public func removeSnapshot(namespace: String, key: String) throws(BerthError) {
        try core.snapshotter().remove(namespace: namespace, key: key)
    }
    public func garbageCollect() throws(BerthError) -> String {
        let r = try core.garbageCollect()
        if r.isEmpty { return "gc: nothing to collect" }
        return "gc: removed \(r.blobs.count) blobs, \(r.snapshots.count) snapshots, \(r.leases.count) leases, \(r.ingests.count) ingests"
    }

    public func importArchive(namespace: String, path: String, progress: @escaping @Sendable (Double, String) -> Void) throws(BerthError) -> [String] {
        let name = (path as NSString).lastPathComponent
        let imported = try core.importImages(namespace: namespace, from: .file(path)) { p in
            let f = p.total.map { $0 > 0 ? Double(p.bytes) / Double($0) : 0 } ?? 0
            progress(f, "importing \(name): \(Format.size(p.bytes))" + (p.total.map { " of " + Format.size($0) } ?? ""))
        }
        return imported.map(\.name)
    }

    public func createDemo(namespace: String, progress: @escaping @Sendable (Double, String) -> Void) throws(BerthError) -> [String] {
        progress(0.1, "creating the demo image from the host's busybox")
        return try core.createDemoImage(namespace: namespace).map { [$0.name] } ?? []
    }

    private func imageDetails(_ d: ImageDetails) -> [String] {
        var lines = ["Image:", "  name       \(d.image.name)", "  digest     \(d.image.digest)", "  media      \(d.image.mediaType)",
                     "  size       \(Format.size(d.size))", "  created    \(d.image.createdAt)"]
        for m in d.manifests {
            let c = m.imageConfig
            lines.append("Platform \(m.platform.description):")
            lines.append("  manifest   \(m.digest)")
            if let cfg = c.config {
                if let e = cfg.Entrypoint { lines.append("  entrypoint \(e)") }
                if let cmd = cfg.Cmd { lines.append("  cmd        \(cmd)") }
                if let w = cfg.WorkingDir, !w.isEmpty { lines.append("  workdir    \(w)") }
                if let u = cfg.User, !u.isEmpty { lines.append("  user       \(u)") }
                for e in cfg.Env ?? [] { lines.append("  env        \(e)") }
            }
            lines.append("Layers (\(m.layers.count)):")
            for l in m.layers { lines.append("  \(l.digest.description.prefix(19))  \(Format.size(l.size))  \(l.mediaType)") }
        }
        return lines
    }

    /// The snapshot, its chain down to the base layer, and disk use (its own and the chain's).
    private func snapshotDetails(namespace: String, _ key: String) throws(BerthError) -> [String] {
        let sn = try core.snapshotter()
        let info = try sn.stat(namespace: namespace, key: key)
        let own = try sn.usage(namespace: namespace, key: key)
        var lines = ["Snapshot:", "  key        \(info.name)", "  kind       \(info.kind.rawValue)", "  snapshotter \(info.snapshotter)",
                     "  created    \(info.createdAt)", "  usage      \(Format.size(own.size)), \(own.inodes) inodes"]
        var chain: [(String, SnapshotUsage)] = []
        var total = own
        var parent = info.parent
        while let p = parent, chain.count < 256, let pi = try? sn.stat(namespace: namespace, key: p) {
            let u = (try? sn.usage(namespace: namespace, key: p)) ?? SnapshotUsage()
            chain.append((p, u))
            total = SnapshotUsage(size: total.size + u.size, inodes: total.inodes + u.inodes)
            parent = pi.parent
        }
        lines.append("Chain (\(chain.count + 1) layers, \(Format.size(total.size)) in all):")
        lines.append("  \(SnapshotTree.shortKey(info.name))  \(Format.size(own.size))")
        for (k, u) in chain { lines.append("  └ \(SnapshotTree.shortKey(k))  \(Format.size(u.size))") }
        if !info.labels.isEmpty {
            lines.append("Labels:")
            lines += info.labels.sorted { $0.key < $1.key }.map { "  \($0.key)=\($0.value)" }
        }
        return lines
    }


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
