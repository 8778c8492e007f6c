import ArgumentParser
import BerthCore

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove unreferenced content and snapshots.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var output: FormatOption

    func run() throws {
        let r = try global.core().garbageCollect()
        if output.format == .json { return try CLI.printJSON(r) }
        for l in r.leases { CLI.say("lease \(l) (expired)") }
        for c in r.content { CLI.say("content \(c)") }
        for b in r.blobs { CLI.say("blob \(b)") }
        for s in r.snapshots { CLI.say("snapshot \(s.namespace) \(s.snapshotter) \(s.key)") }
        for i in r.ingests { CLI.say("ingest \(i)") }
        if r.isEmpty { CLI.say("nothing to remove") }
    }
}
