import BerthBase
import BerthMount
import BerthMetadata
import Foundation
import CBerthSys
#if canImport(Glibc)
import Glibc
#endif

/// The two on-disk snapshotters. Both keep `<dir>/<N>/fs` per snapshot (N from
/// `snapshot_ids`, short so overlay options stay short); they differ in how a child sees
/// its parents: overlay stacks the parents' directories as lower layers, native copies
/// the parent's tree into the child.
final class LocalSnapshotter: Snapshotter {
    enum Layout: Sendable { case overlay, native }

    let name: String
    let layout: Layout
    let root: String
    let metadata: MetadataStore

    init(name: String, layout: Layout, directory: String, metadata: MetadataStore) {
        self.name = name
        self.layout = layout
        self.root = directory
        self.metadata = metadata
    }

    /// Directories of removed snapshots kept for new ones (overlay only: a native snapshot's
    /// directory starts as a copy of its parent's).
    var spares: SpareDirectories? { layout == .overlay ? SpareDirectories(pool: root + "/spare") : nil }

    func directory(for id: Int64) -> String { "\(root)/\(id)" }
    func fsDir(_ id: Int64) -> String { "\(root)/\(id)/fs" }
    func workDir(_ id: Int64) -> String { "\(root)/\(id)/work" }

    // MARK: - Snapshotter

    func prepare(namespace: String, key: String, parent: String?, labels: Labels,
                 alongside: (MetadataTransaction) throws -> Void) throws(BerthError) -> [Mount] {
        try create(.active, namespace: namespace, key: key, parent: parent, labels: labels, alongside: alongside)
    }

    func view(namespace: String, key: String, parent: String?, labels: Labels) throws(BerthError) -> [Mount] {
        try create(.view, namespace: namespace, key: key, parent: parent, labels: labels)
    }

