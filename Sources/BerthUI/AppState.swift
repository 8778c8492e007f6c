import Foundation

/// What the UI is doing with the keyboard.
public enum Mode: Equatable, Sendable {
    case normal
    /// Typing a filter for the focused list.
    case filter
    /// Typing a `:` command.
    case command
    case confirm(prompt: String, effect: Effect)
    case help
    /// The full-log view of a task's output.
    case log
    /// Keystrokes go to the task in the console pane.
    case console
}

/// The status line: the last message, an error in the theme's error colour.
public struct StatusLine: Equatable, Sendable {
    public var text: String
    public var isError: Bool
    public init(_ text: String = "", isError: Bool = false) { self.text = text; self.isError = isError }
}

/// Everything the screen shows, and the pure key handling that changes it. No I/O here: keys
/// become `Effect`s the app runs, so the whole keyboard can be tested without a terminal.
public struct AppState: Sendable {
    public var namespace: String { didSet { rebuild(.namespaces) } }
    public var namespaces: [String] = [] { didSet { rebuild(.namespaces) } }
    public var images: [ImageRow] = [] { didSet { rebuild(.images) } }
    public var snapshots: [TreeRow] = [] { didSet { rebuild(.snapshots) } }
    public var tasks: [TaskRow] = [] { didSet { rebuild(.tasks) } }
    public var filters: [Pane: String] = [:] { didSet { for p in Pane.allCases where p.isList && filters[p] != oldValue[p] { refilter(p) } } }
    /// Row texts and the filter's survivors, kept with the data: a frame reads them many times.
    private var rowCache: [Pane: [String]] = [:]
    private var visibleCache: [Pane: [Int]] = [:]
    public var details: [String] = []
    /// Why a list could not be loaded, shown inside the pane.
    public var paneErrors: [Pane: String] = [:]
    public var detailsTop = 0
    public var focus: Pane = .images
    public var cursors: [Pane: ListCursor] = [:]
    public var mode: Mode = .normal
    /// The text being typed in filter or command mode.
    public var editLine = ""
    public var status = StatusLine()
    /// The task whose terminal the console pane shows.
    public var consoleTask: String?
    /// ctrl-p was typed in the console: the next key is a berth command (ctrl-q leaves, z zooms).
    public var consolePrefix = false
    public var logLines: [String] = []
    public var logTop = 0
    public var layout: Layout
    public var mouseCaptured = true
    /// Background work shown as a progress bar in the status line.
    public var progress: (fraction: Double, label: String)?

    public init(namespace: String, rows: Int, cols: Int) {
        self.namespace = namespace
        layout = Layout(rows: rows, cols: cols)
        for p in Pane.allCases where p.isList { rebuild(p) }
    }

    // MARK: rows of each list, after its filter

    /// The text of every row of a list pane, before filtering.
    public func allRows(_ p: Pane) -> [String] { rowCache[p] ?? [] }

    private mutating func rebuild(_ p: Pane) {
        rowCache[p] = makeRows(p)
        refilter(p)
    }

    private mutating func refilter(_ p: Pane) {
        let rows = allRows(p)
        if let f = filters[p], !f.isEmpty {
            visibleCache[p] = rows.indices.filter { rows[$0].localizedCaseInsensitiveContains(f) }
        } else {
            visibleCache[p] = Array(rows.indices)
        }
    }

    private func makeRows(_ p: Pane) -> [String] {
        switch p {
        case .namespaces: return namespaces.map { $0 == namespace ? "● \($0)" : "  \($0)" }
        case .images: return images.map { "\($0.name)  \($0.digest.dropFirst(7).prefix(12))" }
        case .snapshots: return snapshots.map(\.text)
        case .tasks: return tasks.map { "\($0.id)  \($0.state.rawValue)  \($0.image)" }
        case .details, .console: return []
        }
    }

    /// Indexes into the pane's data of the rows its filter keeps.
    public func visible(_ p: Pane) -> [Int] { visibleCache[p] ?? [] }

    public func listHeight(_ p: Pane) -> Int { max(1, layout[p].inner.h) }

    public func selectedIndex(_ p: Pane) -> Int? {
        let v = visible(p)
        let c = cursors[p] ?? ListCursor()
        return v.indices.contains(c.selected) ? v[c.selected] : nil
    }

    public var selectedTask: TaskRow? { selectedIndex(.tasks).map { tasks[$0] } }
    public var selectedImage: ImageRow? { selectedIndex(.images).map { images[$0] } }
    public var selectedSnapshot: TreeRow? { selectedIndex(.snapshots).map { snapshots[$0] } }
    public var selectedNamespace: String? { selectedIndex(.namespaces).map { namespaces[$0] } }

