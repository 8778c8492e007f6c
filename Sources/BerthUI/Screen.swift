import BerthCore
import CNcurses
import Foundation

/// The ncurses screen: set-up and tear-down, colour pairs, and clipped wide-character drawing.
/// Used from the UI thread only.
final class Screen {
    private(set) var theme: Theme
    /// Colours the terminal shows (8, 16, 256), or 0 with colour off (NO_COLOR, monochrome).
    let colors: Int
    let unicode: Bool
    private var pairs: [Int: Int32] = [:]
    private var nextPair: Int32 = 1
    private let maxPairs: Int32
    var window: UnsafeMutablePointer<WINDOW> { berth_stdscr()! }

    init(theme: Theme, noColor: Bool) {
        setlocale(LC_ALL, "")
        unicode = String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8"
        set_escdelay(25)
        initscr()
        raw()
        noecho()
        nonl()
        keypad(berth_stdscr(), true)
        nodelay(berth_stdscr(), true)
        curs_set(0)
        if !noColor && has_colors() {
            start_color()
            use_default_colors()
            colors = Int(berth_colors())
            maxPairs = berth_color_pairs()
        } else {
            colors = 0
            maxPairs = 0
        }
        self.theme = theme
    }

    func end() {
        endwin()
    }

    var size: (rows: Int, cols: Int) { (Int(berth_lines()), Int(berth_cols())) }

    func setTheme(_ t: Theme) {
        theme = t
        pairs = [:]
        nextPair = 1
    }

    /// The pair for a foreground and background, allocated on first use.
    func pair(fg: Int, bg: Int) -> Int32 {
        guard colors > 0 else { return 0 }
        let f = Palette.reduce(fg, colors: colors), b = Palette.reduce(bg, colors: colors)
        if f == -1 && b == -1 { return 0 }
        let key = (f + 1) << 16 | (b + 1)
        if let p = pairs[key] { return p }
        if nextPair >= maxPairs {
            // Out of pairs (a console full of direct colours): start again; ncurses repaints.
            pairs = [:]
            nextPair = 1
        }
        let p = nextPair
        nextPair += 1
        init_extended_pair(p, Int32(f), Int32(b))
        pairs[key] = p
        return p
    }

    /// Attributes and pair for a theme role. Without colour, roles that need to stand out get
    /// reverse video or bold instead.
    func look(_ role: ThemeRole) -> (attr_t, Int32) {
        let s = theme[role]
        var a = attrs(bold: s.bold, underline: s.underline, reverse: s.reverse, dim: s.dim)
        if colors == 0 {
            switch role {
            case .selection, .status, .statusError, .dialog, .header: a |= berth_a_reverse()
            case .borderFocused, .title, .taskRunning: a |= berth_a_bold()
            case .selectionInactive: a |= berth_a_underline()
            default: break
            }
            return (a, 0)
        }
        return (a, pair(fg: s.fg, bg: s.bg))
    }

    func attrs(bold: Bool, underline: Bool, reverse: Bool, dim: Bool = false, italic: Bool = false, blink: Bool = false) -> attr_t {
        var a: attr_t = 0
        if bold { a |= berth_a_bold() }
        if underline { a |= berth_a_underline() }
        if reverse { a |= berth_a_reverse() }
        if dim { a |= berth_a_dim() }
        if italic { a |= berth_a_italic() }
        if blink { a |= berth_a_blink() }
        return a
    }

    func erase() { werase(window) }

    /// Draws `text` at (y, x), clipped to `width` columns (wide characters count two), and
    /// pads with blanks to `width` when `fill`. Returns the columns used.
    @discardableResult
    func put(_ y: Int, _ x: Int, _ text: String, width: Int, role: ThemeRole, fill: Bool = false) -> Int {
        let (a, p) = look(role)
        return put(y, x, text, width: width, attr: a, pair: p, fill: fill)
    }

    @discardableResult
    func put(_ y: Int, _ x: Int, _ text: String, width: Int, attr: attr_t, pair: Int32, fill: Bool = false) -> Int {
        guard width > 0 else { return 0 }
        var (wide, used) = Self.clip(text, width: width)
        if fill, used < width {
            wide.append(contentsOf: repeatElement(wchar_t(32), count: width - used))
            used = width
        }
        guard !wide.isEmpty else { return 0 }
        _ = wide.withUnsafeBufferPointer { berth_put(window, Int32(y), Int32(x), $0.baseAddress, Int32($0.count), attr, pair) }
        return used
    }

    /// The wide characters of `text` that fit in `width` columns, and the columns they use.
    /// Control characters (from image names, labels, env, task output) are shown escaped, as
    /// the CLI prints them; anything else without a width becomes a blank, so nothing drawn
    /// can move the cursor or reach the terminal as a sequence.
    static func clip(_ text: String, width: Int) -> ([wchar_t], Int) {
        var out: [wchar_t] = []
        var used = 0
        for u in TerminalText.escape(text).unicodeScalars {
            var w = Int(berth_wcwidth(wchar_t(bitPattern: u.value)))
            var c = wchar_t(bitPattern: u.value)
            if w < 0 { c = 32; w = 1 }
            if used + w > width { break }
            out.append(c)
            used += w
        }
        return (out, used)
    }

    /// One cell with its own attributes and colours (the console pane).
    func cell(_ y: Int, _ x: Int, chars: [UInt32], attr: attr_t, pair: Int32) {
        var cc = cchar_t()
        var wide = chars.prefix(5).map { wchar_t(bitPattern: $0) }
        wide.append(0)
        _ = wide.withUnsafeBufferPointer { berth_setcchar(&cc, $0.baseAddress, attr, pair) }
        mvwadd_wch(window, Int32(y), Int32(x), &cc)
    }

    /// A box in the border role's look, with a title.
    func box(_ r: Rect, title: String, focused: Bool) {
        guard r.h >= 2, r.w >= 2 else { return }
        let role: ThemeRole = focused ? .borderFocused : .border
        let (h, v, tl, tr, bl, br) = unicode ? ("─", "│", "┌", "┐", "└", "┘") : ("-", "|", "+", "+", "+", "+")
        let horiz = String(repeating: h, count: r.w - 2)
        put(r.y, r.x, tl + horiz + tr, width: r.w, role: role)
        for y in (r.y + 1)..<(r.y + r.h - 1) {
            put(y, r.x, v, width: 1, role: role)
            put(y, r.x + r.w - 1, v, width: 1, role: role)
        }
        put(r.y + r.h - 1, r.x, bl + horiz + br, width: r.w, role: role)
        if !title.isEmpty, r.w > 4 {
            put(r.y, r.x + 2, " \(title) ", width: r.w - 4, role: focused ? .title : .border)
        }
    }

    func fill(_ r: Rect, role: ThemeRole) {
        for y in r.y..<(r.y + r.h) { put(y, r.x, "", width: r.w, role: role, fill: true) }
    }

    func showCursor(at y: Int, _ x: Int) {
        curs_set(1)
        wmove(window, Int32(y), Int32(x))
    }

    func hideCursor() { curs_set(0) }

    /// Batched output: one write for everything changed since the last frame.
    func flush() {
        wnoutrefresh(window)
        doupdate()
    }

    func setMouse(_ on: Bool) {
        if on {
            mousemask(berth_mouse_all(), nil)
            mouseinterval(0)
        } else {
            mousemask(0, nil)
        }
    }
}
