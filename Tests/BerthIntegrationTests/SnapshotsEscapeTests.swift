import BerthCore
import BerthTestSupport
import CBerthSys
import Foundation
import Testing

/// One malicious layer per escape kind. Each must fail naming the entry, commit nothing,
/// and leave the directory outside the snapshot exactly as it was.
@Suite(.serialized, .enabled(if: Privilege.canRunRootTests))
struct SnapshotsEscapeTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var lower: String?
        var layer: String
        var entry: String
        /// What the refusal says, when it matters.
        var says = ""
        var description: String { name }
    }

    // OUT is replaced by the absolute path of a directory outside the snapshot.
    static let cases: [Case] = [
        Case(name: "dotdot", layer: "f('a/../../../../../../../../OUT/evil', b'x')", entry: "a/../../"),
        Case(name: "absolute", layer: "f('OUT/evil', b'x')", entry: "OUT/evil"),
        Case(name: "symlink in same layer", layer: "l('link', 'OUT'); f('link/evil', b'x')", entry: "link/evil"),
        Case(name: "relative symlink in same layer", layer: "l('link', '../../../../../../../../OUT'); f('link/evil', b'x')", entry: "link/evil"),
        Case(name: "symlink in lower layer", lower: "l('link', 'OUT')", layer: "f('link/evil', b'x')", entry: "link/evil"),
        Case(name: "hardlink to outside", layer: "h('evil', 'OUT/victim')", entry: "evil"),
        Case(name: "hardlink via dotdot", layer: "h('evil', '../../../../../../../../OUT/victim')", entry: "evil"),
        Case(name: "whiteout outside", layer: "f('../.wh.victim')", entry: "../.wh.victim"),
        Case(name: "whiteout through symlink", layer: "l('link', 'OUT'); f('link/.wh.victim')", entry: "link/.wh.victim"),
        Case(name: "whiteout through lower symlink", lower: "l('link', 'OUT')", layer: "f('link/.wh.victim')", entry: "link/.wh.victim"),
        Case(name: "opaque through symlink", lower: "l('link', 'OUT')", layer: "f('link/.wh..wh..opq')", entry: "link/.wh..wh..opq"),
        Case(name: "symlink over the directory the previous entry went into", layer: "d('a'); f('a/x'); l('a', 'OUT'); f('a/evil', b'x')",
             entry: "a/evil", says: "path goes through a symlink"),
    ]

    @Test(arguments: cases, ["overlayfs", "native"])
    func maliciousLayerIsRejected(_ c: Case, _ snapshotter: String) throws {
        let s = try LayerStack(snapshotter)
        defer { s.cleanup() }
        let outside = s.t.dir + "/outside"
        try FileSystem.makeDirectories(outside)
        try FileSystem.writeAtomically(outside + "/victim", "keep")
        let before = try listing(outside)

        if let lower = c.lower {
            let blob = s.t.dir + "/lower.tar"
            try TestLayer.make(blob, lower.replacingOccurrences(of: "OUT", with: outside))
            try s.apply(blob, as: "lower")
        }
        let blob = s.t.dir + "/evil.tar"
        try TestLayer.make(blob, c.layer.replacingOccurrences(of: "OUT", with: outside))
        #expect {
            try s.apply(blob, as: "evil")
        } throws: { e in
            let m = (e as? BerthError)?.message ?? ""
            return m.hasPrefix("layer evil: entry ") && m.contains(c.entry.replacingOccurrences(of: "OUT", with: outside)) && (c.says.isEmpty || m.contains(c.says))
        }
        #expect(try listing(outside) == before)
        #expect(try FileSystem.readString(outside + "/victim") == "keep")
        #expect(try s.snapshotter.walk(namespace: "default").map(\.name) == (c.lower == nil ? [] : ["lower"]))
    }

    struct MetadataCase: Sendable, CustomStringConvertible {
        var name: String
        var lower: String?
        var layer: String
        /// What the refusal names, by snapshotter; the layer applies where none is given.
        var rejects: [String: String] = [:]
        var description: String { name }
    }

    // @VICTIM@ and @VICTIMDIR@ stand for the host's file and directory, @UP@ for enough `..` to
    // climb out of any snapshot.
    static let attrs = "mode=0o4777, uid=4242, gid=4243, mtime=1234567890"
    static let xattrs = "xattrs={'user.evil': 'x'}"
    static let metadataCases: [MetadataCase] = [
        .init(name: "hard link to an absolute symlink", layer: "l('s', '@VICTIM@'); h('h', 's', \(attrs))"),
        .init(name: "hard link to a relative symlink", layer: "l('s', '@UP@@VICTIM@'); h('h', 's', \(attrs))"),
        .init(name: "hard link to a symlink, with xattrs", layer: "l('s', '@VICTIM@'); h('h', 's', \(attrs), \(xattrs))"),
        .init(name: "hard link to a symlink to a directory", layer: "l('s', '@VICTIMDIR@'); h('h', 's', \(attrs))"),
        .init(name: "hard link to a lower layer's symlink", lower: "l('s', '@VICTIM@')", layer: "h('h', 's', \(attrs))",
              rejects: ["overlayfs": "entry \"h\": hard link to \"s\""]),
        .init(name: "hard link to a directory", layer: "d('a'); h('h', 'a', \(attrs))",
              rejects: ["overlayfs": "entry \"h\": hard link to \"a\"", "native": "entry \"h\": hard link to \"a\""]),
        .init(name: "hard link to a fifo", layer: "p('fifo'); h('h', 'fifo', \(attrs), \(xattrs))"),
        .init(name: "directory over a symlink", layer: "l('a', '@VICTIMDIR@'); d('a', \(attrs), \(xattrs))"),
        .init(name: "directory over a lower symlink", lower: "l('a', '@VICTIMDIR@')", layer: "d('a', \(attrs), \(xattrs))"),
        .init(name: "file over a symlink", layer: "l('a', '@VICTIM@'); f('a', b'evil', \(attrs), \(xattrs))"),
        .init(name: "file over a lower symlink", lower: "l('a', '@VICTIM@')", layer: "f('a', b'evil', \(attrs), \(xattrs))"),
        .init(name: "device over a symlink", layer: "l('a', '@VICTIM@'); c('a', 1, 3, \(attrs), \(xattrs))"),
        .init(name: "fifo over a symlink", layer: "l('a', '@VICTIM@'); p('a', \(attrs), \(xattrs))"),
        .init(name: "symlink with owner and xattrs", layer: "l('a', '@VICTIM@', uid=4242, gid=4243, mtime=1234567890, \(xattrs))"),
        .init(name: "symlink over a directory whose times come last", layer: "d('a', mtime=1234567890); f('a/x'); l('a', '@VICTIMDIR@')"),
        .init(name: "symlink over a lower directory", lower: "d('a'); f('a/x')", layer: "d('a', \(attrs)); l('a', '@VICTIMDIR@')"),
        .init(name: "whiteout of a lower symlink", lower: "l('a', '@VICTIM@')", layer: "f('.wh.a')"),
        .init(name: "opaque directory over a lower symlink", lower: "l('a', '@VICTIMDIR@')", layer: "d('a', \(attrs)); f('a/.wh..wh..opq')"),
    ]

    /// Nothing applied to an entry (owner, xattrs, mode, times) follows a link, whatever
    /// the entry replaces or links to: the host's file and directory keep their content,
    /// mode, owner, times and xattrs, and the layer either applies or is refused by name.
    @Test(arguments: metadataCases, ["overlayfs", "native"])
    func metadataNeverFollowsALink(_ c: MetadataCase, _ snapshotter: String) throws {
        let s = try LayerStack(snapshotter)
        defer { s.cleanup() }
        let host = try HostVictims(in: s.t.dir)
        let before = host.state()
        func script(_ text: String) -> String {
            text.replacingOccurrences(of: "@UP@", with: Array(repeating: "..", count: 30).joined(separator: "/"))
                .replacingOccurrences(of: "@VICTIMDIR@", with: host.directory).replacingOccurrences(of: "@VICTIM@", with: host.file)
        }
        if let lower = c.lower {
            try TestLayer.make(s.t.dir + "/lower.tar", script(lower))
            try s.apply(s.t.dir + "/lower.tar", as: "lower")
        }
        try TestLayer.make(s.t.dir + "/layer.tar", script(c.layer))
        if let refusal = c.rejects[snapshotter] {
            #expect {
                try s.apply(s.t.dir + "/layer.tar", as: "layer")
            } throws: { e in
                (e as? BerthError)?.message.contains(refusal) == true
            }
        } else {
            try s.apply(s.t.dir + "/layer.tar", as: "layer")
            _ = try s.mountView()
        }
        #expect(host.state() == before)
    }

    /// The attack as an image brings it: a layer holding `s -> <host file>` and a hard link
    /// `h -> s` with mode 04777, an owner and times, imported as an archive, as a root file
    /// system tar (`import --rootfs`), and applied as a plain layer. The host file is left
    /// as it was; in the snapshot `h` is the symlink itself, with the owner and times set
    /// on it and no mode (a symlink has none to set).
    @Test func hardLinkToASymlinkLeavesTheHostFileAlone() throws {
        let t = try TempRoot("escape-import")
        defer { Mounts.unmountAll(under: t.dir); t.cleanup() }
        let cli = BerthCLI(tmp: t)
        let host = try HostVictims(in: t.dir)
        let before = host.state()
        let layer = t.dir + "/layer.tar"
        try TestLayer.make(layer, "l('s', '\(host.file)'); h('h', 's', \(Self.attrs))")
        try LayoutBuilder.archive(t.dir + "/image.tar", name: "localhost/evil:1", layers: [layer])

        func expectSymlinkTreatment(_ root: String, sourceLocation: SourceLocation = #_sourceLocation) {
            var st = stat(), target = [CChar](repeating: 0, count: 4096)
            #expect(lstat(root + "/h", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK, sourceLocation: sourceLocation)
            #expect(st.st_uid == 4242 && st.st_gid == 4243 && st.st_mtim.tv_sec == 1234567890, sourceLocation: sourceLocation)
            let n = readlink(root + "/h", &target, target.count)
            #expect(String(decoding: target[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self) == host.file,
                    sourceLocation: sourceLocation)
        }

        try cli.check(["images", "import", t.dir + "/image.tar"])
        #expect(host.state() == before)
        try cli.check(["images", "import", "--rootfs", layer, "localhost/evil-rootfs:1"])
        #expect(host.state() == before)
        for image in ["localhost/evil:1", "localhost/evil-rootfs:1"] {
            let m = t.dir + "/mnt-" + String(image.split(separator: "/")[1].prefix { $0 != ":" })
            try FileSystem.makeDirectories(m)
            try cli.check(["images", "mount", image, m])
            expectSymlinkTreatment(m)
            try cli.check(["images", "unmount", m])
        }

        let s = try LayerStack()
        defer { s.cleanup() }
        try s.apply(layer, as: "plain")
        expectSymlinkTreatment(try s.mountView())
        #expect(host.state() == before)
    }

    /// Of the xattrs a layer carries, only user data, file capabilities and POSIX ACLs are
    /// applied: `trusted.*` would speak for overlayfs (an opaque mark in the tar hides the
    /// lower layers' files; a redirect or metacopy points elsewhere) and other `security.*`
    /// names are the host's security labels. berth's own opaque mark, from `.wh..wh..opq`,
    /// still works.
    @Test(arguments: ["overlayfs", "native"])
    func onlyUserCapabilityAndACLXattrsAreApplied(_ snapshotter: String) throws {
        let s = try LayerStack(snapshotter)
        defer { s.cleanup() }
        try TestLayer.make(s.t.dir + "/lower.tar", "d('dir'); f('dir/lower', b'kept'); d('opq'); f('opq/hidden')")
        try s.apply(s.t.dir + "/lower.tar", as: "lower")
        let cap = "\\x01\\x00\\x00\\x02\\x00\\x20\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
        // Owner rw, user 100 r, group r, mask r, others r: an ACL that mode bits alone cannot
        // hold (ids other than user 100's are ignored; bytes below 0x80 keep the PAX header's
        // UTF-8 from changing them).
        let acl = "\\x02\\x00\\x00\\x00\\x01\\x00\\x06\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x04\\x00\\x64\\x00\\x00\\x00\\x04\\x00\\x04\\x00\\x00\\x00\\x00\\x00\\x10\\x00\\x04\\x00\\x00\\x00\\x00\\x00\\x20\\x00\\x04\\x00\\x00\\x00\\x00\\x00"
        try TestLayer.make(s.t.dir + "/layer.tar", """
        d('dir', xattrs={'trusted.overlay.opaque': 'y', 'user.ok': 'dir'})
        f('file', b'x', xattrs={'trusted.overlay.metacopy': '', 'trusted.overlay.redirect': '/dir', 'trusted.evil': 'x',
                                'security.evil': 'x', 'security.selinux': 'system_u:object_r:shadow_t:s0',
                                'user.ok': 'file', 'security.capability': '\(cap)', 'system.posix_acl_access': '\(acl)'})
        d('opq'); f('opq/.wh..wh..opq'); f('opq/new')
        """)
        try s.apply(s.t.dir + "/layer.tar", as: "layer")
        let view = try s.mountView()
        #expect(try FileSystem.readString(view + "/dir/lower") == "kept")
        #expect(try FileManager.default.contentsOfDirectory(atPath: view + "/opq") == ["new"])

        let m = try s.snapshotter.view(namespace: s.ns, key: "layer-only", parent: "layer", labels: [:])
        let layerDir = snapshotter == "overlayfs" ? m[0].lowerDirs[0] : m[0].source
        func names(_ p: String) -> [String] {
            SnapshotsContainerdTests.xattrs(layerDir + "/" + p).split(separator: ",").map { String($0.prefix { $0 != "=" }) }
        }
        #expect(names("file") == ["security.capability", "system.posix_acl_access", "user.ok"])
        #expect(names("dir") == ["user.ok"])
        if snapshotter == "overlayfs" { #expect(names("opq") == ["trusted.overlay.opaque"]) }
    }

    private func listing(_ dir: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: dir).sorted()
    }
}
