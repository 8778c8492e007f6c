import BerthCore
import CBerthSys
import CBerthTerminal
import CNcurses
import Foundation

/// Zoom: the task gets the whole terminal. ncurses steps aside (as for a shell escape), the
/// terminal goes raw, keys go straight to the task and its output straight to the terminal,
/// until ctrl-p ctrl-q. The emulator keeps following, so the pane is current on return.
extension App {
    func zoom() {
        guard let s = session, let term = terminal else { return }
        def_prog_mode()
        endwin()
        var saved = [UInt8](repeating: 0, count: 128)
        let wasRaw = saved.withUnsafeMutableBytes { berth_tty_raw(0, $0.baseAddress, UInt($0.count)) } == 0
        var rows: UInt16 = 24, cols: UInt16 = 80
        _ = berth_get_winsize(1, &rows, &cols)
        term.resize(rows: Int(rows), cols: Int(cols))
        try? s.resize(rows: Int(rows), cols: Int(cols))
        writeOut(Array("\u{1b}[?1049h\u{1b}[H\u{1b}[2J".utf8) + repaint(term))
        var prefix = false
        var zoomed = true
        let gen = generation
        var buf = [UInt8](repeating: 0, count: 4096)
        while zoomed && running {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: inbox.readFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, -1)
            if berth_quit_requested() != 0 { running = false; break }
            if berth_sigwinch_take() != 0, berth_get_winsize(1, &rows, &cols) == 0 {
                term.resize(rows: Int(rows), cols: Int(cols))
                try? s.resize(rows: Int(rows), cols: Int(cols))
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP) != 0 {
                let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if n <= 0 { zoomed = false; running = false; break }
                var out: [UInt8] = []
                for b in buf[0..<n] {
                    if prefix {
                        prefix = false
                        if b == 0x11 { zoomed = false; break }
                        if b != 0x10 { out.append(0x10) }
                        out.append(b)
                    } else if b == 0x10 {
                        prefix = true
                    } else {
                        out.append(b)
                    }
                }
                if !out.isEmpty { try? s.write(out) }
            }
            for m in inbox.drain() {
                switch m {
                case let .output(g, bytes) where g == gen:
                    term.feed(bytes)
                    let reply = term.takeOutput()
                    if !reply.isEmpty { try? s.write(reply) }
                    writeOut(bytes)
                case let .closed(g) where g == gen:
                    zoomed = false
                    inbox.post(m)
                default:
                    // Everything else waits for the panes.
                    deferred.append(m)
                }
            }
        }
        writeOut(Array("\u{1b}[?1049l".utf8))
        if wasRaw { _ = saved.withUnsafeBytes { berth_tty_restore(0, $0.baseAddress) } }
        reset_prog_mode()
        for m in deferred { inbox.post(m) }
        deferred = []
        clearok(berth_stdscr(), true)
        state.mode = .console
        relayout()
        let size = state.layout.consoleSize
        term.resize(rows: size.rows, cols: size.cols)
        try? s.resize(rows: size.rows, cols: size.cols)
        needsRender = true
    }

    private func writeOut(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if n <= 0 { if errno == EINTR || errno == EAGAIN { continue }; return }
            off += n
        }
    }

    /// The emulator's current screen as text and a cursor position, so a zoomed task that does
    /// not redraw by itself (a shell prompt) is not left on a blank terminal.
    private func repaint(_ t: Terminal) -> [UInt8] {
        var out: [UInt8] = []
        for r in 0..<t.rows {
            out += Array("\u{1b}[\(r + 1);1H".utf8)
            out += Array(t.text(row: r).utf8)
        }
        let c = t.cursor
        out += Array("\u{1b}[\(c.row + 1);\(c.col + 1)H".utf8)
        return out
    }
}
