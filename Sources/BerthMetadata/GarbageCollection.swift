import BerthBase
import Foundation
import GRDB

/// A snapshot row removed by garbage collection; its directory is removed afterwards.
public struct RemovedSnapshot: Codable, Sendable, Hashable {
    public var namespace: String
    public var snapshotter: String
    public var key: String
    public var backendID: Int64
}

/// What one mark-and-sweep removed from the metadata.
public struct MetadataSweep: Sendable {
    public var content: [(namespace: String, digest: Digest)] = []
    public var snapshots: [RemovedSnapshot] = []
    public var leases: [(namespace: String, id: String)] = []
    /// Ingest keys (`namespace/ref`) that unexpired leases still hold.
    public var leasedIngests: Set<String> = []
}

/// containerd's metadata garbage collector: mark from the roots (images, containers,
/// unexpired leases and their resources, gc.root labels) along the references (gc.ref
/// labels, snapshot parents, container snapshots and images), then sweep every content and
/// snapshot row left unmarked. Runs inside one write transaction, so it sees and removes a
/// consistent state and no writer can add a reference half-way.
public enum MetadataGC {
    private enum Node: Hashable {
        case content(ns: String, digest: String)
        case snapshot(ns: String, snapshotter: String, key: String)
    }

    /// The reference graph as the records describe it at `now`: the roots, and every content
    /// and snapshot row with what it points at. Expired leases are no roots; nothing is changed.
    private struct Graph {
        var roots: [Node] = []
        var expiredLeases: [(namespace: String, id: String)] = []
        var leasedIngests: Set<String> = []
        var contentRows: [Node: Labels] = [:]
        var snapshotRows: [Node: (labels: Labels, parent: String?, backendID: Int64)] = [:]
    }

