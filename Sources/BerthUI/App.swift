import BerthCore
import CBerthSys
import CBerthTerminal
import CNcurses
import Foundation

/// How the UI starts.
public struct UIOptions: Sendable {
    public var namespace: String
    public var theme: Theme
    public var themes: ThemeLocator
    /// Colour off (NO_COLOR set, or a monochrome terminal).
    public var noColor: Bool
    /// Play the self-running tour.
    public var tour: Bool
    /// Offer to create the demo images when the root has none.
    public var offerDemo: Bool
    /// A message for the status line at start (a theme that failed to load, say).
    public var startMessage: StatusLine?
    /// For benchmarks: render this many frames after the first load, print timings, exit.
    public var benchFrames: Int?

    public init(namespace: String, theme: Theme = .builtinDefault, themes: ThemeLocator = .standard(), noColor: Bool = false,
                tour: Bool = false, offerDemo: Bool = true, startMessage: StatusLine? = nil, benchFrames: Int? = nil) {
        self.namespace = namespace; self.theme = theme; self.themes = themes; self.noColor = noColor
        self.tour = tour; self.offerDemo = offerDemo; self.startMessage = startMessage; self.benchFrames = benchFrames
    }
}

/// The terminal UI: one thread draws and reads keys, blocked in poll() on the terminal and a
/// wake-up pipe; everything that waits on I/O runs in background tasks that post messages.
public final class App {
    let backend: any UIBackend
    let options: UIOptions
    var state: AppState
    let screen: Screen
    let inbox = Inbox()
    var terminal: Terminal?
    var session: (any ConsoleSession)?
    var generation = 0
    var metrics: [String: [MetricsSample]] = [:]
    var running = true
    var needsRender = true
    var lastRender = 0.0
    var loadInFlight = false
    var reloadQueued = false
    var loadedOnce = false
    var offeredDemo = false
    var nextMetrics = 0.0
    var nextFallbackReload = 0.0
    var pendingZoom: String?
    var pendingAttach: String?
    var tour: DemoTour?
    var watchers: [Task<Void, Never>] = []
    /// Messages that arrived while zoomed, handled once the panes are back.
    var deferred: [Message] = []

    static let metricsInterval = 2.0
    static let fallbackReloadInterval = 30.0
    static let frameInterval = 1.0 / 60

    /// Runs the UI until the user quits. Tasks keep running afterwards.
    public static func run(backend: any UIBackend, options: UIOptions) {
        let app = App(backend: backend, options: options)
        app.loop()
    }

    init(backend: any UIBackend, options: UIOptions) {
        self.backend = backend
        self.options = options
        screen = Screen(theme: options.theme, noColor: options.noColor)
        let (rows, cols) = screen.size
        state = AppState(namespace: options.namespace, rows: rows, cols: cols)
        if let m = options.startMessage { state.status = m }
        berth_watch_sigwinch(inbox.writeFD)
        screen.setMouse(true)
        if options.tour { tour = DemoTour() }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func loop() {
        let backend = self.backend, inbox = self.inbox
        watchers.append(Task.detached {
            for await note in backend.changes() { inbox.post(.changed(note)) }
        })
        reload()
        let started = Self.now()
        defer {
            for w in watchers { w.cancel() }
            session?.detach()
            screen.end()
        }
        while running {
            let now = Self.now()
            if now >= nextMetrics { nextMetrics = now + Self.metricsInterval; refreshMetrics() }
            if now >= nextFallbackReload { nextFallbackReload = now + Self.fallbackReloadInterval; if loadedOnce { reload() } }
            tour?.tick(self, now: now)
            if needsRender, now - lastRender >= Self.frameInterval {
                render()
                lastRender = now
                needsRender = false
                if let n = options.benchFrames, loadedOnce { benchmark(frames: n, since: started); return }
            }
            var deadline = min(nextMetrics, nextFallbackReload)
            if needsRender { deadline = min(deadline, lastRender + Self.frameInterval) }
            if let t = tour?.nextWake { deadline = min(deadline, t) }
            let timeout = Int32(max(0, min(60_000, (deadline - Self.now()) * 1000)).rounded(.up))
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: inbox.readFD, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, timeout)
            if berth_quit_requested() != 0 { break }
            if berth_sigwinch_take() != 0 { relayout() }
            for m in inbox.drain() { handle(m) }
            readKeys()
        }
    }

    private func benchmark(frames: Int, since: Double) {
        let first = Self.now() - since
        let t0 = Self.now()
        for _ in 0..<frames { render() }
        let per = (Self.now() - t0) / Double(max(1, frames))
        screen.end()
        print(String(format: "first-frame %.3f ms; frame %.3f ms (%d frames, %d images, %d tasks)", first * 1000, per * 1000, frames,
                     state.images.count, state.tasks.count))
        running = false
    }

