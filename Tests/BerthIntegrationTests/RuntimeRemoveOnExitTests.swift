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

    /// A removed container's snapshot directories become the next container's when nothing
    /// was written and nothing can still use them: a write, or a mount namespace that kept a
    /// copy of the rootfs (overlayfs would let two overlays share the directory), gets them
    /// deleted instead.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func untouchedSnapshotDirectoriesAreReusedOnlyWhenNothingHoldsThem() throws {
        let tmp = try TempRoot("spares"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        var holder: Process?
        defer {
            holder?.terminate()
            holder?.waitUntilExit()
            _ = try? cli.run(["containers", "rm", "--force", "held"])
            _ = try? cli.run(["containers", "rm", "--force", "free"])
        }
        try cli.check(["demo"])
        let snapshots = tmp.paths.root + "/snapshots/overlayfs"
        let spares = { (FileSystem.directoryEntries(snapshots + "/spare") ?? []).sorted() }
        let own = { Set((FileSystem.directoryEntries(snapshots) ?? []).compactMap { Int64($0) }) }
        let images = own()

        // A container started elsewhere on the host at the wrong moment copies this rootfs's
        // mount into its new mount namespace, which rightly keeps the directories from being
        // kept; other tests start containers all the time, so each step may need a few tries.
        func untilOneSpare(_ step: () throws -> Void, differingFrom before: [String] = []) throws -> [String] {
            for _ in 0..<8 {
                try step()
                let now = spares()
                if now.count == 1 && now != before { return now }
            }
            return spares()
        }
        let first = try untilOneSpare {
            let out = try cli.check(["run", "--rm", "localhost/busybox:latest", "true"])
            #expect(out == "")
        }
        #expect(first.count == 1, "\(first)")
        // The next run takes that spare and leaves its own.
        let second = try untilOneSpare({
            let out = try cli.check(["run", "--rm", "localhost/busybox:latest", "ls", "-A", "/tmp"])
            #expect(out == "")
        }, differingFrom: first)
        #expect(second.count == 1 && second != first, "\(first) then \(second)")
        #expect(own() == images)

        // Written to: deleted.
        try cli.check(["run", "--rm", "localhost/busybox:latest", "sh", "-c", "echo x > /written"])
        #expect(spares().isEmpty, "the run took the spare and kept none")
        #expect(own() == images)

        // A container removed while running (killed first) leaves one too...
        let left = try untilOneSpare {
            try cli.check(["run", "-d", "--name", "free", "localhost/busybox:latest", "sleep", "60"])
            try cli.check(["containers", "rm", "--force", "free"])
        }
        #expect(left.count == 1, "\(left)")
        // ...unless a mount namespace made while it ran still holds its rootfs.
        try cli.check(["run", "-d", "--name", "held", "localhost/busybox:latest", "sleep", "60"])
        #expect(spares().isEmpty, "the run took the spare")
        let rootfs = tmp.paths.tasksDir + "/default/held/rootfs"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["--mount", "--propagation", "private", "sh", "-c", "grep -q ' \(rootfs) ' /proc/self/mountinfo && echo ready && exec sleep 60"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        holder = p
        #expect(String(decoding: out.fileHandleForReading.readData(ofLength: 6), as: UTF8.self) == "ready\n")
        try cli.check(["containers", "rm", "--force", "held"])
        #expect(spares().isEmpty)
        #expect(own() == images)
    }

    /// The super options of a mountinfo line hold `volatile` (shown as `fsync=volatile` by
    /// newer kernels).
    static func isVolatile(_ line: String) -> Bool {
        guard let options = line.components(separatedBy: " - ").last?.split(whereSeparator: \.isWhitespace).last else { return false }
        return options.split(separator: ",").contains { $0 == "volatile" || $0 == "fsync=volatile" }
    }
}
