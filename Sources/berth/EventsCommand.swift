import ArgumentParser
import BerthCore
import Foundation

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Follow events (tasks, containers, images, snapshots) as they happen.")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "Output format: lines or json (one object per line).")
    var format = "lines"
    @Flag(name: .long, help: "Print the events already in the journal first.")
    var past = false
    @Flag(name: .long, help: "Events of every namespace, not only -n's.")
    var allNamespaces = false

    func run() async throws {
        guard format == "lines" || format == "json" else {
            throw BerthError.invalidArgument("invalid format \(format.debugDescription): want lines or json")
        }
        let core = try global.core()
        let ns = global.ns
        let enc = JSONEncoder()
        enc.dateEncodingStrategy = .iso8601
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func emit(_ e: Event) {
            guard allNamespaces || e.namespace == ns else { return }
            var line: String
            if format == "json" {
                line = (try? enc.encode(e)).map { String(decoding: CLI.escapingTerminalControls(json: $0), as: UTF8.self) } ?? ""
            } else {
                line = TerminalLine("\(iso.string(from: e.timestamp)) \(e.namespace) \(e.topic)").text
                for (k, v) in e.attributes.sorted(by: { $0.key < $1.key }) { line += TerminalLine(" \(k)=\(v)").text }
            }
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        let stream = core.events.follow()
        if past { core.events.readAll().forEach(emit) }
        for await e in stream { emit(e) }
    }
}
