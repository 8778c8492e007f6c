/// Strings from images, labels, names and task output, made safe to print on a terminal.
/// An image's Env or a container's label may hold escape sequences that retitle or clear the
/// admin's terminal, or hide text; human-readable output shows every control character as an
/// escape instead, as `ls` does. JSON output keeps the exact strings in JSON's own escapes.
public enum TerminalText {
    /// `s` with C0 controls, DEL and C1 controls (U+0080-U+009F) escaped: `\e`, `\n`, `\t` ...
    /// for the common ones, `\x7f`, `\u{9b}` for the rest. Printable Unicode stays as it is, and
    /// so do backslashes, so that a message already quoted with Swift's escapes reads the same.
    public static func escape(_ s: String) -> String {
        if s.utf8.allSatisfy(isPlainASCII) { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for scalar in s.unicodeScalars { append(scalar, to: &out) }
        return out
    }

    /// Bytes that may not be UTF-8 (task output, /proc cmdlines): valid sequences as `escape`
    /// has them, every byte of an invalid one as `\xNN`.
    public static func escape(bytes: some Collection<UInt8>) -> String {
        let b = Array(bytes)
        if b.allSatisfy(isPlainASCII) { return String(decoding: b, as: UTF8.self) }
        var out = ""
        var i = 0
        while i < b.count {
            if let (scalar, length) = scalar(in: b, at: i) {
                append(scalar, to: &out)
                i += length
            } else {
                out += "\\x" + hex(b[i])
                i += 1
            }
        }
        return out
    }

    /// The scalar a well-formed UTF-8 sequence at `i` encodes, and its length; nil for an
    /// invalid one (a stray continuation byte, a truncated, overlong or surrogate sequence).
    private static func scalar(in b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let lead = b[i]
        let length: Int, minimum: UInt32
        var value: UInt32
        switch lead {
        case 0x00..<0x80: return (Unicode.Scalar(lead), 1)
        case 0xC2..<0xE0: length = 2; minimum = 0x80; value = UInt32(lead & 0x1F)
        case 0xE0..<0xF0: length = 3; minimum = 0x800; value = UInt32(lead & 0x0F)
        case 0xF0..<0xF5: length = 4; minimum = 0x10000; value = UInt32(lead & 0x07)
        default: return nil
        }
        guard i + length <= b.count else { return nil }
        for k in 1..<length {
            guard b[i + k] & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(b[i + k] & 0x3F)
        }
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    private static func isPlainASCII(_ b: UInt8) -> Bool { b >= 0x20 && b < 0x7F }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar.value {
        case 0x07: out += "\\a"
        case 0x08: out += "\\b"
        case 0x09: out += "\\t"
        case 0x0A: out += "\\n"
        case 0x0B: out += "\\v"
        case 0x0C: out += "\\f"
        case 0x0D: out += "\\r"
        case 0x1B: out += "\\e"
        case 0x00..<0x20, 0x7F: out += "\\x" + hex(UInt8(scalar.value))
        case 0x80..<0xA0: out += "\\u{" + String(scalar.value, radix: 16) + "}"
        default: out.unicodeScalars.append(scalar)
        }
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0xF)]], as: UTF8.self)
    }
}
