import BerthCore
import CBerthSys
import CBerthTerminal
import Dispatch
import Foundation

/// Connects berth's terminal to a task's stdio: output to stdout, stdin (when interactive) to
/// the task, the terminal in raw mode with `-t`, window size changes forwarded, and a detach
/// key sequence (default ctrl-p ctrl-q) that leaves the task running.
struct AttachSession {
    var attachment: TaskAttachment
    var terminal: Bool
    var interactive: Bool
    var detachKeys: [UInt8]
    /// Forwards SIGINT/SIGTERM to the task when there is no terminal (Docker's sig-proxy).
    var forwardSignal: (@Sendable (Int32) -> Void)?

    /// Runs until the process exits (its status) or the user detaches (nil).
    func run() async -> Int32? {
        let a = attachment
        var saved = [UInt8](repeating: 0, count: 256)
        let raw = terminal && interactive && berth_isatty(0) == 1 && berth_tty_raw(0, &saved, UInt(saved.count)) == 0
        defer { if raw { _ = berth_tty_restore(0, saved) } }

        var sources: [DispatchSourceSignal] = []
        if terminal {
            sendSize(a)
            signal(SIGWINCH, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
            s.setEventHandler { sendSize(a) }
            s.resume()
            sources.append(s)
        } else if let forward = forwardSignal {
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                s.setEventHandler { forward(sig) }
                s.resume()
                sources.append(s)
            }
        }
        defer { sources.forEach { $0.cancel() } }

        if interactive {
            let keys = detachKeys
            Thread.detachNewThread { pumpStdin(a, keys) }
        } else if !terminal {
            try? a.closeStdin()
        }
        for await chunk in a.output {
            chunk.withUnsafeBytes { try? FileSystem.writeAll(1, $0, path: "stdout") }
        }
        return await a.wait()
    }

    private func sendSize(_ a: TaskAttachment) {
        var rows: UInt16 = 0, cols: UInt16 = 0
        if berth_get_winsize(1, &rows, &cols) == 0 || berth_get_winsize(0, &rows, &cols) == 0, rows > 0, cols > 0 {
            try? a.resize(rows: rows, cols: cols)
        }
    }

    /// Copies stdin to the task, watching for the detach sequence; EOF closes the task's stdin.
    private func pumpStdin(_ a: TaskAttachment, _ keys: [UInt8]) {
        var buf = [UInt8](repeating: 0, count: 4096)
        var matched = 0
        while true {
            let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { try? a.closeStdin(); return }
            var out: [UInt8] = []
            for b in buf[0..<n] {
                if !keys.isEmpty && b == keys[matched] {
                    matched += 1
                    if matched == keys.count { if !out.isEmpty { try? a.write(out) }; a.detach(); return }
                    continue
                }
                if matched > 0 { out += keys[0..<matched]; matched = 0 }
                if !keys.isEmpty && b == keys[0] { matched = 1; continue }
                out.append(b)
            }
            if !out.isEmpty { do { try a.write(out) } catch { return } }
        }
    }

    /// Docker's `--detach-keys` syntax: comma-separated `ctrl-<x>` or single characters.
    static func parseDetachKeys(_ s: String) throws(BerthError) -> [UInt8] {
        if s.isEmpty { return [] }
        // By bytes: Character and lowercased() would cost every `berth run` (which parses the
        // default keys) the first use of their Unicode tables.
        func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }
        let ctrl = Array("ctrl-".utf8)
        var out: [UInt8] = []
        for part in s.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let p = part.map(lower)
            if p.count == 6, p.starts(with: ctrl) {
                let c = p[5]
                switch c {
                case 97...122: out.append(c - 96)
                case 64, 91, 92, 93, 94, 95: out.append(c == 64 ? 0 : c - 64)
                default: throw .invalidArgument("invalid detach keys \(s.debugDescription)")
                }
            } else if p.count == 1, let c = part.first, c < 0x80 {
                out.append(c)
            } else {
                throw .invalidArgument("invalid detach keys \(s.debugDescription): want e.g. ctrl-p,ctrl-q")
            }
        }
        return out
    }
}
