import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
@testable import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Shims started before their container exists (`berth run` prepares one while it writes the
/// container's records): they run the task as a usual shim does, and one left unused exits
/// with its waiting init.
@Suite("prepared shims")
struct RuntimePreparedShimTests {
    @Test(.enabled(if: Privilege.canRunRootTests))
    func anAbandonedShimLeavesNothing() throws {
        let f = try RuntimeFixture("prepgone"); defer { f.cleanup() }
        let before = f.leftovers()
        let core = try f.core()
        let shim = try #require(Runtime.prepareShim(paths: core.paths, namespace: f.ns, id: "never", options: ContainerOptions()))
        // It detached and waits with its init, both named after the bundle they wait for.
        #expect(Command.waitUntil { f.leftovers().shims.count == 2 }, "\(f.leftovers())")
        shim.cancel()
        #expect(f.leftovers() == before)
        #expect(!FileSystem.exists(core.paths.tasksDir + "/" + f.ns + "/never"))
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func aPreparedShimRunsItsTask() async throws {
        let f = try RuntimeFixture("prepused"); defer { f.cleanup() }
        let before = f.leftovers()
        let core = try f.core()
        var options = ContainerOptions()
        options.command = ["sh", "-c", "hostname; head -1 /etc/passwd; readlink /proc/1/exe; exit 4"]
        let shim = Runtime.prepareShim(paths: core.paths, namespace: f.ns, id: "used", options: options)
        try core.run(namespace: f.ns, id: "used", rootfs: .directory(f.rootfs), options: options, shim: shim)
        let a = try core.runtime.attach(namespace: f.ns, id: "used")
        var out: [UInt8] = []
        for await chunk in a.output { out += chunk }
        #expect(await a.wait() == 4)
        #expect(String(decoding: out, as: UTF8.self) == "used\nroot:x:0:0:root:/root:/bin/sh\n/bin/busybox\n")
        try core.removeContainer(namespace: f.ns, id: "used", force: true)
        #expect(f.leftovers() == before)
    }

    /// `berth run` attaches while the prepared shim sets the task up: whether that connection
    /// came early or after the start, the follower sees all of the output and the status, and
    /// a failed start leaves no attachment (or anything else) behind.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func aRunAttachedWhileStartingFollowsItsTask() throws {
        let f = try RuntimeFixture("prepattach"); defer { f.cleanup() }
        let before = f.leftovers()
        let core = try f.core()
        #expect(core.runtime.attachWhileStarting(namespace: f.ns, id: "nobody") == nil)
        var options = ContainerOptions()
        options.command = ["sh", "-c", "seq 1 3000; echo done >&2; exit 5"]
        for id in ["a1", "a2", "a3"] {
            let shim = Runtime.prepareShim(paths: core.paths, namespace: f.ns, id: id, options: options)
            let (_, a) = try core.runAttached(namespace: f.ns, id: id, rootfs: .directory(f.rootfs), options: options, shim: shim)
            var out: [UInt8] = []
            let status = a.follow(emit: { out += $0 }, signals: -1) { _ in }
            a.close()
            #expect(status == 5)
            let text = String(decoding: out, as: UTF8.self)
            #expect(text.hasPrefix("1\n2\n") && text.contains("3000\n") && text.contains("done\n"), "\(text.suffix(40))")
            try core.removeContainer(namespace: f.ns, id: id, force: true)
        }
        var missing = options
        missing.command = ["/bin/nope"]
        let shim = Runtime.prepareShim(paths: core.paths, namespace: f.ns, id: "nope", options: missing)
        #expect { try core.runAttached(namespace: f.ns, id: "nope", rootfs: .directory(f.rootfs), options: missing, shim: shim) }
            throws: { ($0 as? BerthError)?.message.contains("/bin/nope") == true }
        #expect(f.leftovers() == before)
        #expect(try core.runtime.containers(namespace: f.ns).isEmpty)
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func aShimPreparedForAnotherTaskIsNotUsed() async throws {
        let f = try RuntimeFixture("prepother"); defer { f.cleanup() }
        let before = f.leftovers()
        let core = try f.core()
        var options = ContainerOptions()
        options.command = ["true"]
        let other = Runtime.prepareShim(paths: core.paths, namespace: f.ns, id: "other", options: options)
        var terminal = options
        terminal.terminal = true
        let mismatched = Runtime.prepareShim(paths: core.paths, namespace: f.ns, id: "second", options: terminal)
        try core.run(namespace: f.ns, id: "first", rootfs: .directory(f.rootfs), options: options, shim: other)
        try core.run(namespace: f.ns, id: "second", rootfs: .directory(f.rootfs), options: options, shim: mismatched)
        for id in ["first", "second"] {
            #expect(try await core.runtime.wait(namespace: f.ns, id: id) == 0)
            try core.removeContainer(namespace: f.ns, id: id, force: true)
        }
        #expect(f.leftovers() == before)
    }
}
