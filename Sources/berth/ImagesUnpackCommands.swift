import ArgumentParser
import BerthCore
import Foundation

/// `berth images unpack|mount|unmount|usage`: an image's layers as snapshots.
extension ImagesCommand {
    struct Unpack: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unpack an image's layers into snapshots named by chain ID.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @OptionGroup var output: FormatOption
        @Argument(help: "Image name.") var name: String
        @Option(help: "Platform os/arch[/variant] (default: the host's).") var platform: String?

        func run() throws {
            let p = try platform.map { try Platform.parse($0) } ?? .host
            let r = try global.core().unpackImage(namespace: global.ns, name, platform: p, snapshotter: which.snapshotter)
            if output.format == .json { return try CLI.printJSON(r) }
            for l in r.layers {
                print("\(l.applied ? "unpacked" : "present ") \(l.digest)  chain \(l.chainID)")
            }
        }
    }

    struct MountImage: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "mount",
                                                        abstract: "Mount an image's file system at a directory (read-only unless --rw).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @Argument(help: "Image name.") var name: String
        @Argument(help: "Target directory.") var target: String
        @Flag(help: "Mount a writable snapshot instead of a read-only view.") var rw = false
        @Option(help: "Platform os/arch[/variant] (default: the host's).") var platform: String?

        func run() throws {
            let p = try platform.map { try Platform.parse($0) } ?? .host
            try global.core().mountImage(namespace: global.ns, image: name, at: target, writable: rw,
                                         snapshotter: which.snapshotter, platform: p)
            CLI.say("\(target)")
        }
    }

    struct UnmountImage: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unmount",
                                                        abstract: "Unmount a directory mounted by `images mount` and remove its snapshot.",
                                                        aliases: ["umount"])
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @Argument(help: "Target directory.") var target: String

        func run() throws {
            try global.core().unmountImage(namespace: global.ns, at: target, snapshotter: which.snapshotter)
        }
    }

    struct Usage: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disk use of an image's unpacked layers.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var which: SnapshotterOption
        @OptionGroup var output: FormatOption
        @Argument(help: "Image name.") var name: String
        @Option(help: "Platform os/arch[/variant] (default: the host's).") var platform: String?

        struct Row: Encodable { var chainID: Digest; var unpacked: Bool; var size: Int64; var inodes: Int64 }

        func run() throws {
            let p = try platform.map { try Platform.parse($0) } ?? .host
            let u = try global.core().imageUsage(namespace: global.ns, image: name, snapshotter: which.snapshotter, platform: p)
            let rows = u.layers.map { Row(chainID: $0.chainID, unpacked: $0.usage != nil, size: $0.usage?.size ?? 0, inodes: $0.usage?.inodes ?? 0) }
            if output.format == .json { return try CLI.printJSON(rows) }
            CLI.printTable(["CHAIN ID", "SIZE", "INODES"], rows.map {
                [$0.chainID.description, $0.unpacked ? CLI.humanSize($0.size) : "not unpacked", String($0.inodes)]
            })
            print("total: \(CLI.humanSize(u.total.size)), \(u.total.inodes) inodes")
        }
    }
}