    /// What the details pane describes: the focused list's selection, or the last one.
    public var detailSubject: Selection? {
        switch lastListFocus {
        case .namespaces: return selectedNamespace.map(Selection.namespace)
        case .images: return selectedImage.map { .image($0.name) }
        case .snapshots: return selectedSnapshot.map { .snapshot($0.key) }
        default: return selectedTask.map { .task($0.id) }
        }
    }

    /// The list pane focused last (details and console describe its selection).
    public var lastListFocus: Pane = .images

    public mutating func clampCursors() {
        for p in Pane.allCases where p.isList {
            var c = cursors[p] ?? ListCursor()
            c.clamp(count: visible(p).count, height: listHeight(p))
            cursors[p] = c
        }
    }

    /// Keeps each list's selection on the same item when new data arrives.
    public mutating func replaceData(namespaces ns: [String], images im: [ImageRow], snapshots sn: [SnapshotRow], tasks ts: [TaskRow]) -> Bool {
        let before = detailSubject
        let keep: [Pane: String?] = [
            .namespaces: selectedNamespace, .images: selectedImage?.name, .snapshots: selectedSnapshot?.key, .tasks: selectedTask?.id,
        ]
        namespaces = ns
        images = im
        snapshots = SnapshotTree.rows(sn)
        tasks = ts
        for (p, key) in keep {
            guard let key else { continue }
            let ids: [String]
            switch p {
            case .namespaces: ids = namespaces
            case .images: ids = images.map(\.name)
            case .snapshots: ids = snapshots.map(\.key)
            default: ids = tasks.map(\.id)
            }
            if let i = ids.firstIndex(of: key), let vi = visible(p).firstIndex(of: i) {
                cursors[p, default: ListCursor()].selected = vi
            }
        }
        clampCursors()
        return detailSubject != before
    }

    // MARK: keys

    public mutating func handle(_ key: Key) -> [Effect] {
        switch mode {
        case .normal: return handleNormal(key)
        case .filter: return handleFilter(key)
        case .command: return handleCommand(key)
        case .confirm(_, let effect):
            switch key {
            case .char("y"), .char("Y"), .enter:
                mode = .normal
                return [effect]
            case .char("n"), .char("N"), .escape, .char("q"):
                mode = .normal
                status = StatusLine("cancelled")
                return []
            default:
                return []
            }
        case .help:
            mode = .normal
            return []
        case .log:
            return handleLog(key)
        case .console:
            return handleConsole(key)
        }
    }

