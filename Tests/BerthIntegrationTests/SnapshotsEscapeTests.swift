import BerthCore
import BerthTestSupport
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
            return m.hasPrefix("layer evil: entry ") && m.contains(c.entry.replacingOccurrences(of: "OUT", with: outside))
        }
        #expect(try listing(outside) == before)
        #expect(try FileSystem.readString(outside + "/victim") == "keep")
        #expect(try s.snapshotter.walk(namespace: "default").map(\.name) == (c.lower == nil ? [] : ["lower"]))
    }

    private func listing(_ dir: String) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: dir).sorted()
    }
}
