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

enum CLI {
    /// Prints `berth: <message>` and exits with a status for the error's code.
    static func fail(_ error: BerthError) -> Never {
        FileHandle.standardError.write(Data("berth: \(error.description)\n".utf8))
        exit(exitStatus(error.code))
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
        let data = try enc.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// Left-aligned columns separated by two or more spaces, as ctr and docker print.
    static func printTable(_ header: [String], _ rows: [[String]]) {
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
