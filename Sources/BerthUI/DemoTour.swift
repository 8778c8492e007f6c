import BerthCore
import Foundation

/// `berth ui --demo`: a self-running tour for demo sessions. It drives the same effects the
/// keys do (create the demo image, run a task, attach, type, show metrics, clean up); any key
/// stops it and leaves the UI to the user.
final class DemoTour {
    enum Step {
        case say(String)
        case wait(Double)
        /// Waits for a condition, giving up with a message after a timeout.
        case until(Double, String, (App) -> Bool)
        case act((App) -> Void)
        case type(String)
    }

    private var steps: [Step]
    private var index = 0
    private var stepStarted = 0.0
    private(set) var nextWake: Double? = 0
    private var taskID: String?

    init() {
        steps = []
        steps = [
            .say("Demo: berth manages images, snapshots and tasks from one screen. Any key stops the tour."),
            .wait(2),
            .say("Demo: creating the demo image (an image imported from the host's busybox)"),
            .act { $0.perform(.createDemo) },
            .until(60, "no image appeared") { !$0.state.images.isEmpty },
            .act { app in _ = app.state.setFocus(.images) },
            .wait(1.5),
            .say("Demo: r runs the selected image as a task; its console attaches below"),
            .act { app in if let img = app.state.selectedImage { app.perform(.run(image: img.name, command: ["sh"])) } },
            .until(30, "the task did not start") { app in app.session != nil && app.state.consoleTask != nil },
            .act { [unowned self] app in self.taskID = app.state.consoleTask },
            .wait(1),
            .say("Demo: keys go to the task while the console has focus"),
            .type("echo hello from a berth task; uname -a\r"),
            .wait(2),
            .type("top\r"),
            .say("Demo: full-screen programs draw inside the pane (libvterm); details show CPU and memory"),
            .wait(6),
            .type("q"),
            .act { app in app.state.mode = .normal; _ = app.state.setFocus(.tasks); app.loadDetails() },
            .wait(2),
            .say("Demo: cleaning up: the task is deleted"),
            .act { [unowned self] app in if let id = self.taskID { app.perform(.deleteTask(id)) } },
            .wait(2),
            .say("Demo finished. Press ? for help, q to quit."),
        ]
    }

    func tick(_ app: App, now: Double) {
        guard let wake = nextWake, now >= wake else { return }
        while index < steps.count {
            if stepStarted == 0 { stepStarted = now }
            switch steps[index] {
            case .say(let text):
                app.state.status = StatusLine(text)
                app.needsRender = true
            case .wait(let seconds):
                if now - stepStarted < seconds { nextWake = stepStarted + seconds; return }
            case let .until(timeout, failure, cond):
                if !cond(app) {
                    if now - stepStarted < timeout { nextWake = now + 0.2; return }
                    app.state.status = StatusLine("Demo stopped: \(failure)", isError: true)
                    app.tour = nil
                    return
                }
            case .act(let f):
                f(app)
            case .type(let text):
                // One character per tick, as a person would type.
                let done = Int((now - stepStarted) / 0.08)
                let scalars = Array(text.unicodeScalars)
                let sent = typed
                if sent < scalars.count {
                    let upTo = min(scalars.count, max(sent + 1, done))
                    for u in scalars[sent..<upTo] { app.perform(.consoleInput(u == "\r" ? .enter : .char(u))) }
                    typed = upTo
                    if upTo < scalars.count { nextWake = now + 0.08; return }
                }
                typed = 0
            }
            index += 1
            stepStarted = 0
        }
        nextWake = nil
        app.tour = nil
    }

    private var typed = 0
}
