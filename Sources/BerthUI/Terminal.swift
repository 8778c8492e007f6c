import CVterm

/// A terminal emulator (libvterm) holding the screen of the task shown in the console pane.
/// Used from the UI thread only.
public final class Terminal {
    private let vt: OpaquePointer
    private let screen: OpaquePointer
    private let state: OpaquePointer
    public private(set) var rows: Int
    public private(set) var cols: Int
    /// Bytes libvterm produced for the task (key sequences, replies to queries).
    fileprivate var pendingOutput: [UInt8] = []

    public init(rows: Int, cols: Int) {
        self.rows = max(1, rows)
        self.cols = max(1, cols)
        vt = vterm_new(Int32(self.rows), Int32(self.cols))
        vterm_set_utf8(vt, 1)
        screen = vterm_obtain_screen(vt)
        state = vterm_obtain_state(vt)
        vterm_screen_enable_altscreen(screen, 1)
        vterm_screen_reset(screen, 1)
        vterm_output_set_callback(vt, { bytes, len, user in
            guard let bytes, let user else { return }
            let t = Unmanaged<Terminal>.fromOpaque(user).takeUnretainedValue()
            bytes.withMemoryRebound(to: UInt8.self, capacity: len) { t.pendingOutput.append(contentsOf: UnsafeBufferPointer(start: $0, count: len)) }
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { vterm_free(vt) }

    /// Feeds the task's output into the emulator.
    public func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { _ = vterm_input_write(vt, $0.baseAddress, $0.count) }
        }
    }

    public func resize(rows r: Int, cols c: Int) {
        rows = max(1, r)
        cols = max(1, c)
        vterm_set_size(vt, Int32(rows), Int32(cols))
    }

    /// Takes the bytes the emulator wants sent to the task (answers to device queries).
    public func takeOutput() -> [UInt8] {
        defer { pendingOutput = [] }
        return pendingOutput
    }

    public func cell(row: Int, col: Int) -> TermCell {
        var c = VTermScreenCell()
        _ = vterm_screen_get_cell(screen, VTermPos(row: Int32(row), col: Int32(col)), &c)
        var chars: [UInt32] = []
        withUnsafeBytes(of: c.chars) { raw in
            for ch in raw.bindMemory(to: UInt32.self) { if ch == 0 { break }; chars.append(ch) }
        }
        return TermCell(chars: chars, width: Int(c.width), flags: berth_vterm_cell_flags(&c),
                        fg: Int(berth_vterm_cell_fg(&c)), bg: Int(berth_vterm_cell_bg(&c)))
    }

    public var cursor: (row: Int, col: Int) {
        var pos = VTermPos()
        vterm_state_get_cursorpos(state, &pos)
        return (Int(pos.row), Int(pos.col))
    }

    /// The text of one row, trailing blanks removed (tests and the demo read the screen so).
    public func text(row: Int) -> String {
        var s = String.UnicodeScalarView()
        var col = 0
        while col < cols {
            let c = cell(row: row, col: col)
            if c.chars.isEmpty { s.append(" ") } else { for ch in c.chars { if let u = Unicode.Scalar(ch) { s.append(u) } } }
            col += max(1, c.width)
        }
        var str = String(s)
        while str.last == " " { str.removeLast() }
        return str
    }

    /// The bytes a keystroke sends to the task, as the emulated terminal would send them (so
    /// arrows honour application-cursor mode, which vi and less switch on).
    public func bytes(for key: Key) -> [UInt8] {
        _ = takeOutput()
        switch key {
        case .char(let u): return Array(String(Character(u)).utf8)
        case .ctrl(let b): return [b]
        case .enter: vterm_keyboard_key(vt, VTERM_KEY_ENTER, VTERM_MOD_NONE)
        case .tab: vterm_keyboard_key(vt, VTERM_KEY_TAB, VTERM_MOD_NONE)
        case .backTab: vterm_keyboard_key(vt, VTERM_KEY_TAB, VTERM_MOD_SHIFT)
        case .escape: vterm_keyboard_key(vt, VTERM_KEY_ESCAPE, VTERM_MOD_NONE)
        case .backspace: return [0x7f]
        case .delete: vterm_keyboard_key(vt, VTERM_KEY_DEL, VTERM_MOD_NONE)
        case .insert: vterm_keyboard_key(vt, VTERM_KEY_INS, VTERM_MOD_NONE)
        case .up: vterm_keyboard_key(vt, VTERM_KEY_UP, VTERM_MOD_NONE)
        case .down: vterm_keyboard_key(vt, VTERM_KEY_DOWN, VTERM_MOD_NONE)
        case .left: vterm_keyboard_key(vt, VTERM_KEY_LEFT, VTERM_MOD_NONE)
        case .right: vterm_keyboard_key(vt, VTERM_KEY_RIGHT, VTERM_MOD_NONE)
        case .home: vterm_keyboard_key(vt, VTERM_KEY_HOME, VTERM_MOD_NONE)
        case .end: vterm_keyboard_key(vt, VTERM_KEY_END, VTERM_MOD_NONE)
        case .pageUp: vterm_keyboard_key(vt, VTERM_KEY_PAGEUP, VTERM_MOD_NONE)
        case .pageDown: vterm_keyboard_key(vt, VTERM_KEY_PAGEDOWN, VTERM_MOD_NONE)
        case .function(let n): vterm_keyboard_key(vt, VTermKey(rawValue: VTERM_KEY_FUNCTION_0.rawValue + UInt32(n)), VTERM_MOD_NONE)
        case .resize, .mouse, .unknown: return []
        }
        return takeOutput()
    }
}

/// Plain text of a terminal byte stream, for the full-log view: escape sequences dropped,
/// carriage returns honoured per line.
public enum LogText {
    public static func lines(_ bytes: [UInt8]) -> [String] {
        var out: [String] = []
        var line: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case 0x1b:
                i += 1
                guard i < bytes.count else { break }
                if bytes[i] == UInt8(ascii: "[") {
                    i += 1
                    while i < bytes.count, !(0x40...0x7e).contains(bytes[i]) { i += 1 }
                } else if bytes[i] == UInt8(ascii: "]") {
                    while i < bytes.count, bytes[i] != 0x07, !(bytes[i] == 0x5c && bytes[i - 1] == 0x1b) { i += 1 }
                }
            case 0x0a:
                out.append(String(decoding: line, as: UTF8.self))
                line = []
            case 0x0d:
                if i + 1 < bytes.count, bytes[i + 1] != 0x0a { line = [] }
            case 0x08:
                if !line.isEmpty { line.removeLast() }
            case 0x09:
                // To the next tab stop: the screen shows any control character escaped.
                line.append(contentsOf: repeatElement(0x20, count: 8 - line.count % 8))
            case 0x00..<0x20:
                break
            default:
                line.append(b)
            }
            i += 1
        }
        if !line.isEmpty { out.append(String(decoding: line, as: UTF8.self)) }
        return out
    }
}
