import Foundation

/// Where berth keeps its data: `root` for persistent state (metadata.db, content, snapshots),
/// `state` for what dies with a reboot (task bundles, shim sockets, the event journal).
public struct BerthPaths: Sendable, Equatable {
    public var root: String
    public var state: String

    public static let defaultRoot = "/var/lib/berth"
    public static let defaultState = "/run/berth"

    public init(root: String, state: String) {
        self.root = Self.absolute(root)
        self.state = Self.absolute(state)
    }

    /// Defaults overridden by BERTH_ROOT and BERTH_STATE.
    public static func fromEnvironment(root: String? = nil, state: String? = nil) -> BerthPaths {
        BerthPaths(root: root ?? Environment.value("BERTH_ROOT") ?? defaultRoot,
                   state: state ?? Environment.value("BERTH_STATE") ?? defaultState)
    }

    public var metadataDB: String { root + "/metadata.db" }
    public var contentDir: String { root + "/content" }
    public var blobsDir: String { root + "/content/blobs/sha256" }
    public var ingestDir: String { root + "/content/ingest" }
    public func snapshotterDir(_ name: String) -> String { root + "/snapshots/" + name }
    public var tasksDir: String { state + "/tasks" }
    /// Seccomp filters compiled by berth-shim, kept for the next task with the same profile.
    public var seccompCacheDir: String { state + "/seccomp" }
    public var eventsDir: String { state + "/events" }
    public var locksDir: String { state + "/locks" }

    /// The absolute path with `.` and `..` applied and symlinks in its existing part resolved
    /// (what Foundation's `standardizingPath` gives, without its cost at every start).
    static func absolute(_ p: String) -> String {
        var path = p
        if !path.hasPrefix("/"), let cwd = getcwd(nil, 0) {
            path = String(cString: cwd) + "/" + path
            free(cwd)
        }
        var parts: [String] = []
        for c in path.split(separator: "/") where c != "." {
            if c == ".." { _ = parts.popLast() } else { parts.append(String(c)) }
        }
        var existing = parts.count
        while existing > 0 {
            if let resolved = realpath(slashed(parts[..<existing]), nil) {
                let head = String(cString: resolved)
                free(resolved)
                let rest = parts[existing...]
                return rest.isEmpty ? head : (head == "/" ? "" : head) + slashed(rest)
            }
            existing -= 1
        }
        return slashed(parts[...])
    }

    /// "/a/b/c" from ["a", "b", "c"] ("/" from none), without `joined`'s generic path.
    private static func slashed(_ parts: ArraySlice<String>) -> String {
        if parts.isEmpty { return "/" }
        var out = ""
        for p in parts { out += "/" + p }
        return out
    }
}

/// The process environment, read without building `ProcessInfo`'s dictionary.
public enum Environment {
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// Namespace names as containerd validates them: a label-like identifier.
public enum NamespaceName {
    public static let `default` = "default"

    public static func validate(_ name: String) throws(BerthError) {
        let ok = !name.isEmpty && name.utf8.count <= 76 && name.utf8.allSatisfy { c in
            (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 45 || c == 95 || c == 46
        } && name.first!.isLetter
        guard ok else {
            throw .invalidArgument("invalid namespace name \(name.debugDescription): want letters, digits, '.', '_' or '-', starting with a letter")
        }
    }
}