    // MARK: keys

    private func readKeys() {
        var wc: wint_t = 0
        while true {
            let rc = wget_wch(screen.window, &wc)
            if rc == ERR { break }
            let key = Key.fromCurses(isKeyCode: rc == KEY_CODE_YES, value: UInt32(wc))
            if tour != nil, key != .resize, key != .mouse {
                tour = nil
                state.status = StatusLine("tour stopped")
                needsRender = true
                continue
            }
            handleKey(key)
        }
    }

    func handleKey(_ key: Key) {
        needsRender = true
        switch key {
        case .resize:
            relayout()
            return
        case .mouse:
            handleMouse()
            return
        case .ctrl(0x03) where state.mode == .normal:
            running = false
            return
        default:
            break
        }
        for e in state.handle(key) { perform(e) }
    }

    private func handleMouse() {
        var ev = MEVENT()
        guard getmouse(&ev) == OK else { return }
        let y = Int(ev.y), x = Int(ev.x)
        let effects: [Effect]
        if ev.bstate & berth_button4_pressed() != 0 {
            effects = state.scroll(y: y, x: x, by: -3)
        } else if ev.bstate & berth_button5_pressed() != 0 {
            effects = state.scroll(y: y, x: x, by: 3)
        } else if ev.bstate & berth_button1_pressed() != 0 {
            effects = state.click(y: y, x: x)
        } else {
            effects = []
        }
        for e in effects { perform(e) }
    }

    func relayout() {
        var rows: UInt16 = 0, cols: UInt16 = 0
        // resizeterm queues a KEY_RESIZE, which comes back here: only resize when the size differs.
        if berth_get_winsize(1, &rows, &cols) == 0, rows > 0, cols > 0, is_term_resized(Int32(rows), Int32(cols)) {
            resizeterm(Int32(rows), Int32(cols))
        }
        let (r, c) = screen.size
        state.layout = Layout(rows: r, cols: c)
        state.clampCursors()
        resizeConsole()
        needsRender = true
    }

    private func resizeConsole() {
        let size = state.layout.consoleSize
        guard let t = terminal else { return }
        if t.rows != size.rows || t.cols != size.cols {
            t.resize(rows: size.rows, cols: size.cols)
            try? session?.resize(rows: size.rows, cols: size.cols)
        }
    }

    // MARK: messages

    private func handle(_ m: Message) {
        needsRender = true
        switch m {
        case let .model(ns, namespaces, images, snapshots, tasks, errors):
            loadInFlight = false
            if reloadQueued { reloadQueued = false; reload() }
            guard ns == state.namespace else { return }
            let changed = state.replaceData(namespaces: namespaces, images: images, snapshots: snapshots, tasks: tasks)
            state.paneErrors = errors
            if changed || !loadedOnce { loadDetails() }
            if !loadedOnce {
                loadedOnce = true
                nextFallbackReload = Self.now() + Self.fallbackReloadInterval
                if options.offerDemo, tour == nil, !offeredDemo, images.isEmpty, tasks.isEmpty, state.mode == .normal, options.benchFrames == nil {
                    offeredDemo = true
                    state.mode = .confirm(prompt: "This root has no images yet. Create the demo image now? (y/n)", effect: .createDemo)
                }
            }
        case let .details(sel, lines):
            if state.detailSubject == sel { state.details = lines }
        case let .metrics(id, sample):
            var h = metrics[id] ?? []
            h.append(sample)
            if h.count > 240 { h.removeFirst(h.count - 240) }
            metrics[id] = h
        case let .attached(gen, task, box):
            guard gen == generation else { box.session.detach(); return }
            installConsole(task: task, session: box.session)
            if box.zoom || pendingZoom == task { pendingZoom = nil; zoom() }
        case let .output(gen, bytes):
            guard gen == generation, let t = terminal else { return }
            t.feed(bytes)
            let reply = t.takeOutput()
            if !reply.isEmpty { try? session?.write(reply) }
        case let .closed(gen):
            guard gen == generation else { return }
            if state.mode == .console { state.mode = .normal; state.focus = .tasks }
            state.status = StatusLine("console of \(state.consoleTask ?? "task") closed: the process exited")
            session = nil
            reload()
        case let .status(text, isError):
            state.status = StatusLine(text, isError: isError)
        case let .progress(f, label):
            state.progress = (f, label)
        case .progressDone:
            state.progress = nil
        case let .log(id, lines):
            state.logLines = lines
            state.logTop = max(0, lines.count - max(1, state.layout.rows - 4))
            state.mode = .log
            state.status = StatusLine("log of \(id)")
        case let .changed(note):
            if note.namespace == nil || note.namespace == state.namespace || note.topic.hasPrefix("/namespaces") { reload() }
        case let .ranTask(id):
            pendingAttach = id
            reload()
        case .loaded:
            break
        }
        if let id = pendingAttach, let i = state.tasks.firstIndex(where: { $0.id == id }), let vi = state.visible(.tasks).firstIndex(of: i) {
            pendingAttach = nil
            state.cursors[.tasks, default: ListCursor()].jump(to: vi, count: state.visible(.tasks).count, height: state.listHeight(.tasks))
            for e in state.setFocus(.tasks) { perform(e) }
            perform(.attach(id))
        }
    }

