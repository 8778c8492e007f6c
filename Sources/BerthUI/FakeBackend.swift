import BerthCore
import Foundation

/// An in-memory backend for unit tests and benchmarks: generated images, snapshot chains and
/// tasks. A task runs a real local process on a pty (started on first attach), so the console
/// pane works end to end without containers.
public final class FakeBackend: UIBackend, @unchecked Sendable {
    public let label = "fake backend"
    private let lock = NSLock()
    private var imageRows: [ImageRow]
    private var snapshotRows: [SnapshotRow]
    private var taskRows: [TaskRow]
    private var processes: [String: PTYProcess] = [:]
    private var logs: [String: [UInt8]] = [:]
    private let changeStream: AsyncStream<ChangeNote>
    private let changeCont: AsyncStream<ChangeNote>.Continuation
    public private(set) var performed: [String] = []

    /// `images` images, a chain of three snapshots per ten images, `tasks` tasks (every
    /// fourth stopped, every tenth paused).
    public init(images: Int = 3, tasks: Int = 2) {
        imageRows = (0..<images).map { (i: Int) -> ImageRow in
            let digest = "sha256:" + String(repeating: String(i % 10), count: 64)
            return ImageRow(name: "example.com/app\(i):v\(i % 7)", digest: digest, size: Int64(1_000_000 + i * 4096), platform: "linux/amd64")
        }
        var snaps: [SnapshotRow] = []
        for c in 0..<max(1, images / 10) {
            var parent: String?
            for l in 0..<3 {
                let key = "sha256:\(String(format: "%04d%04d", c, l))" + String(repeating: "a", count: 56)
                snaps.append(SnapshotRow(key: key, parent: parent, kind: "committed", size: 4096))
                parent = key
            }
        }
        snapshotRows = snaps
        let imageCount = max(1, images)
        taskRows = (0..<tasks).map { (i: Int) -> TaskRow in
            let state: TaskState = i % 4 == 3 ? .stopped : (i % 10 == 9 ? .paused : .running)
            return TaskRow(id: "task\(i)", image: "example.com/app\(i % imageCount):v0", state: state, pid: Int32(1000 + i))
        }
        (changeStream, changeCont) = AsyncStream<ChangeNote>.makeStream()
    }

    private func locked<T>(_ f: () throws(BerthError) -> T) throws(BerthError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try f()
    }

    private func changed(_ topic: String, _ id: String? = nil) {
        changeCont.yield(ChangeNote(namespace: nil, topic: topic, id: id))
    }

    public func namespaces() throws(BerthError) -> [String] { ["default", "staging"] }
    public func images(namespace: String) throws(BerthError) -> [ImageRow] { try locked { imageRows } }
    public func snapshots(namespace: String) throws(BerthError) -> [SnapshotRow] { try locked { snapshotRows } }
    public func tasks(namespace: String) throws(BerthError) -> [TaskRow] {
        try locked {
            taskRows.map { t in
                var t = t
                if let p = processes[t.id], !p.isRunning { t.state = .stopped }
                return t
            }
        }
    }

    public func details(namespace: String, item: Selection) throws(BerthError) -> [String] {
        switch item {
        case .namespace(let n): return ["Namespace:", "  name  \(n)"]
        case .image(let n):
            guard let i = try locked({ imageRows.first { $0.name == n } }) else { throw .notFound("image \(n) not found") }
            return ["Image:", "  name      \(i.name)", "  digest    \(i.digest)", "  size      \(Format.size(i.size))", "  platform  \(i.platform)",
                    "Config:", "  cmd       [\"sh\"]", "Layers:", "  sha256:0000…  1.0 MiB"]
        case .snapshot(let k): return ["Snapshot:", "  key  \(k)", "  kind committed"]
        case .task(let id):
            guard let t = try locked({ taskRows.first { $0.id == id } }) else { throw .notFound("task \(id) not found") }
            return ["Task:", "  id      \(t.id)", "  image   \(t.image)", "  state   \(t.state.rawValue)", "  pid     \(t.pid.map(String.init) ?? "-")"]
        }
    }

    public func metrics(namespace: String, id: String) throws(BerthError) -> MetricsSample {
        let p = try locked { processes[id] }
        var cpu: UInt64 = 0, mem: UInt64 = 0
        if let p, let stat = try? String(contentsOfFile: "/proc/\(p.pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let f = stat[stat.index(after: close)...].split(separator: " ")
            if f.count > 22 {
                cpu = ((UInt64(f[11]) ?? 0) + (UInt64(f[12]) ?? 0)) * 10_000_000
                mem = (UInt64(f[21]) ?? 0) * 4096
            }
        }
        return MetricsSample(time: App.now(), cpuUsageNanos: cpu, memoryBytes: mem, memoryLimit: 512 << 20, pids: 1)
    }

