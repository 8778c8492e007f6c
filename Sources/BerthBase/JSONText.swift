/// Hand-written JSON for the few documents that short-lived commands write on every run
/// (the runtime spec, event lines): the same text `JSONEncoder` produces with sorted keys and
/// unescaped slashes, without the generic encoding machinery, whose dynamic casts and
/// protocol-conformance lookups are costly for a fresh process.
public struct JSONText {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    /// A JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    /// The runs between characters to escape (usually the whole string) are copied at once.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var start = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                appendEscaped(b, to: &out)
                start = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
        case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
        case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
        case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
        case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
        case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
        case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
        default: out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hexDigit(b >> 4), hexDigit(b & 15)]
        }
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x61 + v - 10 }

    public mutating func string(_ s: String) { Self.appendString(s, to: &bytes) }
    public mutating func int(_ v: Int64) { bytes.append(contentsOf: String(v).utf8) }
    public mutating func uint(_ v: UInt64) { bytes.append(contentsOf: String(v).utf8) }
    public mutating func bool(_ v: Bool) { bytes.append(contentsOf: (v ? "true" : "false").utf8) }

    public mutating func strings(_ list: [String]) {
        array(list) { w, s in w.string(s) }
    }

    /// Inlinable (as `Object.optional`), so that callers in other modules get it specialized:
    /// an unspecialized generic call makes a fresh process build `T`'s metadata at first use.
    @inlinable
    public mutating func array<T>(_ list: [T], _ element: (inout JSONText, T) -> Void) {
        appendByte(UInt8(ascii: "["))
        var first = true
        for e in list {
            if !first { appendByte(UInt8(ascii: ",")) }
            first = false
            element(&self, e)
        }
        appendByte(UInt8(ascii: "]"))
    }

    @usableFromInline
    mutating func appendByte(_ b: UInt8) { bytes.append(b) }

    /// An object whose fields the body writes with `field`, in sorted key order.
    public mutating func object(_ body: (inout Object) -> Void) {
        var o = Object(text: self)
        o.text.bytes.append(UInt8(ascii: "{"))
        body(&o)
        o.text.bytes.append(UInt8(ascii: "}"))
        self = o.text
    }

    /// A string-to-string map, keys sorted.
    public mutating func map(_ m: [String: String]) {
        object { o in
            for k in m.keys.sorted() { o.field(k) { $0.string(m[k]!) } }
        }
    }

    public struct Object {
        var text: JSONText
        var first = true

        /// One field; the caller keeps keys in sorted order.
        public mutating func field(_ key: String, _ value: (inout JSONText) -> Void) {
            if !first { text.bytes.append(UInt8(ascii: ",")) }
            first = false
            JSONText.appendString(key, to: &text.bytes)
            text.bytes.append(UInt8(ascii: ":"))
            value(&text)
        }

        /// A field that is left out when nil, as `encodeIfPresent` does.
        @inlinable
        public mutating func optional<T>(_ key: String, _ value: T?, _ write: (inout JSONText, T) -> Void) {
            guard let value else { return }
            field(key) { write(&$0, value) }
        }
    }
}