    private static func graph(_ db: Database, now: Date) throws -> Graph {
        var g = Graph()
        var expired = Set<String>()
        for row in try Row.fetchAll(db, sql: "SELECT namespace, id, labels FROM leases") {
            let ns: String = row["namespace"], id: String = row["id"]
            let labels = LabelsColumn.decode(row["labels"])
            if let exp = labels[GCLabel.expire].flatMap(LeaseStore.parseTime), exp <= now {
                g.expiredLeases.append((ns, id))
                expired.insert(ns + "\u{0}" + id)
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT namespace, lease, kind, resource FROM lease_resources") {
            let ns: String = row["namespace"], kind: String = row["kind"], r: String = row["resource"]
            guard !expired.contains(ns + "\u{0}" + (row["lease"] as String)) else { continue }
            if kind == LeaseStore.contentKind {
                g.roots.append(.content(ns: ns, digest: r))
            } else if kind == LeaseStore.ingestKind {
                g.leasedIngests.insert(ns + "/" + r)
            } else if kind.hasPrefix("snapshots/") {
                g.roots.append(.snapshot(ns: ns, snapshotter: String(kind.dropFirst(10)), key: r))
            }
        }

        var imageTargets: [String: String] = [:] // "ns\0name" -> digest
        for row in try Row.fetchAll(db, sql: "SELECT namespace, name, digest, labels FROM images") {
            let ns: String = row["namespace"]
            g.roots.append(.content(ns: ns, digest: row["digest"]))
            g.roots += refs(ns, LabelsColumn.decode(row["labels"]))
            imageTargets[ns + "\u{0}" + (row["name"] as String)] = row["digest"]
        }
        for row in try Row.fetchAll(db, sql: "SELECT namespace, image, snapshotter, snapshot_key, labels FROM containers") {
            let ns: String = row["namespace"]
            let snapshotter: String = row["snapshotter"], key: String = row["snapshot_key"], image: String = row["image"]
            if !snapshotter.isEmpty && !key.isEmpty { g.roots.append(.snapshot(ns: ns, snapshotter: snapshotter, key: key)) }
            if let target = imageTargets[ns + "\u{0}" + image] { g.roots.append(.content(ns: ns, digest: target)) }
            g.roots += refs(ns, LabelsColumn.decode(row["labels"]))
        }

        // The graph's edges come from content and snapshot rows.
        for row in try Row.fetchAll(db, sql: "SELECT namespace, digest, labels FROM content") {
            let node = Node.content(ns: row["namespace"], digest: row["digest"])
            let labels = LabelsColumn.decode(row["labels"])
            g.contentRows[node] = labels
            if labels[GCLabel.gcRoot] != nil { g.roots.append(node) }
        }
        for row in try Row.fetchAll(db, sql: "SELECT namespace, snapshotter, key, parent, backend_id, labels FROM snapshots") {
            let node = Node.snapshot(ns: row["namespace"], snapshotter: row["snapshotter"], key: row["key"])
            let labels = LabelsColumn.decode(row["labels"])
            g.snapshotRows[node] = (labels, row["parent"], row["backend_id"])
            if labels[GCLabel.gcRoot] != nil { g.roots.append(node) }
        }
        return g
    }

    /// Everything reachable from the roots.
    private static func mark(_ g: Graph) -> Set<Node> {
        var marked = Set<Node>()
        var stack = g.roots
        while let node = stack.popLast() {
            guard marked.insert(node).inserted else { continue }
            switch node {
            case let .content(ns, _):
                if let labels = g.contentRows[node] { stack += refs(ns, labels) }
            case let .snapshot(ns, snapshotter, _):
                if let s = g.snapshotRows[node] {
                    stack += refs(ns, s.labels)
                    if let p = s.parent, !p.isEmpty { stack.append(.snapshot(ns: ns, snapshotter: snapshotter, key: p)) }
                }
            }
        }
        return marked
    }

    /// The keys of `snapshotter`'s snapshots in `namespace` that a collection now would
    /// remove: the one rule behind every listing's "unreferenced" and `berth gc`.
    static func unreferencedSnapshotKeys(_ db: Database, namespace: String, snapshotter: String,
                                                now: Date = Date()) throws -> Set<String> {
        let g = try graph(db, now: now)
        let marked = mark(g)
        var keys = Set<String>()
        for node in g.snapshotRows.keys where !marked.contains(node) {
            if case let .snapshot(ns, s, key) = node, ns == namespace, s == snapshotter { keys.insert(key) }
        }
        return keys
    }

    static func markAndSweep(_ db: Database, now: Date = Date()) throws -> MetadataSweep {
        let g = try graph(db, now: now)
        var sweep = MetadataSweep()
        sweep.leasedIngests = g.leasedIngests
        // Expired leases go; what only they held is swept below.
        for (ns, id) in g.expiredLeases {
            try db.execute(sql: "DELETE FROM lease_resources WHERE namespace = ? AND lease = ?", arguments: [ns, id])
            try db.execute(sql: "DELETE FROM leases WHERE namespace = ? AND id = ?", arguments: [ns, id])
            sweep.leases.append((ns, id))
        }
        let marked = mark(g)
        for node in g.contentRows.keys where !marked.contains(node) {
            guard case let .content(ns, digest) = node else { continue }
            try db.execute(sql: "DELETE FROM content WHERE namespace = ? AND digest = ?", arguments: [ns, digest])
            if let d = try? Digest(digest) { sweep.content.append((ns, d)) }
        }
        for (node, s) in g.snapshotRows where !marked.contains(node) {
            guard case let .snapshot(ns, snapshotter, key) = node else { continue }
            try db.execute(sql: "DELETE FROM snapshots WHERE namespace = ? AND snapshotter = ? AND key = ?",
                           arguments: [ns, snapshotter, key])
            sweep.snapshots.append(RemovedSnapshot(namespace: ns, snapshotter: snapshotter, key: key, backendID: s.backendID))
        }
        sweep.content.sort { ($0.namespace, $0.digest.description) < ($1.namespace, $1.digest.description) }
        sweep.snapshots.sort { ($0.namespace, $0.snapshotter, $0.key) < ($1.namespace, $1.snapshotter, $1.key) }
        return sweep
    }

    /// The references a set of labels carries: `containerd.io/gc.ref.content[.*]` to a blob,
    /// `containerd.io/gc.ref.snapshot.<snapshotter>[/*]` to a snapshot key.
    private static func refs(_ ns: String, _ labels: Labels) -> [Node] {
        var out: [Node] = []
        for (k, v) in labels {
            if k.hasPrefix("containerd.io/gc.ref.content") {
                out.append(.content(ns: ns, digest: v))
            } else if k.hasPrefix(GCLabel.snapshotPrefix) {
                let rest = k.dropFirst(GCLabel.snapshotPrefix.count)
                let snapshotter = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
                if !snapshotter.isEmpty { out.append(.snapshot(ns: ns, snapshotter: snapshotter, key: v)) }
            }
        }
        return out
    }
}
