import ArgumentParser
import BerthCore
import Foundation

/// Which snapshotter a snapshot command works on.
struct SnapshotterOption: ParsableArguments {
    @Option(help: "Snapshotter: overlayfs (default) or native.") var snapshotter: String?
}

struct SnapshotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshots", abstract: "Manage snapshots.",
        subcommands: [List.self, Tree.self, Info.self, Prepare.self, View.self, Commit.self, Remove.self,
                      Mounts.self, Usage.self, Label.self],
        aliases: ["snapshot", "s"])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List snapshots; unreferenced ones are marked.",
                                                        aliases: ["list"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @OptionGroup var output: FormatOption
        @Flag(name: .shortAndLong, help: "Print only keys.") var quiet = false

        func run() throws {
            let list = try global.core().listSnapshots(namespace: global.ns, snapshotter: which.snapshotter)
            if quiet { list.forEach { CLI.say("\($0.info.name)") }; return }
            if output.format == .json { return try CLI.printJSON(list) }
            CLI.printTable(["KEY", "PARENT", "KIND", "REFERENCED"], list.map {
                [$0.info.name, $0.info.parent ?? "", $0.info.kind.rawValue, $0.unreferenced ? "unreferenced" : "yes"]
            })
        }
    }

    struct Tree: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show snapshots as a tree of parents and children.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption

        func run() throws {
            let infos = try global.core().snapshotter(which.snapshotter).walk(namespace: global.ns)
            var children: [String: [String]] = [:]
            let keys = Set(infos.map(\.name))
            for i in infos { children[i.parent.flatMap { keys.contains($0) ? $0 : nil } ?? "", default: []].append(i.name) }
            var out = ""
            func show(_ key: String, _ indent: String) {
                for c in (children[key] ?? []).sorted() {
                    out += indent + TerminalText.escape(c) + "\n"
                    show(c, indent + "  ")
                }
            }
            show("", "")
            FileHandle.standardOutput.write(Data(out.utf8))
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one snapshot's record (JSON).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @Argument(help: "Snapshot key.") var key: String

        func run() throws {
            try CLI.printJSON(try global.core().snapshotter(which.snapshotter).stat(namespace: global.ns, key: key))
        }
    }

    /// What `prepare` and `view` take: a new key on a committed parent.
    struct NewSnapshotOptions: ParsableArguments {
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @Argument(help: "New snapshot key.") var key: String
        @Argument(help: "Committed parent.") var parent: String?
        @Option(name: .customLong("label"), help: "KEY=VALUE (repeatable).") var labels: [String] = []
        @Option(help: "Print the mount command for this target directory.") var target: String?

        /// Creates the snapshot with `make` and prints its mount commands when asked.
        func create(_ make: (any Snapshotter, String, String, String?, Labels) throws(BerthError) -> [Mount]) throws {
            let snapshotter = try global.core().snapshotter(which.snapshotter)
            let m = try make(snapshotter, global.ns, key, parent, try CLI.parseLabels(labels))
            if let target { SnapshotsCommand.printMountCommands(m, target) }
        }
    }

    struct Prepare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an active (writable) snapshot on a committed parent.")
        @OptionGroup var options: NewSnapshotOptions

        func run() throws {
            try options.create { (s, ns, key, parent, labels) throws(BerthError) in
                try s.prepare(namespace: ns, key: key, parent: parent, labels: labels)
            }
        }
    }

    struct View: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a read-only view of a committed snapshot.")
        @OptionGroup var options: NewSnapshotOptions

        func run() throws {
            try options.create { (s, ns, key, parent, labels) throws(BerthError) in
                try s.view(namespace: ns, key: key, parent: parent, labels: labels)
            }
        }
    }

    struct Commit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Commit an active snapshot under a new name.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @Argument(help: "Name of the committed snapshot.") var name: String
        @Argument(help: "Active snapshot key.") var key: String
        @Option(name: .customLong("label"), help: "KEY=VALUE (repeatable).") var labels: [String] = []

        func run() throws {
            try global.core().snapshotter(which.snapshotter)
                .commit(namespace: global.ns, name: name, key: key, labels: try CLI.parseLabels(labels))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove snapshots (not while they have children).",
                                                        aliases: ["remove", "delete"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @Argument(help: "Snapshot keys.") var keys: [String]

        func run() throws {
            let s = try global.core().snapshotter(which.snapshotter)
            for k in keys { try s.remove(namespace: global.ns, key: k) }
        }
    }

    struct Mounts: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the mounts of an active snapshot or view for a target.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @OptionGroup var output: FormatOption
        @Argument(help: "Target directory.") var target: String
        @Argument(help: "Snapshot key.") var key: String

        func run() throws {
            let m = try global.core().snapshotter(which.snapshotter).mounts(namespace: global.ns, key: key)
            if output.format == .json { return try CLI.printJSON(m) }
            SnapshotsCommand.printMountCommands(m, target)
        }
    }

    struct Usage: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disk use of snapshots (each snapshot's own layer).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @OptionGroup var output: FormatOption
        @Argument(help: "Snapshot keys (default: all).") var keys: [String] = []

        struct Row: Encodable { var key: String; var size: Int64; var inodes: Int64 }

        func run() throws {
            let s = try global.core().snapshotter(which.snapshotter)
            let keys = self.keys.isEmpty ? try s.walk(namespace: global.ns).map(\.name) : self.keys
            let rows = try keys.map { k in let u = try s.usage(namespace: global.ns, key: k); return Row(key: k, size: u.size, inodes: u.inodes) }
            if output.format == .json { return try CLI.printJSON(rows) }
            CLI.printTable(["KEY", "SIZE", "INODES"], rows.map { [$0.key, CLI.humanSize($0.size), String($0.inodes)] })
        }
    }

    struct Label: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set labels on a snapshot (KEY= removes one).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @Argument(help: "Snapshot key.") var key: String
        @Argument(help: "KEY=VALUE ...") var labels: [String]

        func run() throws {
            let info = try global.core().snapshotter(which.snapshotter)
                .update(namespace: global.ns, key: key, labels: try CLI.parseLabels(labels))
            CLI.say("\(CLI.formatLabels(info.labels))")
        }
    }

    /// One `mount` command per mount, as ctr prints them.
    static func printMountCommands(_ mounts: [Mount], _ target: String) {
        for m in mounts {
            CLI.say("mount -t \(m.type) \(m.source) \(target) -o \(m.options.joined(separator: ","))")
        }
    }
}
