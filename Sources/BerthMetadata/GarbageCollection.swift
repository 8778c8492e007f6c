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

    public static func markAndSweep(_ db: Database, now: Date = Date()) throws -> MetadataSweep {
        var sweep = MetadataSweep()
        var roots: [Node] = []

        // Leases: expired ones go; live ones are roots for what they hold.
        for row in try Row.fetchAll(db, sql: "SELECT namespace, id, labels FROM leases") {
            let ns: String = row["namespace"], id: String = row["id"]
            let labels = LabelsColumn.decode(row["labels"])
            if let exp = labels[GCLabel.expire].flatMap(LeaseStore.parseTime), exp <= now {
                try db.execute(sql: "DELETE FROM lease_resources WHERE namespace = ? AND lease = ?", arguments: [ns, id])
                try db.execute(sql: "DELETE FROM leases WHERE namespace = ? AND id = ?", arguments: [ns, id])
                sweep.leases.append((ns, id))
            }
        }
        for row in try Row.fetchAll(db, sql: "SELECT namespace, kind, resource FROM lease_resources") {
            let ns: String = row["namespace"], kind: String = row["kind"], r: String = row["resource"]
            if kind == LeaseStore.contentKind {
                roots.append(.content(ns: ns, digest: r))
            } else if kind == LeaseStore.ingestKind {
                sweep.leasedIngests.insert(ns + "/" + r)
            } else if kind.hasPrefix("snapshots/") {
                roots.append(.snapshot(ns: ns, snapshotter: String(kind.dropFirst(10)), key: r))
            }
        }

        var imageTargets: [String: String] = [:] // "ns\0name" -> digest
        for row in try Row.fetchAll(db, sql: "SELECT namespace, name, digest, labels FROM images") {
            let ns: String = row["namespace"]
            roots.append(.content(ns: ns, digest: row["digest"]))
            roots += refs(ns, LabelsColumn.decode(row["labels"]))
            imageTargets[ns + "\u{0}" + (row["name"] as String)] = row["digest"]
        }
        for row in try Row.fetchAll(db, sql: "SELECT namespace, image, snapshotter, snapshot_key, labels FROM containers") {
            let ns: String = row["namespace"]
            let snapshotter: String = row["snapshotter"], key: String = row["snapshot_key"], image: String = row["image"]
            if !snapshotter.isEmpty && !key.isEmpty { roots.append(.snapshot(ns: ns, snapshotter: snapshotter, key: key)) }
            if let target = imageTargets[ns + "\u{0}" + image] { roots.append(.content(ns: ns, digest: target)) }
            roots += refs(ns, LabelsColumn.decode(row["labels"]))
        }

        // The graph's edges come from content and snapshot rows.
        var contentRows: [Node: Labels] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT namespace, digest, labels FROM content") {
            let node = Node.content(ns: row["namespace"], digest: row["digest"])
            let labels = LabelsColumn.decode(row["labels"])
            contentRows[node] = labels
            if labels[GCLabel.gcRoot] != nil { roots.append(node) }
        }
        var snapshotRows: [Node: (labels: Labels, parent: String?, backendID: Int64)] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT namespace, snapshotter, key, parent, backend_id, labels FROM snapshots") {
            let node = Node.snapshot(ns: row["namespace"], snapshotter: row["snapshotter"], key: row["key"])
            let labels = LabelsColumn.decode(row["labels"])
            snapshotRows[node] = (labels, row["parent"], row["backend_id"])
            if labels[GCLabel.gcRoot] != nil { roots.append(node) }
        }

        var marked = Set<Node>()
        var stack = roots
        while let node = stack.popLast() {
            guard marked.insert(node).inserted else { continue }
            switch node {
            case let .content(ns, _):
                if let labels = contentRows[node] { stack += refs(ns, labels) }
            case let .snapshot(ns, snapshotter, _):
                if let s = snapshotRows[node] {
                    stack += refs(ns, s.labels)
                    if let p = s.parent, !p.isEmpty { stack.append(.snapshot(ns: ns, snapshotter: snapshotter, key: p)) }
                }
            }
        }

        for node in contentRows.keys where !marked.contains(node) {
            guard case let .content(ns, digest) = node else { continue }
            try db.execute(sql: "DELETE FROM content WHERE namespace = ? AND digest = ?", arguments: [ns, digest])
            if let d = try? Digest(digest) { sweep.content.append((ns, d)) }
        }
        for (node, s) in snapshotRows where !marked.contains(node) {
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
