import BerthBase
import BerthMount
import Foundation
import BerthMetadata

/// Disk use of one snapshot's own directory (not its parents'), like containerd's Usage.
public struct SnapshotUsage: Codable, Sendable, Equatable {
    public var size: Int64
    public var inodes: Int64
    public init(size: Int64 = 0, inodes: Int64 = 0) { self.size = size; self.inodes = inodes }
    public static func + (a: SnapshotUsage, b: SnapshotUsage) -> SnapshotUsage {
        SnapshotUsage(size: a.size + b.size, inodes: a.inodes + b.inodes)
    }
}

/// A snapshotter as containerd defines one: layered file systems by key, per namespace.
/// Every call takes the namespace; records live in the root's metadata database.
public protocol Snapshotter: Sendable {
    var name: String { get }

    /// A new active (writable) snapshot on top of the committed `parent`; `alongside` runs in
    /// the same write transaction once the snapshot is recorded and its directories exist (a
    /// container's record, so that a container and its snapshot are made together or not at
    /// all, in one commit).
    func prepare(namespace: String, key: String, parent: String?, labels: Labels,
                 alongside: (MetadataTransaction) throws -> Void) throws(BerthError) -> [Mount]
    /// A new read-only view of the committed `parent`.
    func view(namespace: String, key: String, parent: String?, labels: Labels) throws(BerthError) -> [Mount]
    /// Turns the active snapshot `key` into the committed snapshot `name`.
    func commit(namespace: String, name: String, key: String, labels: Labels) throws(BerthError)
    /// Removes a snapshot; refused while another snapshot has it as parent.
    func remove(namespace: String, key: String) throws(BerthError)
    /// The mounts of an active snapshot or a view.
    func mounts(namespace: String, key: String) throws(BerthError) -> [Mount]
    func stat(namespace: String, key: String) throws(BerthError) -> SnapshotInfo
    /// Sets labels; an empty value removes that label.
    func update(namespace: String, key: String, labels: Labels) throws(BerthError) -> SnapshotInfo
    func usage(namespace: String, key: String) throws(BerthError) -> SnapshotUsage
    /// Every snapshot of the namespace, ordered by name.
    func walk(namespace: String) throws(BerthError) -> [SnapshotInfo]
}

extension Snapshotter {
    /// A new active (writable) snapshot on top of the committed `parent`.
    public func prepare(namespace: String, key: String, parent: String?, labels: Labels) throws(BerthError) -> [Mount] {
        try prepare(namespace: namespace, key: key, parent: parent, labels: labels, alongside: { _ in })
    }
}