    // MARK: loading

    func reload() {
        if loadInFlight { reloadQueued = true; return }
        loadInFlight = true
        let ns = state.namespace, backend = self.backend, inbox = self.inbox
        Task.detached {
            var errors: [Pane: String] = [:]
            func get<T>(_ pane: Pane, _ f: () throws(BerthError) -> [T]) -> [T] {
                do { return try f() } catch { errors[pane] = error.description; return [] }
            }
            let namespaces = get(.namespaces) { () throws(BerthError) in try backend.namespaces() }
            let images = get(.images) { () throws(BerthError) in try backend.images(namespace: ns) }
            let snapshots = get(.snapshots) { () throws(BerthError) in try backend.snapshots(namespace: ns) }
            let tasks = get(.tasks) { () throws(BerthError) in try backend.tasks(namespace: ns) }
            inbox.post(.model(namespace: ns, namespaces: namespaces.contains(ns) ? namespaces : (namespaces + [ns]).sorted(),
                              images: images, snapshots: snapshots, tasks: tasks, errors: errors))
        }
    }

    func loadDetails() {
        guard let sel = state.detailSubject else { state.details = []; return }
        let ns = state.namespace, backend = self.backend, inbox = self.inbox
        Task.detached {
            do {
                inbox.post(.details(sel, try backend.details(namespace: ns, item: sel)))
            } catch {
                inbox.post(.details(sel, ["(\(error))"]))
            }
        }
        if case .task(let id) = sel { metricsFor(id) }
    }

    private func refreshMetrics() {
        if case .task(let id)? = state.detailSubject, state.tasks.first(where: { $0.id == id })?.state == .running { metricsFor(id) }
    }

    private func metricsFor(_ id: String) {
        let ns = state.namespace, backend = self.backend, inbox = self.inbox
        Task.detached {
            if let s = try? backend.metrics(namespace: ns, id: id) { inbox.post(.metrics(id, s)) }
        }
    }

    /// Runs `work` in the background; its message (or error) goes to the status line, then the
    /// lists reload.
    func background(_ work: @escaping @Sendable () async throws(BerthError) -> String?) {
        let inbox = self.inbox
        Task.detached {
            do {
                if let msg = try await work() { inbox.post(.status(msg, isError: false)) }
            } catch {
                inbox.post(.status("\(error)", isError: true))
            }
            inbox.post(.progressDone)
            inbox.post(.changed(ChangeNote(namespace: nil, topic: "/ui/refresh")))
        }
    }

    // MARK: console

    func attach(_ id: String, zoom: Bool = false) {
        if state.consoleTask == id, session != nil {
            if zoom { self.zoom() } else { state.mode = .console }
            return
        }
        detachConsole()
        generation += 1
        let gen = generation, ns = state.namespace, backend = self.backend, inbox = self.inbox
        state.consoleTask = id
        terminal = nil
        Task.detached {
            do {
                let s = try backend.attach(namespace: ns, id: id)
                inbox.post(.attached(generation: gen, task: id, ConsoleBox(session: s, zoom: zoom)))
            } catch {
                inbox.post(.status("attach \(id): \(error)", isError: true))
            }
        }
    }

    func installConsole(task: String, session s: any ConsoleSession, label: String? = nil) {
        let size = state.layout.consoleSize
        terminal = Terminal(rows: size.rows, cols: size.cols)
        session = s
        state.consoleTask = label ?? task
        try? s.resize(rows: size.rows, cols: size.cols)
        if state.mode == .normal { state.mode = .console }
        let gen = generation, inbox = self.inbox
        watchers.append(Task.detached {
            for await chunk in s.output { inbox.post(.output(generation: gen, chunk)) }
            inbox.post(.closed(generation: gen))
        })
    }

    func detachConsole() {
        session?.detach()
        session = nil
        terminal = nil
        generation += 1
        if state.mode == .console { state.mode = .normal }
        state.consoleTask = nil
    }

    func sendToConsole(_ bytes: [UInt8]) {
        guard let s = session else { state.status = StatusLine("no console attached", isError: true); return }
        do { try s.write(bytes) } catch { state.status = StatusLine("console: \(error.description)", isError: true) }
    }
}
