/// Labels as containerd has them: string keys and values attached to namespaces, images,
/// content, snapshots, containers and leases. Keys and values are bounded so records stay small.
public typealias Labels = [String: String]

public enum LabelRules {
    public static let maxKeyAndValue = 4096

    /// Validates one label, naming it in the error.
    public static func validate(_ key: String, _ value: String) throws(BerthError) {
        guard !key.isEmpty else { throw .invalidArgument("invalid label: empty key") }
        guard key.utf8.count + value.utf8.count <= maxKeyAndValue else {
            throw .invalidArgument("invalid label \(key.debugDescription): key and value exceed \(maxKeyAndValue) bytes")
        }
    }

    /// Parses `key=value` (or `key=` to clear) as typed on the command line.
    public static func parse(_ arg: String) throws(BerthError) -> (key: String, value: String) {
        guard let eq = arg.firstIndex(of: "=") else {
            throw .invalidArgument("invalid label \(arg.debugDescription): want KEY=VALUE")
        }
        let key = String(arg[..<eq]), value = String(arg[arg.index(after: eq)...])
        try validate(key, value)
        return (key, value)
    }
}

/// The GC labels containerd uses to carry references from parents to children.
public enum GCLabel {
    public static let root = "containerd.io/gc.ref.root"
    public static let gcRoot = "containerd.io/gc.root"
    public static let contentPrefix = "containerd.io/gc.ref.content."
    public static let snapshotPrefix = "containerd.io/gc.ref.snapshot."
    public static let expire = "containerd.io/gc.expire"
    /// The chain ID / uncompressed digest recorded on a layer blob after unpack.
    public static let uncompressed = "containerd.io/uncompressed"
}
