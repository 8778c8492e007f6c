import BerthCore
import Foundation

/// What a theme gives a colour to.
public enum ThemeRole: String, CaseIterable, Sendable {
    case text
    case dim
    case border
    case borderFocused = "border.focused"
    case title
    case header
    case selection
    case selectionInactive = "selection.inactive"
    case status
    case statusError = "status.error"
    case hint
    case dialog
    case progress
    case sparklineCPU = "sparkline.cpu"
    case sparklineMemory = "sparkline.memory"
    case taskRunning = "task.running"
    case taskPaused = "task.paused"
    case taskStopped = "task.stopped"
    case taskCreated = "task.created"
    case taskNone = "task.none"
    case taskUnknown = "task.unknown"

    public static func task(_ s: TaskState) -> ThemeRole {
        switch s {
        case .running: .taskRunning
        case .paused: .taskPaused
        case .stopped: .taskStopped
        case .created: .taskCreated
        case .none: .taskNone
        case .unknown: .taskUnknown
        }
    }
}

/// A foreground/background pair (-1 = the terminal's default) and text attributes.
public struct Style: Sendable, Equatable {
    public var fg: Int
    public var bg: Int
    public var bold = false
    public var underline = false
    public var reverse = false
    public var dim = false
    public init(fg: Int = -1, bg: Int = -1, bold: Bool = false, underline: Bool = false, reverse: Bool = false, dim: Bool = false) {
        self.fg = fg; self.bg = bg; self.bold = bold; self.underline = underline; self.reverse = reverse; self.dim = dim
    }
}

/// A theme: one style per role. Files are `key = value` lines (see `ThemeParser`).
public struct Theme: Sendable, Equatable {
    public var name: String
    public var styles: [ThemeRole: Style]

    public subscript(role: ThemeRole) -> Style { styles[role] ?? Style() }

    /// Compiled in, so berth works without any theme files; themes/default.theme is the same text.
    public static let builtinDefault: Theme = {
        // The text is a literal in this file, so parsing it cannot fail.
        try! ThemeParser.parse(defaultText, file: "<built-in default>", base: nil)
    }()

    public static let defaultText = """
    # berth's default theme: 256 colours, reduced to 8 on smaller terminals.
    name = default
    text = default
    dim = 245
    border = 240
    border.focused = 39 bold
    title = 39 bold
    header = 250 on 236 bold
    selection = 231 on 25 bold
    selection.inactive = default on 237
    status = 252 on 235
    status.error = 231 on 124 bold
    hint = 245 on 235
    dialog = 231 on 24
    progress = 39
    sparkline.cpu = 78
    sparkline.memory = 177
    task.running = 78 bold
    task.paused = 220
    task.stopped = 245
    task.created = 117
    task.none = 243
    task.unknown = 203
    """
}

