import ArgumentParser
import BerthCore
import Foundation

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "Manage images.",
        subcommands: [List.self, Inspect.self, Import.self, Export.self, Tag.self, Remove.self, Unpack.self, MountImage.self, UnmountImage.self, Usage.self], aliases: ["image", "i"])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @Flag(name: .shortAndLong, help: "Print only names.") var quiet = false

        struct Row: Encodable {
            var name: String, mediaType: String, digest: Digest, size: Int64, platforms: [String], labels: Labels, createdAt: Date
        }

        func run() throws {
            let core = try global.core()
            let images = try core.listImages(namespace: global.ns)
            if quiet { images.forEach { CLI.say("\($0.name)") }; return }
            let rows = images.map { r in
                let d = try? core.inspectImage(namespace: global.ns, r.name)
                return Row(name: r.name, mediaType: r.mediaType, digest: r.digest, size: d?.size ?? 0,
                           platforms: d?.platforms ?? [], labels: r.labels, createdAt: r.createdAt)
            }
            if output.format == .json { return try CLI.printJSON(rows) }
            CLI.printTable(["REF", "TYPE", "DIGEST", "SIZE", "PLATFORMS", "LABELS"], rows.map {
                [$0.name, $0.mediaType, $0.digest.description, CLI.humanSize($0.size),
                 $0.platforms.isEmpty ? "-" : $0.platforms.joined(separator: ","), CLI.formatLabels($0.labels)]
            })
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an image: target, platforms, config, layers.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: FormatOption
        @Argument(help: "Image name.") var name: String

        func run() throws {
            let d = try global.core().inspectImage(namespace: global.ns, name)
            if output.format == .json { return try CLI.printJSON(d) }
            var out = ""
            func add(_ line: TerminalLine) { out += line.text }
            add("Name:       \(d.image.name)\nMedia type: \(d.image.mediaType)\nDigest:     \(d.image.digest)\n")
            add("Size:       \(CLI.humanSize(d.size))\nCreated:    \(d.image.createdAt)\nLabels:     \(CLI.formatLabels(d.image.labels))\n")
            for m in d.manifests {
                add("\nPlatform \(m.platform)  manifest \(m.digest)\n")
                add("  Config:     \(m.config.digest)\n")
                if let c = m.imageConfig.config {
                    if let e = c.Entrypoint { add("  Entrypoint: \(e)\n") }
                    if let cmd = c.Cmd { add("  Cmd:        \(cmd)\n") }
                    if let env = c.Env { add("  Env:        \(env.joined(separator: " "))\n") }
                    if let w = c.WorkingDir, !w.isEmpty { add("  WorkingDir: \(w)\n") }
                    if let u = c.User, !u.isEmpty { add("  User:       \(u)\n") }
                }
                for (i, l) in m.layers.enumerated() {
                    add("  Layer \(i):    \(l.digest)  \(CLI.humanSize(l.size))  \(l.mediaType)\n")
                }
            }
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import images from an OCI image-layout or docker-save archive (FILE or - for stdin), or make one from a root file system.",
            discussion: "With --rootfs DIR|TAR NAME, makes a single-layer image from a directory or a tar, like docker import.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Archive file or - (standard input); with --rootfs, the image name.") var source: String
        @Option(name: .customLong("platform"), help: "Import this platform, os/arch[/variant] (repeatable; default: the host's).")
        var platforms: [String] = []
        @Flag(help: "Import every platform.") var allPlatforms = false
        @Option(help: "Image name prefix: names must start with it; tag-only names get it prepended.") var baseName: String?
        @Flag(help: "Also name each image <base-name>@<digest>.") var digests = false
        @Flag(help: "Do not unpack the layers into a snapshotter.") var noUnpack = false
        @Option(help: "Snapshotter to unpack into.") var snapshotter: String?
        @Option(help: "Make a single-layer image from this directory or tar.") var rootfs: String?
        @OptionGroup var output: FormatOption

        func run() throws {
            let core = try global.core()
            var imported: [ImportedImage]
            if let rootfs {
                let p = try platforms.first.map { try Platform.parse($0) } ?? .host
                imported = [try core.importRootfs(namespace: global.ns, from: rootfs, name: source, platform: p,
                                                  unpack: !noUnpack, snapshotter: snapshotter)]
            } else {
                var opts = ImportOptions()
                opts.platforms = try platforms.map { try Platform.parse($0) }
                opts.allPlatforms = allPlatforms
                opts.baseName = baseName
                opts.digests = digests
                opts.unpack = !noUnpack
                opts.snapshotter = snapshotter
                let src: ImportSource = source == "-" ? .descriptor(0, name: "standard input") : .file(source)
                let progress = ProgressLine(verb: "importing")
                defer { progress.finish() }
                imported = try core.importImages(namespace: global.ns, from: src, options: opts, progress: progress.callback)
            }
            if output.format == .json { return try CLI.printJSON(imported) }
            for i in imported { CLI.say("\(i.updated ? "updated" : "created") \(i.name) \(i.target.digest)") }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export images as an OCI image-layout archive (FILE or - for stdout).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Output file or -.") var output: String
        @Argument(help: "Image names.") var names: [String]
        @Option(name: .customLong("platform"), help: "Export only this platform (repeatable; default: every platform present).")
        var platforms: [String] = []

        func run() throws {
            let core = try global.core()
            let ps = platforms.isEmpty ? nil : try platforms.map { try Platform.parse($0) }
            if output == "-" {
                return try core.exportImages(namespace: global.ns, names, to: 1, outName: "standard output", platforms: ps)
            }
            let tmp = output + ".tmp-\(getpid())"
            let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw BerthError.system("create", tmp) }
            let progress = ProgressLine(verb: "exporting")
            do {
                try core.exportImages(namespace: global.ns, names, to: fd, outName: output, platforms: ps, progress: progress.callback)
                guard fsync(fd) == 0 else { throw BerthError.system("fsync", output) }
                close(fd)
                guard rename(tmp, output) == 0 else { throw BerthError.system("rename", output) }
                progress.finish()
            } catch {
                close(fd)
                unlink(tmp)
                progress.finish()
                throw error
            }
        }
    }

    struct Tag: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give an image another name.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Existing image.") var source: String
        @Argument(help: "New names.") var targets: [String]

        func run() throws {
            let core = try global.core()
            for t in targets { CLI.say("\(try core.tagImage(namespace: global.ns, source, as: t).name)") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove images, then collect garbage.", aliases: ["remove", "delete"])
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Image names.") var names: [String]

        func run() throws {
            let (removed, _) = try global.core().removeImages(namespace: global.ns, names)
            removed.forEach { CLI.say("\($0)") }
        }
    }
}

