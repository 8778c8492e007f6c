import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// `berth run IMAGE`: the rootfs is an active snapshot on the image's unpacked layers.
@Suite(.serialized) struct RuntimeImageTests {
    @Test(.enabled(if: Privilege.canRunRootTests))
    func runsTheDemoImageOnItsSnapshot() throws {
        let f = try RuntimeFixture("img"); defer { f.cleanup() }
        _ = try f.core().createDemoImage(namespace: f.ns)
        let r = try f.berth(["run", "--rm", "localhost/busybox:latest", "sh", "-c", "echo written > /tmp/x; cat /tmp/x; ls /bin/busybox"])
        #expect(r.status == 0 && r.stdout == "written\n/bin/busybox\n", "\(r.stdout)\(r.stderr)")
        try f.check(["containers", "create", "--name", "keep", "localhost/busybox:latest"])
        let info = try f.check(["containers", "info", "keep"])
        #expect(info.contains("\"snapshotter\" : \"overlayfs\"") && info.contains("\"/bin/sh\""), "\(info)")
        let snapshots = try f.check(["snapshots", "ls"])
        #expect(snapshots.contains("keep"))
        // A duplicate id is refused by name, and leaves the container and its snapshot as they were.
        for args in [["containers", "create", "--name", "keep", "localhost/busybox:latest"],
                     ["run", "--rm", "--name", "keep", "localhost/busybox:latest", "true"]] {
            let dup = try f.berth(args)
            #expect(dup.status != 0 && dup.stderr == "berth: container \"keep\" already exists\n", "\(args): \(dup.stderr)")
        }
        #expect(try f.check(["snapshots", "ls"]) == snapshots)
        #expect(try f.check(["containers", "info", "keep"]) == info)
        try f.check(["tasks", "start", "keep"])
        try f.check(["containers", "rm", "--force", "keep"])
        #expect(!(try f.check(["snapshots", "ls"]).contains("keep")))
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }
}
