import CNcurses

/// A keystroke, decoded from ncurses' `wget_wch`.
public enum Key: Equatable, Sendable, Hashable {
    case char(Unicode.Scalar)
    /// A control byte (0x00...0x1f) other than tab, enter and escape.
    case ctrl(UInt8)
    case enter, tab, backTab, escape, backspace, delete, insert
    case up, down, left, right, home, end, pageUp, pageDown
    case function(Int)
    case resize
    case mouse
    case unknown(Int32)

    /// ctrl-`letter`, e.g. `Key.control("p")`.
    public static func control(_ letter: Character) -> Key {
        .ctrl(UInt8(letter.asciiValue! & 0x1f))
    }

    /// Decodes what `wget_wch` returned: `isKeyCode` when it said KEY_CODE_YES.
    public static func fromCurses(isKeyCode: Bool, value: UInt32) -> Key {
        if !isKeyCode {
            switch value {
            case 0x09: return .tab
            case 0x0a, 0x0d: return .enter
            case 0x1b: return .escape
            case 0x7f, 0x08: return .backspace
            case 0x00..<0x20: return .ctrl(UInt8(value))
            default: return Unicode.Scalar(value).map(Key.char) ?? .unknown(Int32(bitPattern: value))
            }
        }
        let v = Int32(bitPattern: value)
        switch v {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_HOME: return .home
        case KEY_END: return .end
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case KEY_DC: return .delete
        case KEY_IC: return .insert
        case KEY_BACKSPACE: return .backspace
        case KEY_ENTER: return .enter
        case KEY_BTAB: return .backTab
        case KEY_RESIZE: return .resize
        case KEY_MOUSE: return .mouse
        default:
            if v >= berth_key_f(1) && v <= berth_key_f(24) { return .function(Int(v - berth_key_f(0))) }
            return .unknown(v)
        }
    }
}
