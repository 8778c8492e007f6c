import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// `berth run --rm` mounts the container's overlay `volatile` (nothing of it is kept, so
/// nothing of it is synced), as podman does; a container that stays keeps a usual overlay.
@Suite struct RuntimeRemoveOnExitTests {
    @Test(.enabled(if: Privilege.canRunRootTests))
    func onlyAContainerRemovedOnExitGetsAVolatileRootfs() throws {
        let tmp = try TempRoot("rmexit"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        defer { _ = try? cli.run(["containers", "rm", "--force", "kept"]) }
        try cli.check(["demo"])
        let inside = try cli.check(["run", "--rm", "localhost/busybox:latest", "sh", "-c", "grep ' / / ' /proc/self/mountinfo"])
        #expect(inside.contains(" overlay ") && Self.isVolatile(inside), "\(inside)")

        try cli.check(["run", "-d", "--name", "kept", "localhost/busybox:latest", "sleep", "30"])
        let rootfs = tmp.paths.tasksDir + "/default/kept/rootfs"
        let host = try FileSystem.readString("/proc/self/mountinfo").split(separator: "\n").filter { $0.contains(" \(rootfs) ") }
        #expect(host.count == 1 && host.allSatisfy { $0.contains(" overlay ") && !Self.isVolatile(String($0)) }, "\(host)")
        try cli.check(["containers", "rm", "--force", "kept"])
        #expect(try cli.check(["containers", "ls", "-q"]) == "")
    }

    /// The super options of a mountinfo line hold `volatile` (shown as `fsync=volatile` by
    /// newer kernels).
    static func isVolatile(_ line: String) -> Bool {
        guard let options = line.components(separatedBy: " - ").last?.split(whereSeparator: \.isWhitespace).last else { return false }
        return options.split(separator: ",").contains { $0 == "volatile" || $0 == "fsync=volatile" }
    }
}
