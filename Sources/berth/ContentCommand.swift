import ArgumentParser
import BerthCore
import Foundation

struct ContentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "content", abstract: "Manage the content store.",
        subcommands: [List.self, Info.self, Get.self, Ingest.self, Remove.self, Label.self, Active.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the blobs the namespace sees.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @Flag(name: .shortAndLong, help: "Print only digests.") var quiet = false

        func run() throws {
            let all = try global.core().content.list(namespace: global.ns)
            if output.format == .json { return try CLI.printJSON(all) }
            if quiet { all.forEach { print($0.digest) }; return }
            CLI.printTable(["DIGEST", "SIZE", "AGE", "LABELS"], all.map {
                [$0.digest.description, CLI.humanSize($0.size), ContentCommand.age($0.createdAt), CLI.formatLabels($0.labels)]
            })
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one blob's record.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @Argument(help: "Digest.") var digest: String

        func run() throws {
            let r = try global.core().content.info(namespace: global.ns, Digest(digest))
            if output.format == .json { return try CLI.printJSON(r) }
            CLI.say("Digest:  \(r.digest)\nSize:    \(r.size)\nCreated: \(r.createdAt)\nUpdated: \(r.updatedAt)\nLabels:  \(CLI.formatLabels(r.labels))")
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a blob to standard output.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Digest.") var digest: String

        func run() throws {
            try global.core().content.copyBlob(namespace: global.ns, Digest(digest), to: 1, outName: "standard output")
        }
    }

    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write standard input into the store under REF, resuming an interrupted ingest of the same ref.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Ingest reference (any name unique to this upload).") var ref: String
        @Option(help: "Digest the content must have.") var expectedDigest: String?
        @Option(help: "Size the content must have.") var expectedSize: Int64?
        @Option(name: .customLong("label"), help: "Label for the blob, KEY=VALUE (repeatable).") var labels: [String] = []

        func run() throws {
            let core = try global.core()
            let expected = try expectedDigest.map { try Digest($0) }
            let labels = try CLI.parseLabels(labels)
            let w = try core.content.writer(namespace: global.ns, ref: ref, expectedSize: expectedSize)
            defer { w.close() }
            // A resumed ingest already holds the first `offset` bytes: skip them on stdin.
            var skip = w.offset
            let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: core.content.preferredWriteSize, alignment: 16)
            defer { buf.deallocate() }
            while true {
                let n = read(0, buf.baseAddress, buf.count)
                if n < 0 { if errno == EINTR { continue }; throw BerthError.system("read", "standard input") }
                if n == 0 { break }
                var chunk = UnsafeRawBufferPointer(rebasing: buf[0..<n])
                if skip > 0 {
                    let k = Int(min(skip, Int64(n)))
                    skip -= Int64(k)
                    chunk = UnsafeRawBufferPointer(rebasing: chunk[k...])
                }
                try w.write(chunk)
            }
            let (digest, _) = try w.commit(size: expectedSize, digest: expected, labels: labels)
            print(digest)
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove blobs from the namespace, then collect garbage.", aliases: ["remove", "delete"])
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Digests.") var digests: [String]

        func run() throws {
            let ds = try digests.map { try Digest($0) }
            _ = try global.core().removeContent(namespace: global.ns, ds)
            ds.forEach { print($0) }
        }
    }

    struct Label: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set or clear (KEY=) labels on a blob.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Digest.") var digest: String
        @Argument(help: "Labels, KEY=VALUE; KEY= removes.") var labels: [String] = []

        func run() throws {
            var changes: Labels = [:]
            for a in labels { let (k, v) = try LabelRules.parse(a); changes[k] = v }
            try global.core().content.setLabels(namespace: global.ns, Digest(digest), changes)
        }
    }

    struct Active: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List ingests in progress or interrupted.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption

        func run() throws {
            let all = try global.core().content.activeIngests(namespace: global.ns)
            if output.format == .json { return try CLI.printJSON(all) }
            CLI.printTable(["REF", "SIZE", "TOTAL", "UPDATED", "LOCKED"], all.map {
                [$0.ref, String($0.offset), $0.total.map(String.init) ?? "-", ContentCommand.age($0.updatedAt), $0.locked ? "yes" : "no"]
            })
        }
    }

    static func age(_ d: Date) -> String {
        let s = Int(Date().timeIntervalSince(d))
        if s < 60 { return "\(max(s, 0)) seconds" }
        if s < 3600 { return "\(s / 60) minutes" }
        if s < 86400 { return "\(s / 3600) hours" }
        return "\(s / 86400) days"
    }
}
