import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
import BerthCore
import BerthTestSupport
import CBerthSys
import Foundation
import Testing

@Suite(.serialized, .enabled(if: Privilege.canRunRootTests))
struct SnapshotsApplyTests {
    @Test(arguments: ["overlayfs", "native"])
    func attributesWhiteoutsAndOpaqueDirectories(_ snapshotter: String) throws {
        let s = try LayerStack(snapshotter)
        defer { s.cleanup() }
        let l1 = s.t.dir + "/l1.tar.gz", l2 = s.t.dir + "/l2.tar"
        try TestLayer.make(l1, compression: "gz", """
        d("etc"); f("etc/passwd", b"root:x:0:0\\n")
        d("gone"); f("gone/a"); d("opq", mode=0o700); f("opq/old")
        f("bin/su", b"su", mode=0o4755); f("bin/ping", b"ping", mode=0o755, xattrs={"security.capability": "\\x01\\x00\\x00\\x02\\x00\\x20\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"})
        d("tmp", mode=0o1777); d("var"); f("var/x"); f("home/u/file", b"mine", uid=1000, gid=1001)
        f("hl/a", b"shared"); h("hl/b", "hl/a")
        l("etc/link", "../etc/passwd"); c("dev/null", 1, 3); p("run/fifo")
        f("unicod\\u00e9/\\u65e5\\u672c.txt", b"x"); f("long/" + "n" * 200, b"long")
        """)
        try TestLayer.make(l2, """
        f(".wh.gone"); d("opq", mode=0o750); f("opq/.wh..wh..opq"); f("opq/new", b"new"); f("etc/.wh.link")
        """)
        try s.apply(l1, as: "one")
        let r2 = try s.apply(l2, as: "two")
        #expect(r2.diffID == Digest.sha256(try FileSystem.readFile(l2)))

        let root = try s.mountView()
        func st(_ p: String) -> stat? { var x = stat(); return lstat(root + "/" + p, &x) == 0 ? x : nil }
        #expect(st("gone") == nil)
        #expect(st("etc/link") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/opq") == ["new"])
        #expect(st("opq")!.st_mode & 0o7777 == 0o750)
        #expect(st("bin/su")!.st_mode & 0o7777 == 0o4755)
        #expect(st("tmp")!.st_mode & 0o7777 == 0o1777)
        #expect(st("home/u/file")!.st_uid == 1000 && st("home/u/file")!.st_gid == 1001)
        #expect(st("hl/a")!.st_ino == st("hl/b")!.st_ino)
        #expect((st("dev/null")!.st_mode & S_IFMT) == S_IFCHR && st("dev/null")!.st_rdev == berth_makedev(1, 3))
        #expect((st("run/fifo")!.st_mode & S_IFMT) == S_IFIFO)
        #expect(st("unicodé/日本.txt") != nil)
        #expect(try FileSystem.readString(root + "/long/" + String(repeating: "n", count: 200)) == "long")
        var cap = [UInt8](repeating: 0, count: 64)
        #expect(berth_lgetxattr(root + "/bin/ping", "security.capability", &cap, cap.count) == 20)
        // Directory times are set after their contents.
        #expect(st("tmp")!.st_mtim.tv_sec == 1600000000 && st("var")!.st_mtim.tv_sec == 1600000000)
    }

    /// A symlink deleted by a later layer no longer counts as a way out: a third layer may
    /// then create a directory of that name, even implicitly (no entry of its own).
    @Test(arguments: ["overlayfs", "native"])
    func aWhitedOutSymlinkDoesNotBlockLaterLayers(_ snapshotter: String) throws {
        let s = try LayerStack(snapshotter)
        defer { s.cleanup() }
        for (i, script) in ["l('a', '/')", "f('.wh.a')", "f('a/b/c', b'x')"].enumerated() {
            let blob = s.t.dir + "/l\(i).tar"
            try TestLayer.make(blob, script)
            try s.apply(blob, as: "l\(i)")
        }
        let root = try s.mountView()
        #expect(try FileSystem.readString(root + "/a/b/c") == "x")
    }