/// One progress line on stderr (bytes, rate, ETA), only when stderr is a terminal.
final class ProgressLine: Sendable {
    private let verb: String
    private let start = Date()
    private let state = Locked((lastDraw: Date.distantPast, drawn: false))
    private let enabled = isatty(2) != 0

    init(verb: String) { self.verb = verb }

    var callback: (@Sendable (ImportProgress) -> Void)? {
        guard enabled else { return nil }
        return { [self] p in draw(p) }
    }

    private func draw(_ p: ImportProgress) {
        let now = Date()
        let go = state.withLock { s -> Bool in
            guard now.timeIntervalSince(s.lastDraw) >= 0.1 || p.bytes == p.total else { return false }
            s.lastDraw = now
            s.drawn = true
            return true
        }
        guard go else { return }
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(p.bytes) / elapsed
        var line = "\(verb) \(CLI.humanSize(p.bytes))"
        if let t = p.total, t > 0 {
            line += " of \(CLI.humanSize(t)) (\(Int(Double(p.bytes) * 100 / Double(t)))%)"
        }
        line += ", \(CLI.humanSize(Int64(rate)))/s"
        if let t = p.total, rate > 0, t > p.bytes { line += ", ETA \(Int(Double(t - p.bytes) / rate))s" }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    func finish() {
        if enabled, state.withLock({ $0.drawn }) { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
