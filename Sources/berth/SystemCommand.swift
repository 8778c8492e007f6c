import ArgumentParser
import BerthCore
import Foundation

struct SystemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Look after the store as a whole.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that records, blobs, snapshot directories, mounts, cgroups and shims agree.",
            discussion: """
            Looks at every namespace and prints one line per inconsistency. With --repair, fixes what \
            can be fixed without losing data (orphan directories, stale mounts and cgroups, tasks whose \
            shim vanished) and says what it will not touch. Exits 0 when the store was whole, 1 when \
            anything was found (repaired or not).
            """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @Flag(help: "Fix what can be fixed without losing data.") var repair = false

        func run() throws {
            // Without the start-up recovery, which would repair part of what the check reports.
            let report = try global.values.core(deferringRecovery: true).checkStore(repair: repair)
            if output.format == .json {
                try CLI.printJSON(report)
            } else if report.whole {
                print("the store is whole")
            } else {
                // Names and paths come from containers and images: escaped for the terminal.
                for i in report.inconsistencies { print(TerminalText.escape(i.line)) }
                let repaired = report.inconsistencies.filter(\.repaired).count
                print("\(report.inconsistencies.count) inconsistencies" + (repair ? ", \(repaired) repaired" : ""))
            }
            if !report.whole { throw ExitCode(1) }
        }
    }
}
