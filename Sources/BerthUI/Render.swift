import CNcurses
import Foundation

/// Drawing one frame from the app's state: all into ncurses' virtual screen, then one
/// `doupdate`, so the terminal only receives what changed and nothing flickers.
extension App {
    func render() {
        let s = state
        screen.erase()
        screen.hideCursor()
        let L = s.layout
        if L.tooSmall {
            screen.put(0, 0, "berth: the terminal is \(L.cols)x\(L.rows); the UI needs at least \(Layout.minCols)x\(Layout.minRows)",
                       width: L.cols, role: .statusError)
            screen.flush()
            return
        }
        drawTitle(s)
        for p in Pane.allCases where p.isList { drawList(p, s) }
        drawDetails(s)
        drawConsole(s)
        drawStatus(s)
        screen.put(L.hints.y, 0, " " + s.hints, width: L.cols, role: .hint, fill: true)
        switch s.mode {
        case .help: drawHelp(s)
        case .confirm(let prompt, _): drawDialog(prompt, s)
        case .log: drawLog(s)
        default: break
        }
        if s.mode == .console, let t = terminal, s.consoleTask != nil {
            let inner = L[.console].inner
            let c = t.cursor
            if c.row < inner.h, c.col < inner.w { screen.showCursor(at: inner.y + c.row, inner.x + c.col) }
        } else if s.mode == .filter || s.mode == .command {
            let (_, used) = Screen.clip((s.mode == .filter ? "/" : ":") + s.editLine, width: L.cols - 1)
            screen.showCursor(at: L.status.y, used)
        }
        screen.flush()
    }

    private func drawTitle(_ s: AppState) {
        let text = " berth  ·  namespace \(s.namespace)  ·  \(backend.label)  ·  \(s.tasks.filter { $0.state == .running }.count) running"
        screen.put(0, 0, text, width: s.layout.cols, role: .header, fill: true)
    }

    private func drawList(_ p: Pane, _ s: AppState) {
        let r = s.layout[p]
        let vis = s.visible(p)
        var title = "\(p.title) \(vis.count)"
        if vis.count != s.allRows(p).count { title += "/\(s.allRows(p).count)" }
        if let f = s.filters[p], !f.isEmpty { title += "  /\(f)" }
        let focused = s.focus == p && (s.mode == .normal || s.mode == .filter)
        screen.box(r, title: title, focused: focused)
        let inner = r.inner
        let cursor = s.cursors[p] ?? ListCursor()
        let rows = s.allRows(p)
        if vis.isEmpty, let err = s.paneErrors[p] {
            screen.put(inner.y, inner.x, " " + err, width: inner.w, role: .dim)
        }
        for line in 0..<inner.h {
            let vi = cursor.top + line
            guard vi < vis.count else { break }
            let idx = vis[vi]
            let selected = vi == cursor.selected
            let role: ThemeRole = selected ? (s.focus == p ? .selection : .selectionInactive) : .text
            if p == .tasks && !selected {
                drawTaskRow(s.tasks[idx], y: inner.y + line, x: inner.x, width: inner.w)
            } else {
                screen.put(inner.y + line, inner.x, " " + rows[idx], width: inner.w, role: role, fill: true)
            }
        }
    }

    private func drawTaskRow(_ t: TaskRow, y: Int, x: Int, width: Int) {
        var used = screen.put(y, x, " \(t.id)  ", width: width, role: .text)
        used += screen.put(y, x + used, t.state.rawValue, width: width - used, role: ThemeRole.task(t.state))
        screen.put(y, x + used, "  \(t.image)", width: width - used, role: .dim)
    }

    private func drawDetails(_ s: AppState) {
        let r = s.layout[.details]
        screen.box(r, title: "Details", focused: s.focus == .details && s.mode == .normal)
        let inner = r.inner
        var lines = s.details
        var sparkRows = 0
        if case .task(let id)? = s.detailSubject, let hist = metrics[id], !hist.isEmpty {
            sparkRows = 2
            lines = Array(lines.prefix(max(0, inner.h - sparkRows)))
            let w = max(1, inner.w - 22)
            let cpu = Sparkline.cpuPercent(hist)
            let mem = hist.map { Double($0.memoryBytes) }
            let last = hist.last!
            let limit = last.memoryLimit.map { " / " + Format.size(Int64($0)) } ?? ""
            let yCPU = inner.y + inner.h - 2
            var used = screen.put(yCPU, inner.x, " cpu ", width: inner.w, role: .dim)
            used += screen.put(yCPU, inner.x + used, Sparkline.render(cpu, width: w, max: max(100, cpu.max() ?? 0), unicode: screen.unicode), width: w, role: .sparklineCPU)
            screen.put(yCPU, inner.x + used, String(format: " %5.1f%%", cpu.last ?? 0), width: inner.w - used, role: .text)
            used = screen.put(yCPU + 1, inner.x, " mem ", width: inner.w, role: .dim)
            used += screen.put(yCPU + 1, inner.x + used, Sparkline.render(mem, width: w, unicode: screen.unicode), width: w, role: .sparklineMemory)
            screen.put(yCPU + 1, inner.x + used, " " + Format.size(Int64(last.memoryBytes)) + limit, width: inner.w - used, role: .text)
        }
        let start = min(s.detailsTop, max(0, lines.count - 1))
        for (i, line) in lines.dropFirst(start).prefix(inner.h - sparkRows).enumerated() {
            screen.put(inner.y + i, inner.x, " " + line, width: inner.w, role: line.hasSuffix(":") ? .title : .text)
        }
    }

