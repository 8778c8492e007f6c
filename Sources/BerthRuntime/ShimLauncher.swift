import BerthBase
import CBerthRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts berth-shim for a bundle with posix_spawn (nothing of Swift runs in the child) and
/// waits for its readiness line on fd 3.
enum ShimLauncher {
    /// berth-shim beside the running binary, or $BERTH_SHIM.
    static func shimPath() throws(BerthError) -> String {
        if let p = Environment.value("BERTH_SHIM"), !p.isEmpty { return p }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { throw .system("readlink", "/proc/self/exe") }
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let candidate = FileSystem.parentDirectory(exe) + "/berth-shim"
        guard access(candidate, X_OK) == 0 else {
            throw .notFound("berth-shim not found at \(candidate) (set BERTH_SHIM)")
        }
        return candidate
    }

    /// Spawns the shim; returns the init's pid once it reports `ok <pid>`.
    static func start(bundle: String, timeout: TimeInterval = 15) throws(BerthError) -> Int32 {
        let (child, readEnd) = try spawn([bundle], stderr: bundle + "/shim.log")
        defer { close(readEnd) }
        return try awaitReadiness(child: child, readEnd: readEnd, bundle: bundle, timeout: timeout)
    }

    /// posix_spawn of the shim with `args`: 0 and 1 on /dev/null, 2 on `stderr` (appended),
    /// 3 the write end of the readiness pipe (whose read end is returned), then `extraFDs`
    /// as 4, 5, ...
    static func spawn(_ args: [String], stderr: String, extraFDs: [Int32] = []) throws(BerthError) -> (pid_t, Int32) {
        let shim = try shimPath()
        var fds: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&fds) == 0 else { throw .system("pipe", "for berth-shim") }
        // Above 4, so that no dup2 below overwrites a source it still needs.
        let readEnd = fcntl(fds[0], F_DUPFD_CLOEXEC, 10), writeEnd = fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
        close(fds[0])
        close(fds[1])
        defer { close(writeEnd) }
        guard readEnd >= 0, writeEnd >= 0 else {
            if readEnd >= 0 { close(readEnd) }
            throw .system("dup", "berth-shim readiness pipe")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 3)
        for (i, fd) in extraFDs.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, Int32(4 + i)) }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        // Its own process group, so a ^C at berth's terminal never reaches the shim.
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = ([shim] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, shim, &actions, &attr, argv, envp)
        guard rc == 0 else {
            close(readEnd)
            throw .system("spawn", shim, errno: rc)
        }
        return (child, readEnd)
    }

    /// Reads the readiness line: the init's pid, or the shim's error.
    static func awaitReadiness(child: pid_t, readEnd: Int32, bundle: String, timeout: TimeInterval) throws(BerthError) -> Int32 {
        let line = readLine(readEnd, timeout: timeout)
        // The spawned process exits once it has double-forked the real shim.
        if line == nil { kill(child, SIGKILL) }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}

        guard let line else {
            let log = (try? FileSystem.readString(bundle + "/shim.log"))?.split(separator: "\n").last.map(String.init) ?? ""
            throw .unavailable("berth-shim did not report readiness\(log.isEmpty ? "" : ": " + log)")
        }
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        if parts.first == "ok", parts.count >= 2, let pid = Int32(parts[1]) { return pid }
        if parts.first == "error", parts.count >= 2 {
            let code = Int32(parts[1]) ?? 1
            let message = parts.count == 3 ? parts[2] : "berth-shim failed"
            let kind: BerthError.Code = code == 127 ? .notFound : code == 126 ? .permissionDenied : .failedPrecondition
            throw BerthError(kind, message, underlying: ProcessExitCode(code))
        }
        throw .internal("berth-shim: unexpected readiness line \(line.debugDescription)")
    }

    /// One line from fd, or nil on EOF/timeout. The shim writes a single line, so whole
    /// reads cannot take anything that belongs to someone else.
    static func readLine(_ fd: Int32, timeout: TimeInterval) -> String? {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, left)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { return nil }
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return out.isEmpty ? nil : String(decoding: out, as: UTF8.self) }
            out += chunk[0..<n]
            if let nl = out.firstIndex(of: 0x0A) { return String(decoding: out[..<nl], as: UTF8.self) }
        }
    }
}

