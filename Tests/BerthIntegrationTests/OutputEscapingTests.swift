import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Strings an image or a container brings (config, labels, snapshot keys, task output) never
/// reach the admin's terminal raw: human-readable output shows their control characters
/// escaped; `--format json` keeps them exactly.
@Suite(.serialized) struct OutputEscapingTests {
    /// Retitles the terminal (OSC 0, ended by BEL), clears it (CSI 2J), then an eight-bit CSI
    /// and a DEL.
    static let evil = "\u{1B}]0;owned\u{07}\u{1B}[2J\u{9B}31m\u{7F}"
    static let imageName = "localhost/evil:1"

    /// No byte below 0x20 but the newlines (and tabs) of `allowed`, no DEL, no C1 control.
    static func rawControls(_ output: String, allowed: Set<UInt8> = [0x0A]) -> [String] {
        var found: [String] = []
        for b in output.utf8 where (b < 0x20 && !allowed.contains(b)) || b == 0x7F { found.append(String(b, radix: 16)) }
        for u in output.unicodeScalars where (0x80..<0xA0).contains(u.value) { found.append("U+" + String(u.value, radix: 16)) }
        return found
    }

    /// An OCI archive of one image: the fixture's busybox rootfs (with a directory named by
    /// the evil string) and a config whose every string carries it.
    static func evilImage(_ f: RuntimeFixture) throws -> String {
        let workDir = "/tmp/w" + evil
        try FileSystem.makeDirectories(f.rootfs + workDir)
        let layout = try LayoutBuilder(f.tmp.dir + "/layout")
        let layerTar = f.tmp.dir + "/layer.tar"
        try Command.check(["tar", "--numeric-owner", "--owner=0", "--group=0", "-C", f.rootfs, "-cf", layerTar, "."])
        let plain = try FileSystem.readFile(layerTar)
        let layer = try layout.blob(plain, mediaType: MediaType.ociLayer)
        let config = ImageConfig(
            architecture: Platform.host.architecture, os: "linux", variant: Platform.host.variant,
            config: .init(Env: ["PATH=/bin", "TITLE=" + evil], Entrypoint: ["/bin/sh", "-c"],
                          Cmd: ["sleep 1000; echo out" + evil, "arg0" + evil],
                          WorkingDir: workDir, Labels: ["label" + evil: "value" + evil]),
            rootfs: .init(diffIDs: [Digest.sha256(plain)]))
        let c = try layout.blob(try layout.json(config), mediaType: MediaType.ociConfig)
        let m = try layout.blob(try layout.json(Manifest(config: c, layers: [layer])), mediaType: MediaType.ociManifest)
        layout.add(m, refName: imageName)
        let out = f.tmp.dir + "/evil.tar"
        try layout.tar(to: out)
        return out
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func humanOutputEscapesAndJSONKeepsTheBytes() throws {
        let f = try RuntimeFixture("esc"); defer { f.cleanup() }
        try f.check(["images", "import", try Self.evilImage(f)])
        try f.check(["run", "-d", "--name", "evil", "--label", "note=" + Self.evil, Self.imageName])
        try f.check(["snapshots", "prepare", "key" + Self.evil])
        // A mount's snapshot is keyed by its target: the event of its prepare quotes the path.
        let target = f.tmp.dir + "/mnt" + Self.evil
        try FileSystem.makeDirectories(target)
        try f.check(["images", "mount", Self.imageName, target])
        defer { _ = try? f.berth(["images", "unmount", target]) }
        // The shell and its sleep.
        #expect(Command.waitUntil { (try? f.check(["tasks", "ps", "--format", "json", "evil"]))?.contains(",") == true })

        var outputs: [(String, String)] = []
        for args in [["images", "inspect", Self.imageName], ["images", "ls"], ["containers", "ls"], ["tasks", "ls"],
                     ["tasks", "ps", "evil"], ["snapshots", "ls"], ["snapshots", "ls", "-q"], ["snapshots", "tree"],
                     ["events", "--past"]] {
            if args[0] == "events" {
                outputs.append(("events", try Self.readEvents(f, until: "/snapshot/prepare key=\(f.tmp.dir)/mnt")))
                continue
            }
            let r = try f.berth(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            outputs.append((args.joined(separator: " "), r.stdout + r.stderr))
        }
        // An error line quoting the image's own strings: its working directory is gone.
        try FileSystem.removeTree(f.rootfs + "/tmp")
        let bad = try f.berth(["run", "--rm", "--cwd", "/tmp/w" + Self.evil, "--rootfs", f.rootfs, "true"])
        #expect(bad.status != 0 && bad.stderr.hasPrefix("berth: "), "\(bad.stderr)")
        outputs.append(("run with a missing --cwd", bad.stdout + bad.stderr))
        try f.check(["images", "unmount", target])
        let rmMissing = try f.berth(["containers", "rm", "missing", "evil" + Self.evil])
        outputs.append(("containers rm", rmMissing.stderr))

        for (command, output) in outputs {
            #expect(Self.rawControls(output) == [], "\(command) printed raw control characters: \(output.debugDescription)")
        }
        let inspect = outputs[0].1
        #expect(inspect.contains("TITLE=\\e]0;owned\\a\\e[2J\\u{9b}31m\\x7f"), "\(inspect)")
        #expect(inspect.contains("WorkingDir: /tmp/w\\e]0;owned\\a"), "\(inspect)")
        #expect(outputs[2].1.contains("echo out\\e]0;owned\\a"), "\(outputs[2].1)")
        #expect(outputs[4].1.contains("sleep 1000; echo out\\e]0;owned\\a"), "\(outputs[4].1)")
        #expect(outputs[5].1.contains("key\\e]0;owned\\a\\e[2J"), "\(outputs[5].1)")
        #expect(outputs[8].1.contains("/snapshot/prepare key=\(f.tmp.dir)/mnt\\e]0;owned\\a\\e[2J"), "\(outputs[8].1)")
        #expect(outputs[9].1.contains("/tmp/w\\e]0;owned\\a"), "\(outputs[9].1)")

        // JSON: exact strings back, whatever they hold, and still nothing raw for a terminal.
        let imageJSON = try f.check(["images", "inspect", "--format", "json", Self.imageName])
        #expect(Self.rawControls(imageJSON) == [], "\(imageJSON)")
        let image = try Self.json(imageJSON) as? [String: Any]
        let config = ((image?["manifests"] as? [[String: Any]])?.first?["imageConfig"] as? [String: Any])?["config"] as? [String: Any]
        #expect(config?["Env"] as? [String] == ["PATH=/bin", "TITLE=" + Self.evil])
        #expect(config?["WorkingDir"] as? String == "/tmp/w" + Self.evil)
        #expect(config?["Labels"] as? [String: String] == ["label" + Self.evil: "value" + Self.evil])
        let containers = try Self.json(f.check(["containers", "ls", "--format", "json"])) as? [[String: Any]]
        #expect(containers?.first?["labels"] as? [String: String] == ["note": Self.evil])
        let info = try f.check(["containers", "info", "evil"])
        #expect(Self.rawControls(info) == [], "\(info)")
        let process = ((try Self.json(info) as? [String: Any])?["spec"] as? [String: Any])?["process"] as? [String: Any]
        #expect(process?["args"] as? [String] == ["/bin/sh", "-c", "sleep 1000; echo out" + Self.evil, "arg0" + Self.evil])
        #expect(process?["cwd"] as? String == "/tmp/w" + Self.evil)
        let events = try Self.readEvents(f, until: "\(f.tmp.dir)/mnt", json: true)
        #expect(Self.rawControls(events) == [], "\(events)")
        let prepared = try events.split(separator: "\n").compactMap { try Self.json(String($0)) as? [String: Any] }
            .filter { $0["topic"] as? String == "/snapshot/prepare" }.compactMap { ($0["attributes"] as? [String: String])?["key"] }
        #expect(prepared.contains(target), "\(prepared)")
        let snapshots = try f.check(["snapshots", "ls", "--format", "json"])
        #expect(Self.rawControls(snapshots) == [] && snapshots.contains("key\\u001b]0;owned\\u0007"), "\(snapshots)")
        #expect((try Self.json(snapshots) as? [[String: Any]])?.contains { ($0["info"] as? [String: Any])?["name"] as? String == "key" + Self.evil } == true)
        try f.check(["containers", "rm", "--force", "evil"])
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }

    /// The UI draws the image's config escaped: the terminal it runs in keeps its title and
    /// its screen.
    @Test(.enabled(if: Privilege.canRunRootTests))
    func uiShowsImageStringsEscaped() throws {
        let f = try RuntimeFixture("escui"); defer { f.cleanup() }
        try f.check(["images", "import", try Self.evilImage(f)])
        let ui = try UITmux([], tmp: f.tmp, rows: 70, cols: 160, env: ["BERTH_NAMESPACE": f.ns])
        defer { ui.close() }
        let titleBefore = try Command.check(["tmux", "-L", ui.socket, "display-message", "-p", "-t", ui.session, "#{pane_title}"])
        let screen = try ui.wait("the image's escaped config in the details") {
            $0.contains("localhost/evil:1") && $0.contains("workdir    /tmp/w\\e]0;owned\\a\\e[2J\\u{9b}31m\\x7f")
                && $0.contains("env        TITLE=\\e]0;owned\\a")
        }
        #expect(screen.contains("Images 1"), "the screen was cleared: \(screen)")
        let titleAfter = try Command.check(["tmux", "-L", ui.socket, "display-message", "-p", "-t", ui.session, "#{pane_title}"])
        #expect(titleAfter == titleBefore && !titleAfter.contains("owned"), "retitled: \(titleAfter)")
        try ui.keys("q")
        try ui.wait(for: "__EXIT__0")
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// What `berth events --past` (or its JSON lines) prints until `marker` (then it is stopped).
    static func readEvents(_ f: RuntimeFixture, until marker: String, json: Bool = false) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltProducts.berth)
        p.arguments = ["events", "--past"] + (json ? ["--format", "json"] : [])
        p.environment = ProcessInfo.processInfo.environment.merging(f.env) { $1 }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let collected = Locked(Data())
        out.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            collected.withLock { $0.append(d) }
        }
        defer { out.fileHandleForReading.readabilityHandler = nil }
        let seen = Command.waitUntil {
            let text = String(decoding: collected.current, as: UTF8.self)
            return text.contains(marker) && text.hasSuffix("\n")
        }
        p.terminate()
        p.waitUntilExit()
        #expect(seen, "no \(marker.debugDescription): \(String(decoding: collected.current, as: UTF8.self))")
        return String(decoding: collected.current, as: UTF8.self)
    }
}