    private func drawConsole(_ s: AppState) {
        let r = s.layout[.console]
        let typing = s.mode == .console
        var title = "Console"
        if let t = s.consoleTask { title += " · \(t)" + (typing ? " · typing (ctrl-p ctrl-q leaves)" : "") }
        screen.box(r, title: title, focused: typing || (s.focus == .console && s.mode == .normal))
        let inner = r.inner
        guard let term = terminal, s.consoleTask != nil else {
            screen.put(inner.y, inner.x, " Select a task and press Enter (or a) to attach.", width: inner.w, role: .dim)
            return
        }
        let rows = min(inner.h, term.rows), cols = min(inner.w, term.cols)
        for row in 0..<rows {
            var col = 0
            while col < cols {
                let tc = term.cell(row: row, col: col)
                let w = max(1, tc.width)
                if col + w > cols { break }
                let c = CellMapper.map(tc, colors: screen.colors)
                let attr = screen.attrs(bold: c.bold, underline: c.underline, reverse: c.reverse, italic: c.italic, blink: c.blink)
                screen.cell(inner.y + row, inner.x + col, chars: c.chars, attr: attr, pair: screen.pair(fg: c.fg, bg: c.bg))
                col += w
            }
        }
    }

    private func drawStatus(_ s: AppState) {
        let L = s.layout
        switch s.mode {
        case .filter:
            screen.put(L.status.y, 0, "/" + s.editLine, width: L.cols, role: .status, fill: true)
        case .command:
            screen.put(L.status.y, 0, ":" + s.editLine, width: L.cols, role: .status, fill: true)
        default:
            if let p = s.progress {
                let barW = max(10, min(30, L.cols / 3))
                let filled = Int(Double(barW) * min(1, max(0, p.fraction)))
                let bar = "[" + String(repeating: screen.unicode ? "█" : "#", count: filled) + String(repeating: " ", count: barW - filled) + "]"
                let used = screen.put(L.status.y, 0, " " + bar, width: L.cols, role: .progress)
                screen.put(L.status.y, used, " " + p.label, width: L.cols - used, role: .status, fill: true)
            } else {
                screen.put(L.status.y, 0, " " + s.status.text, width: L.cols, role: s.status.isError ? .statusError : .status, fill: true)
            }
        }
    }

    private func centered(_ s: AppState, h: Int, w: Int) -> Rect {
        let L = s.layout
        let hh = min(h, L.rows - 2), ww = min(w, L.cols - 2)
        return Rect(y: max(1, (L.rows - hh) / 2), x: max(0, (L.cols - ww) / 2), h: hh, w: ww)
    }

    private func drawHelp(_ s: AppState) {
        let lines = AppState.helpText
        let r = centered(s, h: lines.count + 2, w: 84)
        screen.fill(r, role: .dialog)
        screen.box(r, title: "Help", focused: true)
        for (i, l) in lines.prefix(r.h - 2).enumerated() {
            screen.put(r.y + 1 + i, r.x + 1, " " + l, width: r.w - 2, role: .dialog, fill: true)
        }
    }

    private func drawDialog(_ prompt: String, _ s: AppState) {
        let w = min(s.layout.cols - 4, max(40, prompt.count + 6))
        let r = centered(s, h: 5, w: w)
        screen.fill(r, role: .dialog)
        screen.box(r, title: "Confirm", focused: true)
        screen.put(r.y + 2, r.x + 2, prompt, width: r.w - 4, role: .dialog)
    }

    private func drawLog(_ s: AppState) {
        let L = s.layout
        let r = Rect(y: 1, x: 0, h: L.rows - 3, w: L.cols)
        screen.fill(r, role: .text)
        screen.box(r, title: "Log · \(s.consoleTask ?? s.selectedTask?.id ?? "") · \(s.logLines.count) lines", focused: true)
        for (i, l) in s.logLines.dropFirst(s.logTop).prefix(r.h - 2).enumerated() {
            screen.put(r.y + 1 + i, r.x + 1, l, width: r.w - 2, role: .text)
        }
    }
}
