import BerthBase
import BerthMetadata
import Foundation

/// The snapshotters of one root, by name: `overlayfs` (the default) and `native`.
public final class Snapshotters: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore
    public static let defaultName = "overlayfs"
    public static let names = ["overlayfs", "native"]

    private let all: [String: LocalSnapshotter]

    public init(paths: BerthPaths, metadata: MetadataStore) {
        self.paths = paths
        self.metadata = metadata
        var all: [String: LocalSnapshotter] = [:]
        for name in Self.names {
            all[name] = LocalSnapshotter(name: name, layout: name == "native" ? .native : .overlay,
                                         directory: paths.snapshotterDir(name), metadata: metadata)
        }
        self.all = all
    }

    /// The snapshotter called `name`, or a notFound error listing the known ones.
    public func snapshotter(named name: String) throws(BerthError) -> any Snapshotter {
        try local(name)
    }

    func local(_ name: String) throws(BerthError) -> LocalSnapshotter {
        guard let s = all[name] else {
            throw .notFound("snapshotter \(name.debugDescription) not found (have: \(Self.names.joined(separator: ", ")))")
        }
        return s
    }

    /// Deletes the directories of snapshot records that were just removed from the
    /// database (by GC), and any other directory no record claims.
    public func removeBackendDirectories(_ removed: [(snapshotter: String, backendID: Int64)]) {
        for r in removed {
            guard let s = all[r.snapshotter] else { continue }
            try? FileSystem.removeTree(s.directory(for: r.backendID))
        }
    }

    /// Repairs what an interrupted berth process left: snapshot directories without a
    /// record (a kill between mkdir and commit of the transaction, or after a removal's
    /// commit) and temporary extraction snapshots whose unpacking process is gone.
    /// Cheap when there is nothing to do; every front end runs it on start-up, and GC too.
    public func recover() throws(BerthError) {
        for s in all.values {
            try s.removeStaleExtractions(locksDirectory: extractLocksDirectory)
            try s.removeOrphanDirectories()
        }
    }

    /// Where unpacking processes hold an flock per temporary snapshot: a lock that can be
    /// taken means its holder died.
    public var extractLocksDirectory: String { paths.locksDir + "/extract" }
}
