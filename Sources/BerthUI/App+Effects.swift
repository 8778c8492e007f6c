import BerthCore
import CNcurses
import Foundation

/// Running what keys asked for: quick state changes here, I/O in the background.
extension App {
    func perform(_ e: Effect) {
        needsRender = true
        let ns = state.namespace, backend = self.backend, inbox = self.inbox
        switch e {
        case .quit:
            running = false
        case .switchNamespace(let name):
            do throws(BerthError) { try NamespaceName.validate(name) } catch {
                state.status = StatusLine(error.description, isError: true)
                return
            }
            detachConsole()
            state.namespace = name
            state.filters = [:]
            state.cursors = [:]
            state.images = []; state.snapshots = []; state.tasks = []; state.details = []
            state.status = StatusLine("namespace \(name)")
            reload()
        case let .run(image, command):
            state.status = StatusLine("starting a task from \(image)…")
            Task.detached {
                do {
                    let id = try backend.run(namespace: ns, image: image, command: command, tty: true)
                    inbox.post(.status("started task \(id) from \(image)", isError: false))
                    inbox.post(.ranTask(id))
                } catch {
                    inbox.post(.status("run \(image): \(error)", isError: true))
                }
            }
        case .attach(let id):
            attach(id)
        case .zoom(let id):
            if state.consoleTask == id, session != nil { zoom() } else { pendingZoom = id; attach(id, zoom: true) }
        case .execShell(let id):
            detachConsole()
            generation += 1
            let gen = generation
            state.consoleTask = id
            Task.detached {
                do {
                    let s = try backend.execShell(namespace: ns, id: id)
                    inbox.post(.attached(generation: gen, task: id, ConsoleBox(session: s, zoom: false)))
                    inbox.post(.status("shell in \(id)", isError: false))
                } catch {
                    inbox.post(.status("exec in \(id): \(error)", isError: true))
                }
            }
        case .stop(let id):
            state.status = StatusLine("stopping \(id)…")
            background { () async throws(BerthError) in try await backend.stop(namespace: ns, id: id, timeout: 10); return "stopped \(id)" }
        case .kill(let id):
            background { () throws(BerthError) in try backend.kill(namespace: ns, id: id, signal: SIGKILL); return "killed \(id)" }
        case .pause(let id):
            background { () throws(BerthError) in try backend.pause(namespace: ns, id: id); return "paused \(id)" }
        case .resume(let id):
            background { () throws(BerthError) in try backend.resume(namespace: ns, id: id); return "resumed \(id)" }
        case .deleteTask(let id):
            if state.consoleTask == id { detachConsole() }
            metrics[id] = nil
            background { () throws(BerthError) in try backend.delete(namespace: ns, id: id); return "deleted \(id)" }
        case .deleteImage(let name):
            background { () throws(BerthError) in try backend.deleteImage(namespace: ns, name: name); return "deleted image \(name)" }
        case .removeSnapshot(let key):
            background { () throws(BerthError) in try backend.removeSnapshot(namespace: ns, key: key); return "removed snapshot \(SnapshotTree.shortKey(key))" }
        case .showLog(let id):
            Task.detached {
                do { inbox.post(.log(id, LogText.lines(try backend.log(namespace: ns, id: id)))) } catch {
                    inbox.post(.status("log of \(id): \(error)", isError: true))
                }
            }
        case .gc:
            state.status = StatusLine("collecting garbage…")
            background { () throws(BerthError) in try backend.garbageCollect() }
        case .toggleMouse:
            state.mouseCaptured.toggle()
            screen.setMouse(state.mouseCaptured)
            state.status = StatusLine(state.mouseCaptured ? "mouse captured" : "mouse released: the terminal selects text (m captures again)")
        case .importArchive(let path):
            state.progress = (0, "importing \(path)")
            background { () throws(BerthError) in
                let names = try backend.importArchive(namespace: ns, path: path) { f, label in inbox.post(.progress(f, label)) }
                return "imported \(names.joined(separator: ", "))"
            }
        case .setTheme(let name):
            do throws(BerthError) {
                let t = try options.themes.load(name)
                screen.setTheme(t)
                state.status = StatusLine("theme \(t.name)")
            } catch {
                state.status = StatusLine(error.description + " (keeping the current theme)", isError: true)
            }
        case .consoleInput(let key):
            guard let t = terminal else { state.status = StatusLine("no console attached", isError: true); return }
            sendToConsole(t.bytes(for: key))
        case .createDemo:
            state.progress = (0, "creating the demo image")
            background { () throws(BerthError) in
                let names = try backend.createDemo(namespace: ns) { f, label in inbox.post(.progress(f, label)) }
                return names.isEmpty ? "the demo image already exists" : "created \(names.joined(separator: ", ")): select it and press r to run it"
            }
        case .loadDetails:
            state.detailsTop = 0
            loadDetails()
        }
    }
}
