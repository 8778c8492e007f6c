/// What a keystroke asks the app to do beyond changing `AppState`: I/O and backend calls,
/// which the app runs off the drawing thread.
public enum Effect: Equatable, Sendable {
    case quit
    case switchNamespace(String)
    case run(image: String, command: [String])
    case attach(String)
    case execShell(String)
    case stop(String)
    case kill(String)
    case pause(String)
    case resume(String)
    case deleteTask(String)
    case deleteImage(String)
    case removeSnapshot(String)
    case showLog(String)
    case gc
    case toggleMouse
    case importArchive(String)
    case setTheme(String)
    case zoom(String)
    /// A keystroke for the task in the console.
    case consoleInput(Key)
    case createDemo
    /// The selection changed: reload the details pane.
    case loadDetails
}

/// The parsed `:` command line.
public enum CommandParser {
    /// Splits on blanks, keeping "double-quoted" or 'single-quoted' words together.
    public static func words(_ s: String) -> [String] {
        var out: [String] = [], cur = "", quote: Character? = nil, inWord = false
        for c in s {
            if let q = quote {
                if c == q { quote = nil } else { cur.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c; inWord = true
            } else if c == " " || c == "\t" {
                if inWord { out.append(cur); cur = ""; inWord = false }
            } else {
                cur.append(c); inWord = true
            }
        }
        if inWord { out.append(cur) }
        return out
    }

    /// The effect of a command, or a message saying what is wrong with it.
    public static func parse(_ s: String) -> Result<Effect, CommandError> {
        let w = words(s)
        guard let verb = w.first else { return .failure(CommandError(message: "empty command")) }
        let args = Array(w.dropFirst())
        switch verb {
        case "q", "quit":
            return .success(.quit)
        case "run":
            guard let image = args.first else { return .failure(CommandError(message: ":run needs an image: :run IMAGE [CMD...]")) }
            return .success(.run(image: image, command: Array(args.dropFirst())))
        case "ns", "namespace":
            guard args.count == 1 else { return .failure(CommandError(message: ":ns needs one namespace name")) }
            return .success(.switchNamespace(args[0]))
        case "import":
            guard args.count == 1 else { return .failure(CommandError(message: ":import needs one archive file")) }
            return .success(.importArchive(args[0]))
        case "theme":
            guard args.count == 1 else { return .failure(CommandError(message: ":theme needs one theme name or file")) }
            return .success(.setTheme(args[0]))
        case "gc":
            return .success(.gc)
        case "demo":
            return .success(.createDemo)
        default:
            return .failure(CommandError(message: "unknown command \(verb.debugDescription) (try :run, :ns, :import, :theme, :gc, :demo, :q)"))
        }
    }

    public struct CommandError: Error, Equatable { public var message: String }
}
