import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
@testable import BerthCore
import BerthTestSupport
import CBerthSys
import Foundation

/// Builds tar layers for snapshot tests with Python's tarfile, which writes any name,
/// type and attribute (including the malicious ones an image builder never would).
enum TestLayer {
    static let prelude = """
    import tarfile, io, sys
    t = tarfile.open(sys.argv[1], "w" + sys.argv[2], format=tarfile.PAX_FORMAT)
    def _add(i, data=None, mode=None, uid=0, gid=0, mtime=0, xattrs=None):
        if mode is not None: i.mode = mode
        i.uid = uid; i.gid = gid; i.mtime = mtime
        if xattrs: i.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        t.addfile(i, io.BytesIO(data) if data is not None else None)
    def f(name, data=b"", mode=0o644, mtime=1700000000, **a):
        i = tarfile.TarInfo(name); i.size = len(data)
        _add(i, data, mode, mtime=mtime, **a)
    def d(name, mode=0o755, mtime=1600000000, **a):
        i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE
        _add(i, None, mode, mtime=mtime, **a)
    def l(name, target, **a):
        i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target
        _add(i, None, 0o777, **a)
    def h(name, target, mode=0o644, **a):
        i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = target
        _add(i, None, mode, **a)
    def c(name, major, minor, mode=0o600, **a):
        i = tarfile.TarInfo(name); i.type = tarfile.CHRTYPE; i.devmajor = major; i.devminor = minor
        _add(i, None, mode, **a)
    def p(name, mode=0o644, **a):
        i = tarfile.TarInfo(name); i.type = tarfile.FIFOTYPE
        _add(i, None, mode, **a)

    """

    /// Writes `count` plain layers at `pattern % i`, running `script` with `i` set for each.
    static func makeMany(_ pattern: String, count: Int, _ script: String) throws {
        let body = prelude.replacingOccurrences(of: "t = tarfile.open(sys.argv[1], \"w\" + sys.argv[2], format=tarfile.PAX_FORMAT)\n", with: "")
        let code = body + "for i in range(\(count)):\n    t = tarfile.open(sys.argv[1] % i, 'w', format=tarfile.PAX_FORMAT)\n    "
            + script + "\n    t.close()\n"
        let r = try Command.run(["python3", "-c", code, pattern])
        guard r.succeeded else { throw BerthError.internal("python tar: \(r.stderr)") }
    }

    /// Writes a layer at `path`; `compression` is "", "gz" (or "xz", unsupported on purpose).
    static func make(_ path: String, compression: String = "", _ script: String) throws {
        let code = prelude + script + "\nt.close()\n"
        let r = try Command.run(["python3", "-c", code, path, compression.isEmpty ? "" : ":" + compression])
        guard r.succeeded else { throw BerthError.internal("python tar: \(r.stderr)") }
    }
}

/// A snapshot tree for a test: layers applied and committed in order through the real
/// snapshotter; every mount made is undone by cleanup().
final class LayerStack {
    let t: TempRoot
    let core: BerthCore
    let snapshotter: any Snapshotter
    var parent: String?
    var mounted: [String] = []
    let ns = "default"

    init(_ name: String = "overlayfs") throws {
        t = try TempRoot("layers")
        core = try t.core()
        snapshotter = try core.snapshotters.snapshotter(named: name)
    }

    /// Applies the layer at `blob` as the next layer; on failure nothing is committed.
    @discardableResult
    func apply(_ blob: String, as name: String) throws -> AppliedLayer {
        let key = "extract-\(name)"
        let mounts = try snapshotter.prepare(namespace: ns, key: key, parent: parent, labels: [:])
        do {
            let r = try LayerApplier.apply(blob: blob, to: try ApplyTarget(mounts: mounts), subject: "layer \(name)")
            try snapshotter.commit(namespace: ns, name: name, key: key, labels: [:])
            parent = name
            return r
        } catch {
            try? snapshotter.remove(namespace: ns, key: key)
            throw error
        }
    }