/// Parses theme files: `#` comment lines (and a trailing `# ...` after a value), blank lines, and `key = value` lines where key is a
/// `ThemeRole` (or `name`) and value is `FG [on BG] [bold] [underline] [reverse] [dim]`.
/// Colours: `default`, the eight names (`black` … `white`), `bright-<name>`, `grey`,
/// a palette index 0–255, or `#rrggbb` (mapped to the nearest palette entry).
/// Roles a file leaves out keep the base theme's style.
public enum ThemeParser {
    public static func parse(_ text: String, file: String, base: Theme? = Theme.builtinDefault) throws(BerthError) -> Theme {
        var theme = base ?? Theme(name: "", styles: [:])
        theme.name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var seen = Set<String>()
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = i + 1
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "=") else {
                throw .invalidArgument("theme \(file), line \(lineNo): expected `key = value`, got \(trimmed.debugDescription)")
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if seen.contains(key) {
                throw .invalidArgument("theme \(file), line \(lineNo): key \(key.debugDescription) given twice")
            }
            seen.insert(key)
            if key == "name" {
                guard !value.isEmpty else { throw .invalidArgument("theme \(file), line \(lineNo): key \"name\" is empty") }
                theme.name = value
                continue
            }
            guard let role = ThemeRole(rawValue: key) else {
                throw .invalidArgument("theme \(file), line \(lineNo): unknown key \(key.debugDescription) (see docs/ui.md for the keys)")
            }
            do throws(ThemeValueError) {
                theme.styles[role] = try parseStyle(value)
            } catch {
                throw .invalidArgument("theme \(file), line \(lineNo), key \(key.debugDescription): \(error.message)")
            }
        }
        if base == nil, let missing = ThemeRole.allCases.first(where: { theme.styles[$0] == nil }) {
            throw .invalidArgument("theme \(file): key \(missing.rawValue.debugDescription) is missing")
        }
        return theme
    }

    struct ThemeValueError: Error { var message: String }

    static func parseStyle(_ value: String) throws(ThemeValueError) -> Style {
        var words = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        // Strip a trailing comment after a colour value.
        if let c = words.firstIndex(where: { $0.hasPrefix("#") && !isHexColour($0) }) { words = Array(words[..<c]) }
        guard let first = words.first else { throw ThemeValueError(message: "empty value") }
        var style = Style()
        var rest = words.dropFirst()
        style.fg = try colour(first)
        if rest.first == "on" {
            rest = rest.dropFirst()
            guard let bg = rest.first else { throw ThemeValueError(message: "`on` needs a background colour") }
            style.bg = try colour(bg)
            rest = rest.dropFirst()
        }
        for w in rest {
            switch w {
            case "bold": style.bold = true
            case "underline": style.underline = true
            case "reverse": style.reverse = true
            case "dim": style.dim = true
            default: throw ThemeValueError(message: "unknown attribute \(w.debugDescription) (want bold, underline, reverse or dim)")
            }
        }
        return style
    }

    private static func isHexColour(_ w: String) -> Bool {
        w.count == 7 && w.hasPrefix("#") && w.dropFirst().allSatisfy(\.isHexDigit)
    }

    static let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]

    static func colour(_ w: String) throws(ThemeValueError) -> Int {
        if w == "default" { return -1 }
        if w == "grey" || w == "gray" { return 8 }
        if let i = names.firstIndex(of: w) { return i }
        if w.hasPrefix("bright-"), let i = names.firstIndex(of: String(w.dropFirst(7))) { return i + 8 }
        if let n = Int(w) {
            guard (0...255).contains(n) else { throw ThemeValueError(message: "colour \(n) is outside 0...255") }
            return n
        }
        if isHexColour(w), let v = Int(w.dropFirst(), radix: 16) {
            return Palette.index(red: v >> 16, green: (v >> 8) & 0xff, blue: v & 0xff)
        }
        throw ThemeValueError(message: "unknown colour \(w.debugDescription) (want a name such as red or bright-blue, 0-255, #rrggbb or default)")
    }
}

/// Where themes come from. A NAME is looked up, first match wins, in:
/// 1. `$BERTH_THEME_DIR` (a directory, when set),
/// 2. `$XDG_CONFIG_HOME/berth/themes` (default `~/.config/berth/themes`),
/// 3. `<prefix>/share/berth/themes`, where the binary is `<prefix>/bin/berth`,
/// 4. `themes/` of the source checkout the binary was built in (walking up from the binary to
///    the directory holding `Package.swift`), so a development build finds the tree's themes.
/// A value containing `/` or ending in `.theme` is a file path. `default` is compiled in.
public struct ThemeLocator: Sendable {
    public var searchDirectories: [String]

    public init(searchDirectories: [String]) { self.searchDirectories = searchDirectories }

    public static func standard(environment env: [String: String] = ProcessInfo.processInfo.environment,
                                executable: String = CommandLine.arguments.first ?? "berth") -> ThemeLocator {
        var dirs: [String] = []
        if let d = env["BERTH_THEME_DIR"], !d.isEmpty { dirs.append(d) }
        if let x = env["XDG_CONFIG_HOME"], !x.isEmpty { dirs.append(x + "/berth/themes") } else if let h = env["HOME"] { dirs.append(h + "/.config/berth/themes") }
        let exe = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        let binDir = exe.deletingLastPathComponent()
        dirs.append(binDir.deletingLastPathComponent().appendingPathComponent("share/berth/themes").path)
        var dir = binDir
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                dirs.append(dir.appendingPathComponent("themes").path)
                break
            }
            dir = dir.deletingLastPathComponent()
        }
        return ThemeLocator(searchDirectories: dirs)
    }

    /// Every theme name found, plus `default`.
    public func available() -> [String] {
        var names: Set<String> = ["default"]
        for d in searchDirectories {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] where f.hasSuffix(".theme") {
                names.insert(String(f.dropLast(6)))
            }
        }
        return names.sorted()
    }

    public func path(for name: String) -> String? {
        if name.contains("/") || name.hasSuffix(".theme") { return name }
        for d in searchDirectories {
            let p = d + "/" + name + ".theme"
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// Loads a theme by name or path. Unknown names and bad files throw, naming the culprit.
    public func load(_ nameOrPath: String) throws(BerthError) -> Theme {
        guard let p = path(for: nameOrPath) else {
            if nameOrPath == "default" { return .builtinDefault }
            throw .notFound("theme \(nameOrPath.debugDescription) not found (have: \(available().joined(separator: ", ")))")
        }
        let text: String
        do { text = try String(contentsOfFile: p, encoding: .utf8) } catch {
            throw .notFound("theme \(p): cannot read: \((error as NSError).localizedDescription)")
        }
        return try ThemeParser.parse(text, file: p)
    }
}