/// A shim started before its container's bundle exists: it detaches and creates the init in
/// its new namespaces while the caller writes the container's records, mounts its rootfs and
/// makes its cgroup, which would otherwise all come first. `start()` tells it the bundle is
/// ready; dropping it unused (`cancel`, or deinit) makes the shim and its init exit.
public final class PreparedShim: @unchecked Sendable {
    /// The bundle, namespaces and terminal it was prepared for; another task cannot use it.
    let bundle: String
    let namespaces: [String]
    let terminal: Bool
    private let lock = NSLock()
    private var child: pid_t
    private var readEnd: Int32
    private var bundleEnd: Int32

    init(bundle: String, namespaces: [String], terminal: Bool) throws(BerthError) {
        self.bundle = bundle
        self.namespaces = namespaces
        self.terminal = terminal
        // Both above 5, so that no dup2 of the spawn overwrites a source it still needs.
        var sv: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &sv) == 0 else {
            throw .system("socketpair", "for berth-shim")
        }
        let mountNS = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)
        let shimEnd = fcntl(sv[1], F_DUPFD_CLOEXEC, 10), nsFD = mountNS >= 0 ? fcntl(mountNS, F_DUPFD_CLOEXEC, 10) : -1
        close(sv[1])
        if mountNS >= 0 { close(mountNS) }
        defer {
            if shimEnd >= 0 { close(shimEnd) }
            if nsFD >= 0 { close(nsFD) }
        }
        guard shimEnd >= 0, nsFD >= 0 else {
            close(sv[0])
            throw .system("open", "/proc/self/ns/mnt")
        }
        do {
            var list = ""
            for n in namespaces { list += (list.isEmpty ? "" : ",") + n }
            (child, readEnd) = try ShimLauncher.spawn(["--early", bundle, list, terminal ? "1" : "0"],
                                                      stderr: "/dev/null", extraFDs: [shimEnd, nsFD])
        } catch {
            close(sv[0])
            throw error
        }
        bundleEnd = sv[0]
    }

    deinit { cancel() }

    /// Whether the task in `bundle` with this spec can use it.
    func fits(bundle: String, namespaces: [String], terminal: Bool) -> Bool {
        self.bundle == bundle && self.terminal == terminal && Set(self.namespaces) == Set(namespaces)
    }

    /// Tells the shim its bundle is ready, runs `meanwhile` while the shim's init sets itself
    /// up on another CPU, and returns the init's pid once it reports readiness.
    func start(timeout: TimeInterval = 15, meanwhile: () -> Void = {}) throws(BerthError) -> Int32 {
        let (child, readEnd, bundleEnd) = take()
        guard child > 0 else { throw .internal("the prepared shim was already used") }
        defer { close(readEnd) }
        // MSG_NOSIGNAL: a shim that died early must not take berth down with SIGPIPE; its
        // readiness line says why.
        var go: UInt8 = 0x0A
        _ = send(bundleEnd, &go, 1, Int32(MSG_NOSIGNAL))
        close(bundleEnd)
        meanwhile()
        return try ShimLauncher.awaitReadiness(child: child, readEnd: readEnd, bundle: bundle, timeout: timeout)
    }

    /// The shim's pid and fds, once: whoever takes them starts or cancels it.
    private func take() -> (pid_t, Int32, Int32) {
        lock.withLock {
            defer { (child, readEnd, bundleEnd) = (0, -1, -1) }
            return (child, readEnd, bundleEnd)
        }
    }

    /// Abandons the shim: EOF on its bundle fd makes it and its waiting init exit.
    public func cancel() {
        let (child, readEnd, bundleEnd) = take()
        guard child > 0 else { return }
        close(bundleEnd)
        // The shim kills and reaps its waiting init, then exits; its readiness pipe reaching
        // EOF says both are gone, so the caller leaves nothing running behind.
        _ = ShimLauncher.readLine(readEnd, timeout: 5)
        close(readEnd)
        // The spawned process exits as soon as it has detached the real shim.
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    }
}