    private mutating func handleNormal(_ key: Key) -> [Effect] {
        switch key {
        case .up, .char("k"): return move(-1)
        case .down, .char("j"): return move(1)
        case .pageUp: return move(-listHeight(focus))
        case .pageDown: return move(listHeight(focus))
        case .home: return move(-1_000_000)
        case .end: return move(1_000_000)
        case .tab, .right, .char("l"): return setFocus(Pane(rawValue: (focus.rawValue + 1) % Pane.allCases.count)!)
        case .backTab, .left, .char("h"):
            return setFocus(Pane(rawValue: (focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!)
        case .enter: return enter()
        case .char("/"):
            if !focus.isList { focus = lastListFocus }
            mode = .filter
            editLine = filters[focus] ?? ""
            return []
        case .char(":"):
            mode = .command
            editLine = ""
            return []
        case .char("?"), .function(1):
            mode = .help
            return []
        case .escape:
            if let f = filters[focus], !f.isEmpty { filters[focus] = nil; clampCursors(); return [.loadDetails] }
            status = StatusLine()
            return []
        case .char("q"): return [.quit]
        case .char("r"):
            guard let img = selectedImage else { return fail("select an image to run (Images pane)") }
            return [.run(image: img.name, command: [])]
        case .char("a"): return withTask { [.attach($0.id)] }
        case .char("z"): return withTask { [.zoom($0.id)] }
        case .char("e"): return withTask { [.execShell($0.id)] }
        case .char("s"): return withTask { [.stop($0.id)] }
        // k and l move (hjkl), so kill and log are on the shifted keys.
        case .char("K"): return withTask { [.kill($0.id)] }
        case .char("p"): return withTask { $0.state == .paused ? [.resume($0.id)] : [.pause($0.id)] }
        case .char("L"): return withTask { [.showLog($0.id)] }
        case .char("g"): return [.gc]
        case .char("m"): return [.toggleMouse]
        case .char("d"), .delete: return askDelete()
        default: return []
        }
    }

    private mutating func withTask(_ f: (TaskRow) -> [Effect]) -> [Effect] {
        guard let t = selectedTask else { return fail("select a task first (Tasks pane)") }
        return f(t)
    }

    private mutating func fail(_ message: String) -> [Effect] {
        status = StatusLine(message, isError: true)
        return []
    }

    private mutating func move(_ delta: Int) -> [Effect] {
        switch focus {
        case .details:
            detailsTop = max(0, min(detailsTop + delta, max(0, details.count - listHeight(.details))))
            return []
        case .console:
            return []
        default:
            var c = cursors[focus] ?? ListCursor()
            let old = c.selected
            c.move(by: delta, count: visible(focus).count, height: listHeight(focus))
            cursors[focus] = c
            return c.selected == old ? [] : [.loadDetails]
        }
    }

    public mutating func setFocus(_ p: Pane) -> [Effect] {
        focus = p
        if p.isList && p != lastListFocus {
            lastListFocus = p
            detailsTop = 0
            return [.loadDetails]
        }
        return []
    }

    private mutating func enter() -> [Effect] {
        switch focus {
        case .namespaces:
            guard let ns = selectedNamespace else { return [] }
            return [.switchNamespace(ns)]
        case .tasks, .console:
            if focus == .console, let t = consoleTask { mode = .console; return [.attach(t)] }
            return withTask { [.attach($0.id)] }
        case .images, .snapshots:
            return setFocus(.details)
        case .details:
            return []
        }
    }

    private mutating func askDelete() -> [Effect] {
        switch focus == .details || focus == .console ? lastListFocus : focus {
        case .tasks:
            guard let t = selectedTask else { return fail("no task selected") }
            mode = .confirm(prompt: "Delete task \(t.id)? It will be killed. (y/n)", effect: .deleteTask(t.id))
            return []
        case .images:
            guard let i = selectedImage else { return fail("no image selected") }
            mode = .confirm(prompt: "Delete image \(i.name)? (y/n)", effect: .deleteImage(i.name))
            return []
        case .snapshots:
            guard let s = selectedSnapshot else { return fail("no snapshot selected") }
            mode = .confirm(prompt: "Remove snapshot \(SnapshotTree.shortKey(s.key))? (y/n)", effect: .removeSnapshot(s.key))
            return []
        default:
            return fail("namespaces are removed with `berth namespaces remove`")
        }
    }

    private mutating func handleFilter(_ key: Key) -> [Effect] {
        switch key {
        case .enter:
            mode = .normal
            return []
        case .escape:
            mode = .normal
            filters[focus] = nil
        case .backspace:
            if !editLine.isEmpty { editLine.removeLast() }
            filters[focus] = editLine
        case .char(let c):
            editLine.unicodeScalars.append(c)
            filters[focus] = editLine
        case .up, .down:
            return move(key == .up ? -1 : 1)
        default:
            return []
        }
        cursors[focus] = ListCursor()
        clampCursors()
        return [.loadDetails]
    }

    private mutating func handleCommand(_ key: Key) -> [Effect] {
        switch key {
        case .enter:
            mode = .normal
            switch CommandParser.parse(editLine) {
            case .success(let e): return [e]
            case .failure(let err): return fail(err.message)
            }
        case .escape:
            mode = .normal
        case .backspace:
            if editLine.isEmpty { mode = .normal } else { editLine.removeLast() }
        case .char(let c):
            editLine.unicodeScalars.append(c)
        default:
            break
        }
        return []
    }

    private mutating func handleLog(_ key: Key) -> [Effect] {
        let h = max(1, layout.rows - 4)
        let maxTop = max(0, logLines.count - h)
        switch key {
        case .up, .char("k"): logTop = max(0, logTop - 1)
        case .down, .char("j"): logTop = min(maxTop, logTop + 1)
        case .pageUp: logTop = max(0, logTop - h)
        case .pageDown, .char(" "): logTop = min(maxTop, logTop + h)
        case .home: logTop = 0
        case .end: logTop = maxTop
        case .escape, .char("q"), .char("L"): mode = .normal
        default: break
        }
        return []
    }

    private mutating func handleConsole(_ key: Key) -> [Effect] {
        if consolePrefix {
            consolePrefix = false
            switch key {
            case .ctrl(0x11): // ctrl-q: back to the panes
                mode = .normal
                focus = .tasks
                return []
            case .char("z"), .char("Z"):
                guard let t = consoleTask else { return [] }
                return [.zoom(t)]
            case .ctrl(0x10):
                return [.consoleInput(key)]
            default:
                return [.consoleInput(.ctrl(0x10)), .consoleInput(key)]
            }
        }
        if key == .ctrl(0x10) {
            consolePrefix = true
            return []
        }
        if key == .resize || key == .mouse { return [] }
        return [.consoleInput(key)]
    }

    // MARK: mouse

    /// A click at (y, x): focuses the pane under it and selects the row.
    public mutating func click(y: Int, x: Int) -> [Effect] {
        guard mode == .normal || mode == .console, let p = layout.pane(atY: y, x: x) else { return [] }
        if mode == .console && p != .console { mode = .normal; consolePrefix = false }
        var effects = setFocus(p)
        if p.isList {
            let inner = layout[p].inner
            var c = cursors[p] ?? ListCursor()
            let row = c.top + (y - inner.y)
            if y >= inner.y, row < visible(p).count, row != c.selected {
                c.jump(to: row, count: visible(p).count, height: listHeight(p))
                cursors[p] = c
                effects.append(.loadDetails)
            }
        } else if p == .console, let t = consoleTask, mode != .console {
            mode = .console
            effects.append(.attach(t))
        }
        return effects
    }

    /// Wheel scrolling over a pane.
    public mutating func scroll(y: Int, x: Int, by delta: Int) -> [Effect] {
        guard mode == .normal, let p = layout.pane(atY: y, x: x), p != .console else { return [] }
        let saved = focus
        focus = p
        let e = move(delta)
        focus = saved
        return e
    }

    // MARK: what the hint bar says

    /// The hint bar: where the keyboard is, then what the keys do there.
    public var hints: String {
        let place: String
        switch mode {
        case .console: place = "Console"
        case .normal, .filter: place = focus.title
        default: place = ""
        }
        return place.isEmpty ? keyHints : "\(place) │ \(keyHints)"
    }

    private var keyHints: String {
        switch mode {
        case .normal:
            switch focus {
            case .images: return "r run  / filter  : command  d delete  Tab pane  ? help  q quit"
            case .tasks: return "Enter/a attach  z zoom  e shell  s stop  K kill  p pause  L log  d delete  ? help"
            case .namespaces: return "Enter switch namespace  / filter  : command  ? help  q quit"
            case .console: return "Enter type into the task  z zoom  Tab pane  ? help"
            default: return "↑↓ move  Tab pane  / filter  : command  g gc  m mouse  ? help  q quit"
            }
        case .filter: return "type to filter  Enter keep  Esc clear"
        case .command: return ":run IMAGE [CMD]  :ns NAME  :import FILE  :theme NAME  :gc  :demo  :q   Esc cancel"
        case .confirm: return "y yes   n no"
        case .help: return "any key closes help"
        case .log: return "↑↓ PgUp PgDn scroll   q close"
        case .console: return "keys go to the task   ctrl-p ctrl-q back to panes   ctrl-p z zoom"
        }
    }

    public static let helpText: [String] = [
        "berth — keys",
        "",
        "↑ ↓ / k j        move in a list (PgUp PgDn Home End)",
        "← → / h l        previous / next pane (also Tab, Shift-Tab)",
        "Enter            namespaces: switch · tasks: attach the console",
        "/                filter the focused list (Esc clears)",
        ":                command: :run IMAGE [CMD...]  :ns NAME  :import FILE",
        "                          :theme NAME  :gc  :demo  :q",
        "r                run the selected image",
        "a                attach the console to the selected task",
        "z                zoom: the task gets the whole terminal (ctrl-p ctrl-q returns)",
        "e                exec a shell in the selected task",
        "s                stop (SIGTERM, SIGKILL after a timeout)",
        "K                kill (SIGKILL; k moves up)",
        "p                pause / resume",
        "d                delete the selection (asks first)",
        "L                full log of the task's output (l moves right)",
        "g                garbage-collect unused content and snapshots",
        "m                toggle mouse capture (off lets the terminal select text)",
        "?                this help",
        "q                quit (tasks keep running)",
        "",
        "In the console:  keys go to the task; ctrl-p ctrl-q returns to the panes,",
        "                 ctrl-p z zooms, ctrl-p ctrl-p sends ctrl-p.",
    ]
}

/// Small text formatting shared by the panes.
public enum Format {
    public static func size(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(bytes), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        if i == 0 { return "\(bytes) B" }
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[i])"
    }
}
