import BerthBase
import BerthMetadata
import Foundation

/// The snapshotters of one root, by name: `overlayfs` (the default) and `native`.
public final class Snapshotters: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore
    public static let defaultName = "overlayfs"
    public static let names = ["overlayfs", "native"]

    /// In `names` order; an array, not a dictionary keyed by name: two entries, and a
    /// dictionary's first use costs a fresh process more than the lookups ever do.
    let all: [LocalSnapshotter]

    public init(paths: BerthPaths, metadata: MetadataStore) {
        self.paths = paths
        self.metadata = metadata
        all = Self.names.map { name in
            LocalSnapshotter(name: name, layout: name == "native" ? .native : .overlay,
                             directory: paths.snapshotterDir(name), metadata: metadata)
        }
    }

    /// Removes snapshot `key` of `snapshotter` as part of the caller's write transaction `tx`
    /// (which may delete other records with it, as a container's removal does): the record
    /// goes now, and the returned function removes its directory once `tx` has committed (or,
    /// told that nothing can still use it, keeps it as a spare: see `SpareDirectories`). Nil
    /// when there is no such snapshot (or snapshotter).
    public func removeRecord(_ tx: MetadataTransaction, namespace: String, snapshotter: String,
                             key: String) throws -> (@Sendable (_ unused: Bool) throws(BerthError) -> Void)? {
        guard let s = all.first(where: { $0.name == snapshotter }), let id = try s.removeRecord(tx, namespace: namespace, key: key) else { return nil }
        // A directory left by a crash before this runs is an orphan that recover() removes.
        // A directory the caller knows nothing uses any more may become a spare.
        return { (unused: Bool) throws(BerthError) in try s.discardDirectory(id, unused: unused) }
    }

    /// The snapshotter called `name`, or a notFound error listing the known ones.
    public func snapshotter(named name: String) throws(BerthError) -> any Snapshotter {
        try local(name)
    }

    func local(_ name: String) throws(BerthError) -> LocalSnapshotter {
        guard let s = all.first(where: { $0.name == name }) else {
            throw .notFound("snapshotter \(name.debugDescription) not found (have: \(Self.names.joined(separator: ", ")))")
        }
        return s
    }

    /// Repairs what an interrupted berth process left: snapshot directories without a
    /// record (a kill between mkdir and commit of the transaction, or after a removal's
    /// commit) and temporary extraction snapshots whose unpacking process is gone.
    /// Cheap when there is nothing to do; every front end runs it on start-up, and GC too.
    public func recover() throws(BerthError) {
        // A snapshotter without its directory has no snapshots. For the others one read finds
        // the temporary extraction snapshots and the directories every record owns.
        let present = all.filter { FileSystem.isDirectory($0.root) }
        guard !present.isEmpty else { return }
        let (extractions, owned) = try metadata.read { tx in
            (try tx.snapshots.active(keyPrefix: "extract-"), try tx.snapshots.allBackendIDs())
        }
        for s in present {
            try s.removeStaleExtractions(extractions.filter { $0.snapshotter == s.name }.map { ($0.namespace, $0.key) },
                                         locksDirectory: extractLocksDirectory)
            try s.removeOrphanDirectories(owned: owned[s.name] ?? [])
        }
    }

    /// Where unpacking processes hold an flock per temporary snapshot: a lock that can be
    /// taken means its holder died. Beside the snapshots rather than under the state
    /// directory, so processes started with different `--state` still see each other.
    public var extractLocksDirectory: String { paths.root + "/snapshots/extract-locks" }
}
