import BerthBase
import BerthMount
import BerthMetadata
import Foundation

extension Snapshotters {
    /// The entries of every snapshotter's directory, by snapshotter name: read while the
    /// records are (see `MetadataStore.inventory`), so that a directory made by a creator that
    /// has not committed yet is not taken for an orphan.
    public func directoryListing() -> [String: [String]] {
        var out: [String: [String]] = [:]
        for s in all { out[s.name] = FileSystem.directoryEntries(s.root) }
        return out
    }

    /// The snapshots' side of `berth system check`: every record has its directory (and its
    /// parent record), every numbered directory a record, no temporary extraction snapshot
    /// outlived its unpacking process. `repair` removes orphan directories and stale
    /// extractions (what `recover` does at every start), never a directory something is
    /// mounted in; a record whose directory is gone is reported, not touched.
    public func check(_ records: [MetadataInventory.Snapshot], listing: [String: [String]], repair: Bool) -> [Inconsistency] {
        var found: [Inconsistency] = []
        let mounts = Mount.mountPoints()
        for s in all {
            let mine = records.filter { $0.snapshotter == s.name }
            let keys = Set(mine.map { $0.namespace + "\u{0}" + $0.key })
            for r in mine {
                let subject = s.name + "/" + r.key
                if !FileSystem.isDirectory(s.fsDir(r.backendID)) {
                    found.append(Inconsistency(.snapshot, namespace: r.namespace, subject,
                                               "directory \(s.fsDir(r.backendID)) is missing; remove the snapshot (and what uses it) and unpack again"))
                }
                if let p = r.parent, !keys.contains(r.namespace + "\u{0}" + p) {
                    found.append(Inconsistency(.snapshot, namespace: r.namespace, subject, "parent \(p.debugDescription) has no record"))
                }
                if r.kind == "active", r.key.hasPrefix("extract-"),
                   let lock = ExtractionLock.tryAcquire(ExtractionLock.path(in: extractLocksDirectory, snapshotter: s.name, namespace: r.namespace, key: r.key)) {
                    lock.release()
                    var issue = Inconsistency(.snapshot, namespace: r.namespace, subject,
                                              "temporary extraction snapshot whose unpacking process is gone", repair: "remove it")
                    if repair { issue.repaired = (try? s.remove(namespace: r.namespace, key: r.key)) != nil }
                    found.append(issue)
                }
            }
            let owned = Set(mine.map(\.backendID))
            var orphans: [(dir: String, issue: Inconsistency)] = []
            for entry in (listing[s.name] ?? []).sorted() {
                let dir = s.root + "/" + entry
                let orphan = entry.hasPrefix("rm-") || Int64(entry).map { !owned.contains($0) } ?? false
                guard orphan else { continue }
                let mounted = mounts.contains { $0 == dir || $0.hasPrefix(dir + "/") }
                orphans.append((dir, Inconsistency(.snapshot, dir, "snapshot directory without a record" + (mounted ? ", still mounted" : ""),
                                                   repair: mounted ? nil : "remove it")))
            }
            // One removal pass takes every orphan (re-checked under the write lock); a mounted one
            // is reported and left.
            if repair && orphans.contains(where: { $0.issue.repair != nil }) { try? s.removeOrphanDirectories(owned: owned) }
            for var o in orphans {
                if repair && o.issue.repair != nil { o.issue.repaired = !FileSystem.exists(o.dir) }
                found.append(o.issue)
            }
        }
        return found
    }
}