    func commit(namespace: String, name newName: String, key: String, labels: Labels) throws(BerthError) {
        try validateKey(newName)
        for (k, v) in labels { try LabelRules.validate(k, v) }
        let info = try stat(namespace: namespace, key: key)
        guard info.kind == .active else {
            throw .failedPrecondition("snapshot \(key.debugDescription) is \(info.kind.rawValue), only an active snapshot can be committed")
        }
        // Make the tree durable before the record says it is immutable and complete.
        let fd = open(fsDir(info.backendID), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { berth_syncfs(fd); close(fd) }
        let snapshotter = name
        try metadata.write { tx in
            guard let current = try tx.snapshots.get(snapshotter: snapshotter, namespace: namespace, key: key), current.kind == .active,
                  current.backendID == info.backendID else {
                throw BerthError.notFound("active snapshot \(key.debugDescription) not found")
            }
            if try tx.snapshots.get(snapshotter: snapshotter, namespace: namespace, key: newName) != nil {
                throw BerthError.alreadyExists("snapshot \(newName.debugDescription) already exists")
            }
            try tx.snapshots.commit(snapshotter: snapshotter, namespace: namespace, key: key, as: newName, labels: labels)
        }
    }

    func remove(namespace: String, key: String) throws(BerthError) {
        let id: Int64 = try metadata.write { tx in
            guard let id = try self.removeRecord(tx, namespace: namespace, key: key) else {
                throw BerthError.notFound("snapshot \(key.debugDescription) not found")
            }
            return id
        }
        // The record is gone; a directory left by a crash here is an orphan that recover() removes.
        try FileSystem.removeTree(directory(for: id))
    }

    /// Removes the directory of a snapshot whose record is gone, or keeps it for the next new
    /// snapshot when the caller knows nothing can still use it (`unused`: no overlay of it is
    /// left anywhere) and it is as it was made (see SpareDirectories).
    func discardDirectory(_ id: Int64, unused: Bool) throws(BerthError) {
        let dir = directory(for: id)
        if unused, let spares, spares.keep(dir, name: String(id)) { return }
        try FileSystem.removeTree(dir)
    }

    /// Deletes the record of snapshot `key` in the write transaction `tx` (refused while
    /// another snapshot has it as parent); its backend id, or nil when there is no such
    /// snapshot. The caller removes `directory(for:)` once the transaction has committed.
    func removeRecord(_ tx: MetadataTransaction, namespace: String, key: String) throws -> Int64? {
        try tx.snapshots.delete(snapshotter: name, namespace: namespace, key: key)
    }

    func mounts(namespace: String, key: String) throws(BerthError) -> [Mount] {
        let snapshotter = name
        let (info, chain) = try metadata.read { tx in
            guard let info = try tx.snapshots.get(snapshotter: snapshotter, namespace: namespace, key: key) else {
                throw BerthError.notFound("snapshot \(key.debugDescription) not found")
            }
            return (info, try tx.snapshots.ancestors(of: info, namespace: namespace))
        }
        guard info.kind != .committed else {
            throw .failedPrecondition("snapshot \(key.debugDescription) is committed: only active snapshots and views have mounts")
        }
        return mounts(info, chain)
    }

    func stat(namespace: String, key: String) throws(BerthError) -> SnapshotInfo {
        let snapshotter = name
        let info = try metadata.read { tx in try tx.snapshots.get(snapshotter: snapshotter, namespace: namespace, key: key) }
        guard let info else { throw .notFound("snapshot \(key.debugDescription) not found") }
        return info
    }

    func update(namespace: String, key: String, labels changes: Labels) throws(BerthError) -> SnapshotInfo {
        for (k, v) in changes { try LabelRules.validate(k, v) }
        let snapshotter = name
        return try metadata.write { tx in
            guard var info = try tx.snapshots.get(snapshotter: snapshotter, namespace: namespace, key: key) else {
                throw BerthError.notFound("snapshot \(key.debugDescription) not found")
            }
            for (k, v) in changes { info.labels[k] = v.isEmpty ? nil : v }
            info.updatedAt = Date()
            try tx.snapshots.setLabels(snapshotter: snapshotter, namespace: namespace, key: key, info.labels, at: info.updatedAt)
            return info
        }
    }

    func usage(namespace: String, key: String) throws(BerthError) -> SnapshotUsage {
        let info = try stat(namespace: namespace, key: key)
        return DiskUsage.measure(fsDir(info.backendID))
    }

    func walk(namespace: String) throws(BerthError) -> [SnapshotInfo] {
        let snapshotter = name
        return try metadata.read { tx in try tx.snapshots.list(snapshotter: snapshotter, namespace: namespace) }
    }

    // MARK: - Creating

    private func create(_ kind: SnapshotKind, namespace: String, key: String, parent: String?, labels: Labels,
                        alongside: (MetadataTransaction) throws -> Void = { _ in }) throws(BerthError) -> [Mount] {
        try validateKey(key)
        for (k, v) in labels { try LabelRules.validate(k, v) }
        let snapshotter = name
        // The directory is made inside the write transaction: a crash before the commit
        // leaves a directory without a record (removed by recover()). It is not synced: a
        // new snapshot is an active or view one, whose directory a crash may lose with the
        // record kept (its mount then fails and removing it works); `commit` syncs the file
        // system before a snapshot is recorded as committed. The fsyncs would be paid by every
        // container start, held under the database's write lock (bench/HISTORY.md).
        return try metadata.write { tx in
            try tx.namespaces.ensure(namespace)
            var chain: [SnapshotInfo] = []
            if let parent {
                guard let p = try tx.snapshots.get(snapshotter: snapshotter, namespace: namespace, key: parent) else {
                    throw BerthError.notFound("parent snapshot \(parent.debugDescription) not found")
                }
                guard p.kind == .committed else {
                    throw BerthError.failedPrecondition("parent snapshot \(parent.debugDescription) is \(p.kind.rawValue), not committed")
                }
                chain = try [p] + tx.snapshots.ancestors(of: p, namespace: namespace)
            }
            let now = Date()
            let id = try tx.snapshots.create(kind, snapshotter: snapshotter, namespace: namespace, key: key, parent: parent,
                                             labels: labels, at: now)
            do {
                try self.makeDirectories(id, copying: layout == .native ? chain.first : nil)
                // The transaction rolls back if this fails: the directories go with it.
                try alongside(tx)
            } catch {
                try? FileSystem.removeTree(self.directory(for: id))
                throw error
            }
            let info = SnapshotInfo(snapshotter: snapshotter, name: key, parent: parent, kind: kind, labels: labels,
                                    createdAt: now, updatedAt: now, backendID: id)
            return self.mounts(info, chain)
        }
    }

    private func makeDirectories(_ id: Int64, copying parent: SnapshotInfo?) throws(BerthError) {
        try FileSystem.makeDirectories(root, mode: 0o700)
        let dir = directory(for: id)
        // An id handed out again after a rolled-back transaction may find that
        // transaction's directory: no record can own it, so it goes.
        try FileSystem.removeTree(dir)
        if parent == nil, let spares, spares.take(to: dir) { return }
        guard mkdir(dir, 0o700) == 0 else { throw .system("mkdir", dir) }
        if let parent {
            try NativeCopy.copyTree(from: fsDir(parent.backendID), to: fsDir(id))
        } else {
            guard mkdir(fsDir(id), 0o755) == 0 else { throw .system("mkdir", fsDir(id)) }
        }
        if layout == .overlay {
            guard mkdir(workDir(id), 0o711) == 0 else { throw .system("mkdir", workDir(id)) }
        }
    }

    // MARK: - Mounts

    /// containerd's rules: no parent -> bind of the own directory; a view of a single
    /// layer -> read-only bind of that layer; otherwise overlay, lowerdir topmost first.
    func mounts(_ info: SnapshotInfo, _ chain: [SnapshotInfo]) -> [Mount] {
        let ro = info.kind == .view
        if layout == .native || chain.isEmpty {
            return [Mount(type: "bind", source: fsDir(info.backendID), options: [ro ? "ro" : "rw", "rbind"])]
        }
        if ro && chain.count == 1 {
            return [Mount(type: "bind", source: fsDir(chain[0].backendID), options: ["ro", "rbind"])]
        }
        let lower = "lowerdir=" + chain.map { fsDir($0.backendID) }.joined(separator: ":")
        if ro {
            return [Mount(type: "overlay", source: "overlay", options: [lower])]
        }
        return [Mount(type: "overlay", source: "overlay",
                      options: ["workdir=\(workDir(info.backendID))", "upperdir=\(fsDir(info.backendID))", lower])]
    }

    // MARK: - Recovery

    /// `owned`: the directories the records held when the caller looked.
    func removeOrphanDirectories(owned: Set<Int64>) throws(BerthError) {
        guard let entries = FileSystem.directoryEntries(root) else { return }
        let leftovers = entries.filter { $0.hasPrefix("rm-") }
        let onDisk = Set(entries.compactMap { Int64($0) })
        let snapshotter = name
        var doomed = leftovers.map { root + "/" + $0 }
        if !onDisk.subtracting(owned).isEmpty {
            // Re-checked under the write lock: creators make directories only while holding
            // it, so a directory without a record now is truly orphaned.
            let renamed: [String] = try metadata.write { tx in
                var out: [String] = []
                for id in onDisk.subtracting(try tx.snapshots.backendIDs(snapshotter: snapshotter)) {
                    let to = "\(self.root)/rm-\(id)-\(UInt32.random(in: 0...UInt32.max))"
                    if rename(self.directory(for: id), to) == 0 { out.append(to) }
                }
                return out
            }
            doomed += renamed
        }
        for d in doomed { try? FileSystem.removeTree(d) }
    }

    /// `candidates`: this snapshotter's temporary extraction snapshots (namespace, key).
    func removeStaleExtractions(_ candidates: [(namespace: String, key: String)], locksDirectory: String) throws(BerthError) {
        for c in candidates {
            let path = ExtractionLock.path(in: locksDirectory, snapshotter: name, namespace: c.namespace, key: c.key)
            guard let lock = ExtractionLock.tryAcquire(path) else { continue }
            try? remove(namespace: c.namespace, key: c.key)
            lock.release()
        }
    }

    private func validateKey(_ key: String) throws(BerthError) {
        guard !key.isEmpty, key.utf8.count <= 4096, !key.utf8.contains(0) else {
            throw .invalidArgument("invalid snapshot key \(key.debugDescription)")
        }
    }
}
