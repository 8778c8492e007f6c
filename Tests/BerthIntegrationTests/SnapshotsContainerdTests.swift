import BerthCore
import BerthTestSupport
import CBerthSys
import Foundation
import Testing

/// berth's unpack against containerd's for the same archive: the merged root file systems
/// must be identical file by file, and the snapshots must carry the same chain IDs.
@Suite(.serialized, .enabled(if: Privilege.canRunRootTests))
struct SnapshotsContainerdTests {
    static let fixtureScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("SnapshotsFixture.sh").path

    @Test(arguments: ["overlayfs", "native"])
    func mergedRootfsAndChainIDsMatchContainerd(_ snapshotter: String) throws {
        let t = try TempRoot("ctrd-cmp")
        let c = try PrivateContainerd.start()
        let ours = t.dir + "/ours", theirs = t.dir + "/theirs"
        defer {
            Mounts.unmountAll(under: t.dir)
            _ = try? c.ctrResult(["images", "unmount", "--rm", theirs])
            c.stop()
            t.cleanup()
        }
        try Command.check(["bash", Self.fixtureScript, t.dir])
        let archive = t.dir + "/img.tar", name = "docker.io/library/fixture:t"
        let cli = BerthCLI(tmp: t)
        try cli.check(["images", "import", "--snapshotter", snapshotter, "--base-name", "docker.io/library/fixture", archive])
        try c.ctr(["images", "import", "--snapshotter", snapshotter, "--base-name", "docker.io/library/fixture", archive])

        try FileSystem.makeDirectories(ours)
        try FileSystem.makeDirectories(theirs)
        try cli.check(["images", "mount", "--snapshotter", snapshotter, name, ours])
        try c.ctr(["images", "mount", "--snapshotter", snapshotter, name, theirs])
        let a = try Self.describe(ours), b = try Self.describe(theirs)
        #expect(a.count > 20)
        for path in Set(a.keys).union(b.keys).sorted() where a[path] != b[path] {
            Issue.record("\(path): berth \(a[path] ?? "missing") containerd \(b[path] ?? "missing")")
        }
        try cli.check(["images", "unmount", "--snapshotter", snapshotter, ours])
        #expect(!Mount.isMountPoint(ours))

        let theirChains = try c.ctr(["snapshots", "--snapshotter", snapshotter, "ls"]).split(separator: "\n").dropFirst()
            .compactMap { line -> String? in
                let f = line.split(separator: " ", omittingEmptySubsequences: true)
                return f.count >= 2 && f.last == "Committed" ? String(f[0]) : nil
            }
        let ourChains = try t.core().listSnapshots(namespace: "default", snapshotter: snapshotter)
            .filter { $0.info.kind == .committed }.map(\.info.name)
        #expect(ourChains.count == 3)
        #expect(Set(ourChains) == Set(theirChains))
    }

    /// path -> "type mode uid:gid size sha256 link xattrs" for every entry below `root`.
    static func describe(_ root: String) throws -> [String: String] {
        var out: [String: String] = [:]
        func visit(_ rel: String) throws {
            let path = rel.isEmpty ? root : root + "/" + rel
            var st = stat()
            guard lstat(path, &st) == 0 else { throw BerthError.system("lstat", path) }
            let type = st.st_mode & S_IFMT
            var d = "\(String(type, radix: 8)) \(String(st.st_mode & 0o7777, radix: 8)) \(st.st_uid):\(st.st_gid)"
            switch type {
            case S_IFREG: d += " \(st.st_size) \(Digest.sha256(try FileSystem.readFile(path)).short)"
            case S_IFLNK:
                var buf = [CChar](repeating: 0, count: 4096)
                let n = readlink(path, &buf, buf.count)
                d += " -> " + String(decoding: buf[0..<max(n, 0)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            case S_IFCHR, S_IFBLK: d += " dev \(berth_major(st.st_rdev)),\(berth_minor(st.st_rdev))"
            default: break
            }
            d += " " + xattrs(path)
            out[rel.isEmpty ? "/" : rel] = d
            if type == S_IFDIR {
                for name in try FileManager.default.contentsOfDirectory(atPath: path).sorted() {
                    try visit(rel.isEmpty ? name : rel + "/" + name)
                }
            }
        }
        try visit("")
        return out
    }

    static func xattrs(_ path: String) -> String {
        var names = [CChar](repeating: 0, count: 4096)
        let n = berth_llistxattr(path, &names, names.count)
        guard n > 0 else { return "" }
        var out: [String] = []
        for raw in names[0..<n].split(separator: 0) {
            let name = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var value = [UInt8](repeating: 0, count: 4096)
            let v = berth_lgetxattr(path, name, &value, value.count)
            out.append("\(name)=\(Digest.sha256(value[0..<max(v, 0)]).short)")
        }
        return out.sorted().joined(separator: ",")
    }
}
