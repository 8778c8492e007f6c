import BerthCore
import Foundation

/// A task's stdio through its shim, as the console pane uses it.
final class AttachmentConsole: ConsoleSession, Sendable {
    let attachment: TaskAttachment
    init(_ a: TaskAttachment) { attachment = a }
    var output: AsyncStream<[UInt8]> { attachment.output }
    func write(_ bytes: [UInt8]) throws(BerthError) { try attachment.write(bytes) }
    func resize(rows: Int, cols: Int) throws(BerthError) {
        try attachment.resize(rows: UInt16(clamping: rows), cols: UInt16(clamping: cols))
    }
    func detach() { attachment.detach() }
}

/// Containers and tasks through the core's runtime API.
extension CoreBackend {
    func taskRows(namespace: String) throws(BerthError) -> [TaskRow] {
        let containers = try core.tasks.containers(namespace: namespace)
        var byID: [String: TaskInfo] = [:]
        for t in try core.tasks.tasks(namespace: namespace) { byID[t.id] = t }
        return containers.map { c in
            guard let t = byID[c.id] else { return TaskRow(id: c.id, image: c.image, state: .none) }
            return TaskRow(id: c.id, image: c.image, state: TaskState(rawValue: t.status.rawValue) ?? .unknown, pid: t.pid, exitStatus: t.exitStatus)
        }
    }

    func taskDetails(namespace: String, _ id: String) throws(BerthError) -> [String] {
        let c = try core.tasks.container(namespace: namespace, id: id)
        let t = try? core.tasks.task(namespace: namespace, id: id)
        var lines = ["Task:", "  id         \(c.id)", "  image      \(c.image.isEmpty ? "-" : c.image)",
                     "  status     \(t?.status.rawValue ?? "no task")"]
        if let pid = t?.pid { lines.append("  pid        \(pid)") }
        if let e = t?.exitStatus { lines.append("  exit       \(e)") }
        lines.append("  created    \(c.createdAt)")
        if let p = c.spec.process {
            lines.append("Spec:")
            lines.append("  args       \(p.args)")
            lines.append("  cwd        \(p.cwd)")
            lines.append("  user       \(p.user.uid):\(p.user.gid)")
            lines.append("  terminal   \(p.terminal ?? false)")
        }
        if let h = c.spec.hostname { lines.append("  hostname   \(h)") }
        lines.append("  snapshot   \(c.snapshotter)/\(c.snapshotKey)")
        if let m = try? core.tasks.metrics(namespace: namespace, id: id) {
            lines.append("Cgroup:")
            lines.append("  memory     \(m.memoryCurrent.map { Format.size($0) } ?? "-") of \(m.memoryLimit.flatMap(Self.limit).map { Format.size(Int64($0)) } ?? "no limit")")
            lines.append("  pids       \(m.pidsCurrent.map(String.init) ?? "-") of \(m.pidsLimit.map(String.init) ?? "no limit")")
            if let o = m.oomKills, o > 0 { lines.append("  oom kills  \(o)") }
        }
        return lines
    }

    /// cgroup v1 says "no limit" with a huge number (PAGE_COUNTER_MAX pages).
    static func limit(_ v: Int64) -> UInt64? { v <= 0 || v >= 1 << 60 ? nil : UInt64(v) }

    func sample(namespace: String, _ id: String) throws(BerthError) -> MetricsSample {
        let m = try core.tasks.metrics(namespace: namespace, id: id)
        return MetricsSample(time: App.now(), cpuUsageNanos: m.cpuUsageNanos ?? 0, memoryBytes: UInt64(max(0, m.memoryCurrent ?? 0)),
                             memoryLimit: m.memoryLimit.flatMap(Self.limit), pids: Int(m.pidsCurrent ?? 0))
    }

    /// The output so far: an attachment replays it first; collect until it pauses.
    func taskLog(namespace: String, _ id: String) throws(BerthError) -> [UInt8] {
        let a = try core.tasks.attach(namespace: namespace, id: id)
        let collected = Locked<[UInt8]>([])
        let done = DispatchSemaphore(value: 0)
        let reader = Task.detached {
            for await chunk in a.output { collected.withLock { $0 += chunk } }
            done.signal()
        }
        var last = -1
        while true {
            if done.wait(timeout: .now() + 0.3) == .success { break }
            let n = collected.withLock { $0.count }
            if n == last { break }
            last = n
        }
        a.detach()
        reader.cancel()
        return collected.current
    }

    func runImage(namespace: String, image: String, command: [String], tty: Bool) throws(BerthError) -> String {
        var options = ContainerOptions()
        options.terminal = tty
        if !command.isEmpty { options.command = command }
        return try core.run(namespace: namespace, id: BerthCore.newContainerID(), rootfs: .image(image), options: options).id
    }

    func stopTask(namespace: String, id: String, timeout: Double) async throws(BerthError) {
        try core.tasks.kill(namespace: namespace, id: id, signal: SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? core.tasks.task(namespace: namespace, id: id))?.status == .stopped { return }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        try core.tasks.kill(namespace: namespace, id: id, signal: SIGKILL, all: true)
    }
}
