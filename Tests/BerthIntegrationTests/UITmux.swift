import BerthCore
import BerthTestSupport
import Foundation

/// The real berth binary in a detached tmux session of a fixed size, on a private tmux
/// server, driven with send-keys and read with capture-pane.
final class UITmux {
    let socket: String
    let session = "ui"
    let tmp: TempRoot?

    /// Starts `berth ui ARGS` (with the temp root's BERTH_ROOT/BERTH_STATE when given). The
    /// command line is followed by an exit marker so tests can see how berth ended.
    init(_ args: [String], tmp: TempRoot?, rows: Int = 35, cols: Int = 120, env: [String: String] = [:]) throws {
        socket = "berth-ui-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        self.tmp = tmp
        var vars = ["TERM": "xterm-256color", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "BERTH_THEME": ""]
        if let tmp { vars["BERTH_ROOT"] = tmp.paths.root; vars["BERTH_STATE"] = tmp.paths.state }
        for (k, v) in env { vars[k] = v }
        let assignments = vars.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote($0.value))" }.joined(separator: " ")
        let cmd = "env \(assignments) \(([BuiltProducts.berth, "ui"] + args).map(Self.quote).joined(separator: " ")); echo \"__EXIT__$?\"; sleep 600"
        try Self.runDetached(["/usr/bin/tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", session,
                              "-x", "\(cols)", "-y", "\(rows)", cmd])
        try Command.check(["tmux", "-L", socket, "set-option", "-g", "status", "off"])
    }

    deinit { close() }

    /// Ends berth (SIGTERM: it restores the terminal and leaves) and the tmux server.
    func close() {
        if let pid = try? Command.run(["tmux", "-L", socket, "list-panes", "-t", session, "-F", "#{pane_pid}"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), let p = Int32(pid) {
            _ = try? Command.run(["pkill", "-TERM", "-P", "\(p)"])
        }
        _ = try? Command.run(["tmux", "-L", socket, "kill-server"])
    }

    /// Runs a command that leaves a server behind (tmux) with /dev/null for stdio and no other
    /// descriptors, so the server never holds a caller's pipe open; waits for the command itself.
    static func runDetached(_ argv: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in 0...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        // bash closes every other inherited descriptor before it becomes the command.
        let closeAll = "for f in /proc/$$/fd/*; do n=${f##*/}; [ \"$n\" -gt 2 ] && eval \"exec $n>&-\"; done 2>/dev/null; exec \"$@\""
        let cArgs = (["/bin/bash", "-c", closeAll, "bash"] + argv).map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        // And with no signals blocked: the test runner's mask would otherwise reach berth.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/bash", &actions, &attr, cArgs, environ)
        guard rc == 0 else { throw BerthError.system("spawn", argv[0], errno: rc) }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw BerthError.internal("\(argv.prefix(6).joined(separator: " ")) failed with status \(status)") }
    }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Sends tmux key names (`Tab`, `Enter`, `C-p`, `Down`, `q`).
    func keys(_ names: String...) throws {
        try Command.check(["tmux", "-L", socket, "send-keys", "-t", session] + names)
    }

    /// Types literal text.
    func type(_ text: String) throws {
        try Command.check(["tmux", "-L", socket, "send-keys", "-t", session, "-l", text])
    }

    func screen(escapes: Bool = false) -> String {
        (try? Command.check(["tmux", "-L", socket, "capture-pane", "-p", "-t", session] + (escapes ? ["-e"] : []))) ?? ""
    }

    func resize(rows: Int, cols: Int) throws {
        try Command.check(["tmux", "-L", socket, "resize-window", "-t", session, "-x", "\(cols)", "-y", "\(rows)"])
    }

    /// Polls the screen until `predicate` holds; throws with the last screen when it never does.
    @discardableResult
    func wait(_ what: String, timeout: Double = 15, _ predicate: (String) -> Bool) throws -> String {
        var last = ""
        let ok = Command.waitUntil(timeout: timeout, interval: 0.05) {
            last = screen()
            return predicate(last)
        }
        guard ok else { throw BerthError.internal("timed out waiting for \(what); the screen was:\n\(last)") }
        return last
    }

    @discardableResult
    func wait(for text: String, timeout: Double = 15) throws -> String {
        try wait(text.debugDescription, timeout: timeout) { $0.contains(text) }
    }

    /// The line of the hint bar (the last non-blank line berth draws).
    func hintBar(_ screen: String) -> String {
        screen.split(separator: "\n", omittingEmptySubsequences: false).last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init) ?? ""
    }

    /// The lines of the console pane's inside, as shown (right of the left column).
    func consoleLines(_ screen: String, layout: (x: Int, y: Int, h: Int, w: Int)) -> [String] {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0) }
        return (layout.y..<(layout.y + layout.h)).compactMap { y in
            guard y < lines.count else { return nil }
            let l = lines[y]
            guard l.count > layout.x else { return "" }
            return String(l[layout.x..<min(l.count, layout.x + layout.w)]).trimmingCharacters(in: .whitespaces)
        }
    }
}
