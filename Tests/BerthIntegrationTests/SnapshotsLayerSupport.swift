import BerthCore
import BerthTestSupport
import Foundation

/// Builds tar layers for snapshot tests with Python's tarfile, which writes any name,
/// type and attribute (including the malicious ones an image builder never would).
enum TestLayer {
    static let prelude = """
    import tarfile, io, sys
    t = tarfile.open(sys.argv[1], "w" + sys.argv[2], format=tarfile.PAX_FORMAT)
    def _add(i, data=None):
        t.addfile(i, io.BytesIO(data) if data is not None else None)
    def f(name, data=b"", mode=0o644, uid=0, gid=0, xattrs=None):
        i = tarfile.TarInfo(name); i.size = len(data); i.mode = mode; i.uid = uid; i.gid = gid; i.mtime = 1700000000
        if xattrs: i.pax_headers = {"SCHILY.xattr." + k: v for k, v in xattrs.items()}
        _add(i, data)
    def d(name, mode=0o755, uid=0, gid=0):
        i = tarfile.TarInfo(name); i.type = tarfile.DIRTYPE; i.mode = mode; i.uid = uid; i.gid = gid; i.mtime = 1600000000
        _add(i)
    def l(name, target):
        i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; i.mode = 0o777
        _add(i)
    def h(name, target):
        i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = target; i.mode = 0o644
        _add(i)
    def c(name, major, minor):
        i = tarfile.TarInfo(name); i.type = tarfile.CHRTYPE; i.devmajor = major; i.devminor = minor; i.mode = 0o600
        _add(i)
    def p(name):
        i = tarfile.TarInfo(name); i.type = tarfile.FIFOTYPE; i.mode = 0o644
        _add(i)

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
