/// Sparklines for the details pane: the last `width` values scaled to eight block heights.
public enum Sparkline {
    static let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    static let ascii: [Character] = ["_", ".", ":", "-", "=", "+", "*", "#"]

    public static func render(_ values: [Double], width: Int, max top: Double? = nil, unicode: Bool = true) -> String {
        guard width > 0 else { return "" }
        let vs = values.suffix(width)
        let hi = top ?? (vs.max() ?? 0)
        let set = unicode ? blocks : ascii
        return String(vs.map { v in
            guard hi > 0 else { return set[0] }
            let i = Int((min(max(v, 0), hi) / hi) * Double(set.count - 1) + 0.5)
            return set[min(set.count - 1, i)]
        })
    }

    /// CPU use in percent of one CPU between consecutive samples.
    public static func cpuPercent(_ samples: [MetricsSample]) -> [Double] {
        guard samples.count >= 2 else { return [] }
        return zip(samples, samples.dropFirst()).map { a, b in
            let dt = b.time - a.time
            guard dt > 0, b.cpuUsageNanos >= a.cpuUsageNanos else { return 0 }
            return Double(b.cpuUsageNanos - a.cpuUsageNanos) / (dt * 1e9) * 100
        }
    }
}
