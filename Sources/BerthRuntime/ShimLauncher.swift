import BerthBase
import CBerthSys
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
        let candidate = (exe as NSString).deletingLastPathComponent + "/berth-shim"
        guard access(candidate, X_OK) == 0 else {
            throw .notFound("berth-shim not found at \(candidate) (set BERTH_SHIM)")
        }
        return candidate
    }

    /// Spawns the shim; returns the init's pid once it reports `ok <pid>`.
    static func start(bundle: String, timeout: TimeInterval = 15) throws(BerthError) -> Int32 {
        let shim = try shimPath()
        var fds: [Int32] = [-1, -1]
        guard berth_pipe_cloexec(&fds) == 0 else { throw .system("pipe", bundle) }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        defer { close(readEnd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, bundle + "/shim.log", O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 3)

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

        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(shim), strdup(bundle), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, shim, &actions, &attr, argv, envp)
        close(writeEnd)
        guard rc == 0 else { throw .system("spawn", shim, errno: rc) }

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
    private static func readLine(_ fd: Int32, timeout: TimeInterval) -> String? {
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
