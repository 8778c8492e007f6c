import BerthCore
import BerthTestSupport
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Frame types of the shim protocol (docs/shim-protocol.md).
enum ShimMsg {
    static let attach: UInt8 = 1, stdin: UInt8 = 2, resize: UInt8 = 3, signal: UInt8 = 4
    static let closeStdin: UInt8 = 5, state: UInt8 = 6, wait: UInt8 = 7, exec: UInt8 = 8
    static let execStdin: UInt8 = 9, shutdown: UInt8 = 11, pids: UInt8 = 12
    static let execOutput: UInt8 = 13, execExited: UInt8 = 14
    static let output: UInt8 = 20, stateReply: UInt8 = 21, exited: UInt8 = 22, error: UInt8 = 23
    static let execStarted: UInt8 = 24, pidsReply: UInt8 = 25
}

/// shim.conf records: `key\0value\0`, in order.
struct ShimConf {
    var records: [(String, String)] = []
    mutating func add(_ key: String, _ values: String...) { for v in values { records.append((key, v)) } }
    mutating func add(_ key: String, all values: [String]) { for v in values { records.append((key, v)) } }
    var bytes: [UInt8] {
        var out = [UInt8]()
        for (k, v) in records { out += Array(k.utf8) + [0] + Array(v.utf8) + [0] }
        return out
    }
}

