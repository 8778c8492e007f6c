import BerthCore
import Foundation

enum OutputFormat: String, CaseIterable, Sendable {
    case table, json
}

import ArgumentParser
extension OutputFormat: ExpressibleByArgument {}

/// Listing and inspect output: `--format table|json`.
struct FormatOption: ParsableArguments {
    @Option(name: .long, help: "Output format: table or json.")
    var format: OutputFormat = .table
}

/// Human-readable output: what is interpolated into it (names, labels, image config, task
/// output) has its control characters escaped, so that a string from an image cannot drive the
/// admin's terminal; the literal text and its layout (newlines, spacing) stay as written.
struct TerminalLine: ExpressibleByStringInterpolation {
    let text: String

    init(stringLiteral value: String) { text = value }
    init(stringInterpolation: Interpolation) { text = stringInterpolation.text }

    struct Interpolation: StringInterpolationProtocol {
        var text = ""
        init(literalCapacity: Int, interpolationCount: Int) { text.reserveCapacity(literalCapacity + 16 * interpolationCount) }
        mutating func appendLiteral(_ literal: String) { text += literal }
        mutating func appendInterpolation(_ value: some Any) { text += TerminalText.escape(String(describing: value)) }
    }
}

enum CLI {
    /// Prints `berth: <message>` and exits with a status for the error's code.
    static func fail(_ error: BerthError) -> Never {
        printError(error.description)
        exit(exitStatus(error.code))
    }

    /// `berth: <message>` on stderr; the message quotes names and task output, so it is escaped.
    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("berth: \(TerminalText.escape(message))\n".utf8))
    }

    /// One line of human-readable output on stdout.
    static func say(_ line: TerminalLine) {
        print(line.text)
    }

    static func exitStatus(_ code: BerthError.Code) -> Int32 {
        switch code {
        case .invalidArgument: return 2
        default: return 1
        }
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.dateEncodingStrategy = .iso8601
        let data = escapingTerminalControls(json: try enc.encode(value))
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// JSON with DEL and the C1 controls (which JSON allows raw in strings, and some terminals
    /// act on) written as `\u` escapes: the same JSON value, safe on a terminal. Only strings
    /// hold bytes outside ASCII, so the replacement never touches the document's structure.
    static func escapingTerminalControls(json: Data) -> Data {
        guard json.contains(where: { $0 == 0x7F || $0 == 0xC2 }) else { return json }
        var out = Data(capacity: json.count + 16)
        var i = json.startIndex
        while i < json.endIndex {
            let b = json[i]
            let next = json.index(after: i)
            if b == 0x7F {
                out.append(contentsOf: Array("\\u007f".utf8))
            } else if b == 0xC2, next < json.endIndex, (0x80..<0xA0).contains(json[next]) {
                out.append(contentsOf: Array(("\\u00" + String(json[next], radix: 16)).utf8))
                i = json.index(after: next)
                continue
            } else {
                out.append(b)
            }
            i = next
        }
        return out
    }

    /// Left-aligned columns separated by two or more spaces, as ctr and docker print.
    /// Every cell is escaped (before the widths are measured, so columns stay aligned).
    static func printTable(_ header: [String], _ rows: [[String]]) {
        let rows = rows.map { $0.map(TerminalText.escape) }
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var s = ""
            for (i, c) in cells.enumerated() {
                if i == cells.count - 1 { s += c } else { s += c.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0) }
            }
            return s
        }
        var out = line(header) + "\n"
        for r in rows { out += line(r) + "\n" }
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    static func formatLabels(_ labels: Labels) -> String {
        labels.isEmpty ? "-" : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(bytes), i = 0
        while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(bytes) B" : String(format: "%.1f %@", v, units[i])
    }

    static func parseLabels(_ args: [String]) throws(BerthError) -> Labels {
        var out: Labels = [:]
        for a in args { let (k, v) = try LabelRules.parse(a); out[k] = v }
        return out
    }
}
