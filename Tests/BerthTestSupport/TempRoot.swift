import BerthCore
import Foundation

/// A throwaway berth root and state directory for one test; removed by `cleanup()`.
public struct TempRoot: Sendable {
    public let dir: String
    public let paths: BerthPaths

    public init(_ label: String = "t") throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let template = "\(base)/berth-test-\(label)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let p = mkdtemp(&bytes) else { throw BerthError.internal("mkdtemp \(template) failed") }
        dir = String(cString: p)
        paths = BerthPaths(root: dir + "/root", state: dir + "/state")
    }

    public func core() throws -> BerthCore { try BerthCore(paths: paths) }

    public func cleanup() { try? FileSystem.removeTree(dir) }
}

/// True when the tests may use root-only kernel features. Under CI they must run, so a
/// non-root CI run fails loudly instead of skipping.
public enum Privilege {
    public static var isRoot: Bool { geteuid() == 0 }
    public static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    public static var canRunRootTests: Bool {
        if inCI { precondition(isRoot, "CI=true but not running as root: root-only tests may not skip in CI") }
        return isRoot
    }
}
