import BerthCore
import Foundation

/// A containerd of the test's own: its own root, state, socket and config in a temp dir,
/// used as an oracle. `stop()` ends it and cleans up its mounts, shims and files.
public final class PrivateContainerd: @unchecked Sendable {
    public let dir: String
    public let socket: String
    public let process: Process
    public let namespace = "berth-test"

    private init(dir: String, socket: String, process: Process) {
        self.dir = dir
        self.socket = socket
        self.process = process
    }

    public static func start() throws -> PrivateContainerd {
        var template = Array("/tmp/berth-ctrd-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw BerthError.internal("mkdtemp failed") }
        let dir = String(cString: p)
        let socket = dir + "/c.sock"
        let config = """
        version = 2
        root = "\(dir)/root"
        state = "\(dir)/state"
        disabled_plugins = ["io.containerd.grpc.v1.cri"]
        [grpc]
          address = "\(socket)"
        [ttrpc]
          address = "\(socket).ttrpc"
        [debug]
          address = "\(dir)/debug.sock"
        [plugins."io.containerd.internal.v1.opt"]
          path = "\(dir)/opt"
        """
        try config.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: try Command.which("containerd"))
        proc.arguments = ["--config", dir + "/config.toml", "--log-level", "warn"]
        let log = FileHandle(forWritingAtPath: "/dev/null")
        FileManager.default.createFile(atPath: dir + "/containerd.log", contents: nil)
        proc.standardOutput = FileHandle(forWritingAtPath: dir + "/containerd.log") ?? log
        proc.standardError = FileHandle(forWritingAtPath: dir + "/containerd.log") ?? log
        try proc.run()
        let c = PrivateContainerd(dir: dir, socket: socket, process: proc)
        let up = try Command.waitUntil(timeout: 20, interval: 0.05) {
            guard proc.isRunning else { return false }
            return try Command.run(["ctr", "--address", socket, "version"]).succeeded
        }
        guard up else {
            let log = (try? String(contentsOfFile: dir + "/containerd.log", encoding: .utf8)) ?? ""
            c.stop()
            throw BerthError.unavailable("private containerd did not start: \(log.suffix(500))")
        }
        return c
    }

    /// Runs `ctr` against this containerd in its test namespace; throws unless it exits 0.
    @discardableResult
    public func ctr(_ args: [String], stdin: Data? = nil) throws -> String {
        try Command.check(["ctr", "--address", socket, "--namespace", namespace] + args, stdin: stdin)
    }

    public func ctrResult(_ args: [String]) throws -> CommandResult {
        try Command.run(["ctr", "--address", socket, "--namespace", namespace] + args)
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            _ = Command.waitUntil(timeout: 10) { !process.isRunning }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        // Shims started by this containerd carry its socket path in their command line.
        if let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") {
            for pid in pids where Int32(pid) != nil {
                if let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
                   cmd.contains(socket) {
                    kill(Int32(pid)!, SIGKILL)
                }
            }
        }
        Mounts.unmountAll(under: dir)
        try? FileSystem.removeTree(dir)
    }
}

/// Mount-table helpers for cleanup and leak checks.
public enum Mounts {
    /// Mount points from /proc/self/mountinfo, with octal escapes decoded.
    public static func mountPoints() -> [String] {
        // Read to EOF: procfs reports size 0 and String(contentsOfFile:) stops after one read.
        guard let fh = FileHandle(forReadingAtPath: "/proc/self/mountinfo") else { return [] }
        defer { try? fh.close() }
        let text = String(decoding: fh.readDataToEndOfFile(), as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            return f.count > 4 ? decode(String(f[4])) : nil
        }
    }

    public static func mounts(under dir: String) -> [String] {
        mountPoints().filter { $0 == dir || $0.hasPrefix(dir + "/") }
    }

    /// Unmounts everything at or below `dir`, deepest first (lazily, so a busy one goes too).
    public static func unmountAll(under dir: String) {
        for _ in 0..<3 {
            let ms = mounts(under: dir).sorted { $0.count > $1.count }
            if ms.isEmpty { return }
            for m in ms { umount2(m, Int32(MNT_DETACH)) }
        }
    }

    static func decode(_ s: String) -> String {
        var out = [UInt8]()
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == 92, i + 3 < u.count, let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v); i += 4
            } else { out.append(u[i]); i += 1 }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