    @Test func corruptAndTruncatedLayersAreRejected() throws {
        let s = try LayerStack()
        defer { s.cleanup() }
        let good = s.t.dir + "/good.tar.gz"
        try TestLayer.make(good, compression: "gz", "f('a', b'x' * 100000)")
        var bytes = try FileSystem.readFile(good)
        let truncated = s.t.dir + "/trunc.tar.gz"
        try FileSystem.writeAtomically(truncated, Array(bytes[0..<(bytes.count / 2)]))
        bytes[bytes.count / 2] ^= 0xff
        let corrupt = s.t.dir + "/corrupt.tar.gz"
        try FileSystem.writeAtomically(corrupt, bytes)
        let plain = s.t.dir + "/plain.tar"
        try TestLayer.make(plain, "f('a', b'x' * 100000)")
        let cut = s.t.dir + "/cut.tar"
        try FileSystem.writeAtomically(cut, Array(try FileSystem.readFile(plain)[0..<50000]))
        for blob in [truncated, corrupt, cut] {
            #expect {
                try s.apply(blob, as: "bad")
            } throws: { e in
                (e as? BerthError)?.message.hasPrefix("layer bad: ") == true
            }
        }
        #expect(try s.snapshotter.walk(namespace: "default").isEmpty)
    }

    /// gzip layers are read as Go's gzip reader (and so containerd) reads them: members
    /// may be concatenated, each member's CRC is checked, and bytes after the last member
    /// that are not another member are an error.
    @Test func gzipMembersChecksumsAndTrailingBytes() throws {
        let s = try LayerStack()
        defer { s.cleanup() }
        let plainPath = s.t.dir + "/plain.tar"
        try TestLayer.make(plainPath, "f('a', b'x' * 300000); f('b', bytes(range(256)) * 2000)")
        let plain = try FileSystem.readFile(plainPath)
        func gzip(_ bytes: ArraySlice<UInt8>, _ name: String) throws -> [UInt8] {
            let path = s.t.dir + "/" + name
            try FileSystem.writeAtomically(path, Array(bytes))
            try Command.check(["gzip", "-n", "-f", path])
            return try FileSystem.readFile(path + ".gz")
        }
        let half = plain.count / 2
        let members = try gzip(plain[..<half], "m1") + gzip(plain[half...], "m2")
        let multi = s.t.dir + "/multi.tar.gz"
        try FileSystem.writeAtomically(multi, members)
        #expect(try s.apply(multi, as: "multi").diffID == Digest.sha256(plain))
        #expect(try FileSystem.readFile(try s.mountView() + "/b").count == 512000)

        var badCRC = try gzip(plain[...], "whole")
        badCRC[badCRC.count - 6] ^= 0x01
        let trailing = try gzip(plain[...], "whole2") + [UInt8](repeating: 0, count: 16)
        for (name, bytes, says) in [("crc", badCRC, "checksum mismatch"), ("trailing", trailing, "invalid gzip header")] {
            let blob = s.t.dir + "/\(name).tar.gz"
            try FileSystem.writeAtomically(blob, bytes)
            #expect {
                try s.apply(blob, as: name)
            } throws: { e in
                let m = (e as? BerthError)?.message ?? ""
                return m.hasPrefix("layer \(name): ") && m.contains("gzip") && m.contains(says)
            }
        }
        #expect(try s.snapshotter.walk(namespace: "default").filter { $0.kind == .committed }.map(\.name) == ["multi"])
    }

    /// A stream whose data is larger than its queue's limit waits for the writer and
    /// still yields the whole layer; a stream cancelled before it is read stops at once.
    @Test func layerStreamsBoundTheirQueueAndCancel() throws {
        let s = try LayerStack()
        defer { s.cleanup() }
        let plainPath = s.t.dir + "/big.tar"
        try TestLayer.make(plainPath, "f('a', bytes(range(256)) * 12000); f('b', b'y' * 2000000)")
        let plain = try FileSystem.readFile(plainPath)
        try Command.check(["gzip", "-n", "-k", "-f", plainPath])
        let blob = plainPath + ".gz"

        let ahead = LayerStream(blob: blob, limit: 1 << 20)
        ahead.start()
        let cancelled = LayerStream(blob: blob, limit: 1 << 20)
        cancelled.start()
        cancelled.cancel()

        let mounts = try s.snapshotter.prepare(namespace: s.ns, key: "extract-big", parent: nil, labels: [:])
        let r = try LayerApplier.apply(stream: ahead, to: try ApplyTarget(mounts: mounts), subject: "layer big")
        #expect(r.diffID == Digest.sha256(plain) && r.size == Int64(plain.count))
        try s.snapshotter.commit(namespace: s.ns, name: "big", key: "extract-big", labels: [:])
        s.parent = "big"
        #expect(try FileSystem.readFile(try s.mountView() + "/b").count == 2_000_000)
    }

    @Test func aHundredAndThirtyLayersMount() throws {
        let s = try LayerStack()
        defer { s.cleanup() }
        try TestLayer.makeMany(s.t.dir + "/l%d.tar", count: 130, "f('layer%d' % i, b'content %d' % i)")
        for i in 0..<130 {
            try s.apply(s.t.dir + "/l\(i).tar", as: "layer-\(i)")
        }
        let root = try s.mountView()
        #expect(try FileSystem.readString(root + "/layer0") == "content 0")
        #expect(try FileSystem.readString(root + "/layer129") == "content 129")
        // An active snapshot on top of all of them mounts writable too.
        let rw = s.t.dir + "/rw"
        try FileSystem.makeDirectories(rw)
        try Mount.mountAll(try s.snapshotter.prepare(namespace: "default", key: "top", parent: s.parent, labels: [:]), at: rw)
        s.mounted.append(rw)
        try FileSystem.writeAtomically(rw + "/new", "n")
        #expect(try FileSystem.readString(rw + "/layer0") == "content 0")
    }
}
