/// Snapshots drawn as a tree of chains: each root (a snapshot without a parent here) with its
/// descendants indented below it.
public struct TreeRow: Equatable, Sendable {
    public var key: String
    public var depth: Int
    public var text: String
}

public enum SnapshotTree {
    public static func rows(_ snaps: [SnapshotRow]) -> [TreeRow] {
        let keys = Set(snaps.map(\.key))
        var children: [String: [SnapshotRow]] = [:]
        var roots: [SnapshotRow] = []
        for s in snaps {
            if let p = s.parent, keys.contains(p) { children[p, default: []].append(s) } else { roots.append(s) }
        }
        var out: [TreeRow] = []
        var visited = Set<String>()
        func walk(_ s: SnapshotRow, _ depth: Int) {
            guard visited.insert(s.key).inserted else { return }
            let lead = depth == 0 ? "" : String(repeating: "  ", count: depth - 1) + "└ "
            let kind = s.kind.first.map { String($0).uppercased() } ?? "?"
            out.append(TreeRow(key: s.key, depth: depth, text: "\(lead)\(kind) \(shortKey(s.key))"))
            for c in (children[s.key] ?? []).sorted(by: { $0.key < $1.key }) { walk(c, depth + 1) }
        }
        for r in roots.sorted(by: { $0.key < $1.key }) { walk(r, 0) }
        return out
    }

    /// `sha256:0123456789abcdef…` keys shortened to 12 hex digits; other keys as they are.
    public static func shortKey(_ k: String) -> String {
        if k.hasPrefix("sha256:"), k.count > 19 { return String(k.prefix(19)) }
        return k
    }
}