func le32(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
func fromLE32(_ b: ArraySlice<UInt8>) -> Int32 {
    let a = Array(b)
    return Int32(bitPattern: UInt32(a[0]) | UInt32(a[1]) << 8 | UInt32(a[2]) << 16 | UInt32(a[3]) << 24)
}

struct ShimTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A bundle with a busybox rootfs (a bind mount of a temp dir), started with the built
/// berth-shim; `cleanup()` kills the shim and the task and removes mounts, cgroups and files.
final class ShimFixture: @unchecked Sendable {
    let dir: String
    let bundle: String
    let rootfs: String
    let image: String
    private(set) var cgroups: [String] = []

    static let mounts = [
        "proc\tproc\t/proc\tnosuid,noexec,nodev",
        "tmpfs\ttmpfs\t/dev\tnosuid,strictatime,mode=755,size=65536k",
        "devpts\tdevpts\t/dev/pts\tnosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5",
        "sysfs\tsysfs\t/sys\tnosuid,noexec,nodev,ro",
        "tmpfs\tshm\t/dev/shm\tnosuid,noexec,nodev,mode=1777,size=65536k",
        "mqueue\tmqueue\t/dev/mqueue\tnosuid,noexec,nodev",
    ]
    /// Docker's default capability set.
    static let dockerCaps = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    init() throws {
        var template = Array("/tmp/berth-shim-test-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw ShimTestError("mkdtemp failed") }
        dir = String(cString: p)
        bundle = dir + "/bundle"
        rootfs = bundle + "/rootfs"
        image = dir + "/image"
        let fm = FileManager.default
        for d in [rootfs, image + "/bin", image + "/proc", image + "/sys", image + "/dev", image + "/tmp", image + "/etc"] {
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: "/bin/busybox", toPath: image + "/bin/busybox")
        for applet in try Command.check(["/bin/busybox", "--list"]).split(separator: "\n") where applet != "busybox" {
            try? fm.createSymbolicLink(atPath: image + "/bin/" + applet, withDestinationPath: "busybox")
        }
        guard mount(image, rootfs, nil, UInt(MS_BIND), nil) == 0 else {
            let e = errno
            cleanup()
            throw ShimTestError("bind mount of the test rootfs failed: errno \(e)")
        }
    }

    /// The records every test task gets: busybox rootfs, all namespaces, standard mounts.
    func conf(_ args: [String], terminal: Bool = false) -> ShimConf {
        var c = ShimConf()
        c.add("id", "shimtest")
        c.add("namespace", "default")
        c.add("rootfs", rootfs)
        c.add("hostname", "berth-test-host")
        c.add("env", "PATH=/bin", "HOME=/")
        c.add("terminal", terminal ? "1" : "0")
        c.add("arg", all: args)
        c.add("namespace-new", all: ["pid", "mount", "uts", "ipc", "network", "cgroup"])
        c.add("mount", all: Self.mounts)
        c.add("cap", all: Self.dockerCaps)
        c.add("rlimit", "RLIMIT_NOFILE 1024 1024")
        return c
    }

    /// A fresh cgroup v1 `pids` (or v2) group for this test; its procs file path.
    func makeCgroup() throws -> String {
        let name = "berth-shim-test-\(getpid())-\(cgroups.count)-\((dir as NSString).lastPathComponent)"
        for base in ["/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"] {
            let path = base + "/" + name
            if mkdir(path, 0o755) == 0 {
                cgroups.append(path)
                return path + "/cgroup.procs"
            }
        }
        throw ShimTestError("cannot create a test cgroup")
    }

    /// Starts berth-shim with a readiness pipe on fd 3; returns the readiness line.
    /// `ownGroup` starts it in a new process group (so a test can kill the starter's group).
    @discardableResult
    func start(_ conf: ShimConf, ownGroup: Bool = false, starter: [String]? = nil) throws -> String {
        try Data(conf.bytes).write(to: URL(fileURLWithPath: bundle + "/shim.conf"))
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ShimTestError("pipe failed") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { close(fds[0]) }
        var fa = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fa)
        defer { posix_spawn_file_actions_destroy(&fa) }
        posix_spawn_file_actions_adddup2(&fa, fds[1], 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        if ownGroup {
            posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attr, 0)
        }
        let argv = (starter ?? []) + [BuiltProducts.shim, bundle]
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &fa, &attr, &cargs, environ)
        close(fds[1])
        guard rc == 0 else { throw ShimTestError("posix_spawn \(argv[0]) failed: \(rc)") }
        starterPid = pid
        var line = [UInt8]()
        let deadline = Date().addingTimeInterval(15)
        while !line.contains(10), Date() < deadline {
            var pfd = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            var buf = [UInt8](repeating: 0, count: 512)
            let n = read(fds[0], &buf, buf.count)
            if n <= 0 { break }
            line += buf[0..<n]
        }
        if starter == nil { var st: Int32 = 0; waitpid(pid, &st, 0) }
        return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
    private(set) var starterPid: pid_t = 0

    func pidFile(_ name: String) -> pid_t? {
        guard let s = try? String(contentsOfFile: bundle + "/" + name, encoding: .utf8) else { return nil }
        return pid_t(s.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func connect() throws -> ShimClient { try ShimClient(path: bundle + "/shim.sock") }

    /// Connects, attaches, and sends the newline the test tasks wait for (`read x`) before
    /// producing output, so nothing they print is missed.
    func attachAndRelease() throws -> ShimClient {
        let c = try connect()
        c.send(ShimMsg.attach)
        c.sendText(ShimMsg.stdin, "\n")
        return c
    }

    /// Waits for the shim to exit on its own (after the task exited and clients left).
    func shimGone(timeout: Double = 10) -> Bool {
        guard let shim = pidFile("shim.pid") else { return true }
        return Command.waitUntil(timeout: timeout) { !isAlive(shim) }
    }

    func cleanup() {
        var pids: [pid_t] = []
        for f in ["init.pid", "shim.pid"] { if let p = pidFile(f) { pids.append(p) } }
        for p in pids { kill(p, SIGKILL) }
        for cg in cgroups {
            if let procs = readProcFile(cg + "/cgroup.procs") {
                for p in procs.split(separator: "\n") { if let p = pid_t(p) { kill(p, SIGKILL) } }
            }
        }
        _ = Command.waitUntil(timeout: 10) { pids.allSatisfy { !isAlive($0) } }
        for cg in cgroups { _ = Command.waitUntil(timeout: 5) { rmdir(cg) == 0 || errno == ENOENT } }
        umount2(rootfs, Int32(MNT_DETACH))
        Mounts.unmountAll(under: dir)
        try? FileManager.default.removeItem(atPath: dir)
    }
}

/// A client of shim.sock: sends frames, collects output, waits for replies.
final class ShimClient {
    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var output: [UInt8] = []
    private(set) var execOutput: [UInt8] = []
    private var pending: [(UInt8, [UInt8])] = []

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var sa = sockaddr_un()
        sa.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: sa.sun_path) else { throw ShimTestError("socket path too long") }
        withUnsafeMutableBytes(of: &sa.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw ShimTestError("connect \(path): errno \(e)")
        }
    }
    deinit { close(fd) }

    func send(_ type: UInt8, _ payload: [UInt8] = []) {
        let frame = [type] + le32(Int32(payload.count)) + payload
        frame.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { return }
                off += n
            }
        }
    }
    func sendText(_ type: UInt8, _ s: String) { send(type, Array(s.utf8)) }

    /// Reads one frame (nil on EOF or timeout). Output frames are collected on the way.
    private func readFrame(deadline: Date) -> (UInt8, [UInt8])? {
        while true {
            if buffer.count >= 5 {
                let len = Int(fromLE32(buffer[1..<5]))
                if buffer.count >= 5 + len {
                    let f = (buffer[0], Array(buffer[5..<(5 + len)]))
                    buffer.removeFirst(5 + len)
                    return f
                }
            }
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return nil }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, Int32(min(left, 1) * 1000)) <= 0 { continue }
            var buf = [UInt8](repeating: 0, count: 65536)
            let n = read(fd, &buf, buf.count)
            if n <= 0 { return nil }
            buffer += buf[0..<n]
        }
    }

    private func absorb(_ f: (UInt8, [UInt8])) -> Bool {
        switch f.0 {
        case ShimMsg.output: output += f.1; return true
        case ShimMsg.execOutput:
            let idLen = Int(f.1[0])
            execOutput += f.1[(1 + idLen)...]
            return true
        default: return false
        }
    }

    /// The next frame of `type`; output frames met on the way are collected, others kept.
    func expect(_ type: UInt8, timeout: Double = 10) throws -> [UInt8] {
        if let i = pending.firstIndex(where: { $0.0 == type }) { return pending.remove(at: i).1 }
        let deadline = Date().addingTimeInterval(timeout)
        while let f = readFrame(deadline: deadline) {
            if absorb(f) { continue }
            if f.0 == type { return f.1 }
            if f.0 == ShimMsg.error, type != ShimMsg.error {
                throw ShimTestError("shim error: \(String(decoding: f.1, as: UTF8.self))")
            }
            pending.append(f)
        }
        throw ShimTestError("no frame of type \(type) within \(timeout)s; output so far: \(outputText)")
    }

    /// Reads until the collected output satisfies `done`.
    @discardableResult
    func waitOutput(timeout: Double = 10, exec: Bool = false, _ done: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !done(exec ? execText : outputText) {
            guard let f = readFrame(deadline: deadline) else { return done(exec ? execText : outputText) }
            if !absorb(f) { pending.append(f) }
        }
        return true
    }

    var outputText: String { String(decoding: output, as: UTF8.self) }
    var execText: String { String(decoding: execOutput, as: UTF8.self) }

    func waitExit(timeout: Double = 10) throws -> Int32 {
        send(ShimMsg.wait)
        return fromLE32(try expect(ShimMsg.exited, timeout: timeout)[0..<4])
    }

    func state() throws -> [String: Any] {
        send(ShimMsg.state)
        let p = try expect(ShimMsg.stateReply)
        return (try JSONSerialization.jsonObject(with: Data(p)) as? [String: Any]) ?? [:]
    }
}

/// Reads a kernel file to EOF (procfs and cgroupfs report size 0).
func readProcFile(_ path: String) -> String? {
    guard let fh = FileHandle(forReadingAtPath: path) else { return nil }
    defer { try? fh.close() }
    return String(decoding: fh.readDataToEndOfFile(), as: UTF8.self)
}

/// Whether `pid` runs (a zombie waiting for its reaper counts as gone).
func isAlive(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0, let stat = readProcFile("/proc/\(pid)/stat"),
          let close = stat.lastIndex(of: ")") else { return false }
    return !stat[close...].hasPrefix(") Z")
}