    /// Mounts a read-only view of the top layer at a fresh directory.
    func mountView() throws -> String {
        let dir = t.dir + "/view-\(mounted.count)"
        try FileSystem.makeDirectories(dir)
        let m = try snapshotter.view(namespace: ns, key: "view-\(mounted.count)", parent: parent, labels: [:])
        try Mount.mountAll(m, at: dir)
        mounted.append(dir)
        return dir
    }

    func cleanup() {
        for m in mounted.reversed() { try? Mount.unmountAll(m) }
        Mounts.unmountAll(under: t.dir)
        t.cleanup()
    }
}

extension LayoutBuilder {
    /// An OCI archive at `out` of one image `name` whose layers are the plain tar files
    /// `layers`, with `config` as its runtime config.
    static func archive(_ out: String, name: String, layers: [String], config: ImageConfig.Config? = nil) throws {
        let b = try LayoutBuilder(out + ".layout")
        defer { try? FileSystem.removeTree(out + ".layout") }
        var descriptors: [Descriptor] = [], diffIDs: [Digest] = []
        for l in layers {
            let bytes = try FileSystem.readFile(l)
            descriptors.append(try b.blob(bytes, mediaType: MediaType.ociLayer))
            diffIDs.append(Digest.sha256(bytes))
        }
        let c = try b.blob(try b.json(ImageConfig(architecture: Platform.host.architecture, os: "linux", config: config,
                                                  rootfs: .init(diffIDs: diffIDs))), mediaType: MediaType.ociConfig)
        b.add(try b.blob(try b.json(Manifest(config: c, layers: descriptors)), mediaType: MediaType.ociManifest), refName: name)
        try b.tar(to: out)
    }
}

/// A file and a directory outside every snapshot that an escape would aim at, and all an
/// escape could change about them: what stat shows (the change time moves with any change
/// of mode, owner, times or xattrs), their xattrs, the file's content and the directory's
/// entries. Read without touching access times.
struct HostVictims {
    let dir: String
    var file: String { dir + "/victim" }
    var directory: String { dir + "/victimdir" }

    init(in parent: String) throws {
        dir = parent + "/outside"
        try FileSystem.makeDirectories(directory)
        try FileSystem.writeAtomically(file, "keep", mode: 0o640)
        try FileSystem.writeAtomically(directory + "/inner", "inner")
        for p in [file, directory] {
            guard berth_lsetxattr(p, "user.keep", "original", 8) == 0 else { throw BerthError.system("setxattr", p) }
            var t = [timespec(tv_sec: 1_500_000_001, tv_nsec: 0), timespec(tv_sec: 1_500_000_000, tv_nsec: 0)]
            guard utimensat(AT_FDCWD, p, &t, 0) == 0 else { throw BerthError.system("utimensat", p) }
        }
    }

    func state() -> [String] {
        let paths = [dir, file, directory, directory + "/inner"]
        let stats = paths.map { p -> String in
            var st = stat()
            guard lstat(p, &st) == 0 else { return "\(p): missing" }
            return "\(p): \(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid) size \(st.st_size) ino \(st.st_ino) "
                + "m \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) a \(st.st_atim.tv_sec).\(st.st_atim.tv_nsec) "
                + "c \(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec) xattrs \(SnapshotsContainerdTests.xattrs(p))"
        }
        return stats + [file, directory + "/inner"].map { "\($0): \(Self.content($0))" } + paths.filter(FileSystem.isDirectory).map { "\($0): \(Self.entries($0))" }
    }

    /// O_NOATIME, which Glibc's Swift module leaves out (a GNU extension).
    private static let noAtime: Int32 = 0o1000000

    private static func content(_ path: String) -> String {
        let fd = open(path, O_RDONLY | Self.noAtime | O_CLOEXEC)
        guard fd >= 0 else { return "unreadable" }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buf, buf.count)
        return String(decoding: buf[0..<max(n, 0)], as: UTF8.self)
    }

    private static func entries(_ path: String) -> [String] {
        let fd = open(path, O_RDONLY | O_DIRECTORY | Self.noAtime | O_CLOEXEC)
        guard fd >= 0, let d = fdopendir(fd) else { return ["unreadable"] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            names.append(withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } })
        }
        return names.sorted()
    }
}