    public func log(namespace: String, id: String) throws(BerthError) -> [UInt8] { try locked { logs[id] ?? [] } }

    public func attach(namespace: String, id: String) throws(BerthError) -> any ConsoleSession {
        try locked { () throws(BerthError) in
            guard taskRows.contains(where: { $0.id == id }) else { throw .notFound("task \(id) not found") }
            if let p = processes[id], p.isRunning { return p }
            let p = try PTYProcess(["sh"], environment: ["PS1": "\(id)$ "])
            processes[id] = p
            return p
        }
    }

    public func run(namespace: String, image: String, command: [String], tty: Bool) throws(BerthError) -> String {
        let id = try locked { () throws(BerthError) -> String in
            guard imageRows.contains(where: { $0.name == image }) else { throw .notFound("image \(image.debugDescription) not found") }
            let id = "task\(taskRows.count)"
            let p = try PTYProcess(command.isEmpty ? ["sh"] : command, environment: ["PS1": "\(id)$ "])
            processes[id] = p
            taskRows.append(TaskRow(id: id, image: image, state: .running, pid: p.pid))
            performed.append("run \(image)")
            return id
        }
        changed("/tasks/start", id)
        return id
    }

    public func execShell(namespace: String, id: String) throws(BerthError) -> any ConsoleSession {
        try PTYProcess(["sh"], environment: ["PS1": "exec:\(id)$ "])
    }

    private func record(_ what: String, _ id: String, state: TaskState? = nil) throws(BerthError) {
        try locked { () throws(BerthError) in
            guard let i = taskRows.firstIndex(where: { $0.id == id }) else { throw .notFound("task \(id) not found") }
            if let state { taskRows[i].state = state }
            performed.append("\(what) \(id)")
        }
        changed("/tasks/\(what)", id)
    }

    public func kill(namespace: String, id: String, signal: Int32) throws(BerthError) {
        try locked { processes[id] }?.terminate()
        try record("kill", id, state: .stopped)
    }
    public func stop(namespace: String, id: String, timeout: Double) async throws(BerthError) {
        try locked { processes[id] }?.terminate()
        try record("stop", id, state: .stopped)
    }
    public func pause(namespace: String, id: String) throws(BerthError) { try record("pause", id, state: .paused) }
    public func resume(namespace: String, id: String) throws(BerthError) { try record("resume", id, state: .running) }
    public func delete(namespace: String, id: String) throws(BerthError) {
        try record("delete", id)
        try locked {
            processes.removeValue(forKey: id)?.terminate()
            taskRows.removeAll { $0.id == id }
        }
    }
    public func deleteImage(namespace: String, name: String) throws(BerthError) {
        try locked { imageRows.removeAll { $0.name == name }; performed.append("rmi \(name)") }
        changed("/images/delete")
    }
    public func removeSnapshot(namespace: String, key: String) throws(BerthError) {
        try locked { () throws(BerthError) in
            if snapshotRows.contains(where: { $0.parent == key }) { throw .failedPrecondition("snapshot \(key) has children") }
            snapshotRows.removeAll { $0.key == key }
        }
        changed("/snapshot/remove")
    }
    public func garbageCollect() throws(BerthError) -> String { try locked { performed.append("gc") }; return "gc: nothing to remove" }
    public func importArchive(namespace: String, path: String, progress: @escaping @Sendable (Double, String) -> Void) throws(BerthError) -> [String] {
        throw .unavailable("import is not available in the fake backend")
    }
    public func createDemo(namespace: String, progress: @escaping @Sendable (Double, String) -> Void) throws(BerthError) -> [String] {
        try locked {
            imageRows.insert(ImageRow(name: "localhost/busybox:latest", digest: "sha256:" + String(repeating: "b", count: 64), size: 1_200_000), at: 0)
        }
        changed("/images/create")
        return ["localhost/busybox:latest"]
    }
    public func changes() -> AsyncStream<ChangeNote> { changeStream }

    /// Ends every local process (tests' clean-up).
    public func shutdown() {
        lock.lock()
        let ps = processes.values
        processes = [:]
        lock.unlock()
        for p in ps { p.terminate() }
    }
}

extension FakeBackend {
    /// `images=N,tasks=M` (the benchmarks' hidden `--fake-backend` option).
    public convenience init(spec: String) {
        var images = 3, tasks = 2
        for part in spec.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let n = Int(kv[1]) else { continue }
            if kv[0] == "images" { images = n } else if kv[0] == "tasks" { tasks = n }
        }
        self.init(images: images, tasks: tasks)
    }
}
