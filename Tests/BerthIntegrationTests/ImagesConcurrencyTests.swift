import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Two berth processes on one root, and kill -9 in the middle of an import.
@Suite(.serialized) struct ImagesConcurrencyTests {
    /// An archive with a large incompressible layer, so an import takes a moment. The layer
    /// is not a tar, so imports here skip unpacking.
    func bigArchive(_ s: Scratch, name: String, mib: Int) throws -> String {
        let b = try LayoutBuilder(s.dir + "/" + name.replacingOccurrences(of: "/", with: "_"))
        try Command.check(["dd", "if=/dev/urandom", "of=\(s.dir)/rand-\(mib)", "bs=1M", "count=\(mib)", "status=none"])
        let random = try FileSystem.readFile("\(s.dir)/rand-\(mib)")
        let layer = try b.blob(random, mediaType: MediaType.ociLayer)
        let config = try b.blob(try b.json(ImageConfig(architecture: Platform.host.architecture, os: "linux",
                                                       rootfs: .init(diffIDs: [layer.digest]))), mediaType: MediaType.ociConfig)
        b.add(try b.blob(try b.json(Manifest(config: config, layers: [layer])), mediaType: MediaType.ociManifest), refName: name)
        let out = s.dir + "/\(name.replacingOccurrences(of: "/", with: "_")).tar"
        try b.tar(to: out)
        return out
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func twoProcessesImportIntoOneRoot() throws {
        let s = try Scratch("conc"); defer { s.cleanup() }
        let a = try bigArchive(s, name: "localhost/a:1", mib: 24)
        let b = try bigArchive(s, name: "localhost/b:1", mib: 24)
        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        // Both archives twice, at once: shared blobs, a GC after each import, one database.
        let results = Locked([(Int32, String)]())
        let group = DispatchGroup()
        for archive in [a, b, a, b] {
            group.enter()
            Thread.detachNewThread {
                let r = try? cli.run(["images", "import", "--no-unpack", archive])
                results.withLock { $0.append((r?.status ?? -1, r?.stderr ?? "did not run")) }
                group.leave()
            }
        }
        group.wait()
        for (status, stderr) in results.current { #expect(status == 0, "\(stderr)") }
        #expect(try cli.imageNames() == ["localhost/a:1", "localhost/b:1"])
        let listed = Set(try cli.check(["content", "ls", "-q"]).split(separator: "\n").map { String($0.dropFirst(7)) })
        #expect(listed.count == 6)
        #expect(Set(cli.blobs()) == listed)
        try cli.check(["gc"])
        #expect(Set(cli.blobs()) == listed)
        #expect(cli.ingests().isEmpty)
        // Every blob still matches its digest.
        for hex in cli.blobs() {
            let sum = try Command.check(["sha256sum", tmp.paths.blobsDir + "/" + hex])
            #expect(sum.hasPrefix(hex))
        }
    }

    /// A garbage collection running over and over during an import never takes its blobs:
    /// the import's lease holds them until the image record references them.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func gcDuringImportKeepsItsBlobs() throws {
        let s = try Scratch("gcrace"); defer { s.cleanup() }
        let archive = try bigArchive(s, name: "localhost/g:1", mib: 64)
        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        try cli.check(["demo"])
        let done = Locked(false)
        let gcRuns = Locked(0)
        let gcErrors = Locked([String]())
        let group = DispatchGroup()
        group.enter()
        Thread.detachNewThread {
            while !done.current {
                if let r = try? cli.run(["gc"]) {
                    if r.succeeded { gcRuns.withLock { $0 += 1 } } else { gcErrors.withLock { $0.append(r.stderr) } }
                }
            }
            group.leave()
        }
        let r = try cli.run(["images", "import", "--no-unpack", archive])
        done.withLock { $0 = true }
        group.wait()
        #expect(r.succeeded, "\(r.stderr)")
        #expect(gcRuns.current > 0)
        #expect(gcErrors.current.isEmpty, "\(gcErrors.current)")
        #expect(try cli.imageNames() == ["localhost/busybox:latest", "localhost/g:1"])
        try cli.check(["gc"])
        let listed = Set(try cli.check(["content", "ls", "-q"]).split(separator: "\n").map { String($0.dropFirst(7)) })
        #expect(Set(cli.blobs()) == listed)
        #expect(listed.count == 6)
        try cli.check(["images", "export", s.dir + "/out.tar", "localhost/g:1"])
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func killDuringImportThenReimport() throws {
        let s = try Scratch("kill"); defer { s.cleanup() }
        let archive = try bigArchive(s, name: "localhost/k:1", mib: 128)
        let tmp = try TempRoot("img"); defer { tmp.cleanup() }
        let cli = BerthCLI(tmp: tmp)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltProducts.berth)
        p.arguments = ["images", "import", "--no-unpack", archive]
        p.environment = ProcessInfo.processInfo.environment.merging(cli.env) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Kill it once the big layer is partly written.
        let started = Command.waitUntil(timeout: 60, interval: 0.002) {
            for dir in cli.ingests() {
                var st = stat()
                if stat(tmp.paths.ingestDir + "/" + dir + "/data", &st) == 0, st.st_size > 1 << 20 { return true }
            }
            return !p.isRunning
        }
        #expect(started)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(try cli.imageNames().isEmpty)
        // Whatever is in blobs/ is verified content.
        for hex in cli.blobs() { #expect(try Command.check(["sha256sum", tmp.paths.blobsDir + "/" + hex]).hasPrefix(hex)) }
        try cli.check(["gc"])
        try cli.check(["images", "import", "--no-unpack", archive])
        #expect(try cli.imageNames() == ["localhost/k:1"])
        #expect(cli.ingests().isEmpty)
        let listed = Set(try cli.check(["content", "ls", "-q"]).split(separator: "\n").map { String($0.dropFirst(7)) })
        #expect(listed.count == 3)
        try cli.check(["gc"])
        #expect(Set(cli.blobs()) == listed)
    }
}
