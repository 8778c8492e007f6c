import BerthCore
import BerthTestSupport
import Foundation

/// Builds OCI image layouts by hand (plain, gzip or zstd layers, multi-platform indexes, and
/// deliberately broken ones) and tars them, for import tests.
final class LayoutBuilder {
    let dir: String
    var index: [Descriptor] = []

    init(_ dir: String) throws {
        self.dir = dir
        try FileSystem.makeDirectories(dir + "/blobs/sha256")
        try FileSystem.writeAtomically(dir + "/oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#)
    }

    @discardableResult
    func blob(_ bytes: [UInt8], mediaType: String, named: Digest? = nil, size: Int64? = nil, platform: Platform? = nil) throws -> Descriptor {
        let d = Digest.sha256(bytes)
        try FileSystem.writeAtomically(dir + "/blobs/sha256/" + (named ?? d).encoded, bytes)
        return Descriptor(mediaType: mediaType, digest: named ?? d, size: size ?? Int64(bytes.count), platform: platform)
    }

    func json<T: Encodable>(_ v: T) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return Array(try e.encode(v))
    }

    /// A layer holding `files` (path -> contents), compressed with `compression`; returns the
    /// descriptor and the diff ID.
    func layer(_ files: [String: String], compression: MediaType.Compression) throws -> (Descriptor, Digest) {
        let src = dir + "/../src-\(UUID().uuidString)"
        defer { try? FileSystem.removeTree(src) }
        for (p, c) in files {
            try FileSystem.makeDirectories(((src + "/" + p) as NSString).deletingLastPathComponent)
            try FileSystem.writeAtomically(src + "/" + p, c)
        }
        let tarPath = src + ".tar"
        defer { unlink(tarPath) }
        try Command.check(["tar", "--numeric-owner", "--owner=0", "--group=0", "-C", src, "-cf", tarPath, "."])
        let plain = try FileSystem.readFile(tarPath)
        var bytes = plain
        var type = MediaType.ociLayer
        switch compression {
        case .none: break
        case .gzip:
            try Command.check(["gzip", "-n", "-f", tarPath])
            bytes = try FileSystem.readFile(tarPath + ".gz"); unlink(tarPath + ".gz")
            type = MediaType.ociLayerGzip
        case .zstd:
            try Command.check(["zstd", "-q", "-f", "--rm", tarPath])
            bytes = try FileSystem.readFile(tarPath + ".zst"); unlink(tarPath + ".zst")
            type = MediaType.ociLayerZstd
        }
        return (try blob(bytes, mediaType: type), Digest.sha256(plain))
    }

    /// A one-layer image manifest for `platform`.
    func image(_ platform: Platform, files: [String: String], compression: MediaType.Compression = .gzip,
               layerMediaType: String? = nil) throws -> Descriptor {
        var (layer, diffID) = try self.layer(files, compression: compression)
        if let layerMediaType { layer.mediaType = layerMediaType }
        let config = ImageConfig(architecture: platform.architecture, os: platform.os, variant: platform.variant,
                                 config: .init(Cmd: ["/bin/sh"]), rootfs: .init(diffIDs: [diffID]))
        let c = try blob(try json(config), mediaType: MediaType.ociConfig)
        let m = Manifest(config: c, layers: [layer])
        return try blob(try json(m), mediaType: MediaType.ociManifest)
    }

    func indexBlob(_ manifests: [Descriptor]) throws -> Descriptor {
        try blob(try json(Index(manifests: manifests)), mediaType: MediaType.ociIndex)
    }

    func add(_ d: Descriptor, refName: String) {
        var d = d
        d.annotations = [Annotation.refName: refName]
        index.append(d)
    }

    /// Writes index.json and tars the layout into `out`.
    func tar(to out: String, indexJSON: [UInt8]? = nil) throws {
        try FileSystem.writeAtomically(dir + "/index.json", try indexJSON ?? json(Index(manifests: index)))
        try Command.check(["tar", "-C", dir, "-cf", out, "."])
    }
}

/// Runs the berth binary on a temporary root.
struct BerthCLI {
    let tmp: TempRoot
    var env: [String: String] { ["BERTH_ROOT": tmp.paths.root, "BERTH_STATE": tmp.paths.state] }

    @discardableResult
    func run(_ args: [String], stdin: Data? = nil) throws -> CommandResult {
        try Command.run([BuiltProducts.berth] + args, stdin: stdin, environment: env)
    }

    @discardableResult
    func check(_ args: [String]) throws -> String {
        let r = try run(args)
        guard r.succeeded else { throw BerthError.internal("berth \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)") }
        return r.stdout
    }

    func imageNames() throws -> [String] {
        try check(["images", "ls", "-q"]).split(separator: "\n").map(String.init)
    }

    func blobs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: tmp.paths.blobsDir)) ?? []).sorted()
    }

    func ingests() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: tmp.paths.ingestDir)) ?? []).sorted()
    }
}

/// A scratch directory removed at the end of a test.
struct Scratch {
    let dir: String
    init(_ label: String) throws {
        var t = Array("/tmp/berth-img-\(label)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&t) else { throw BerthError.internal("mkdtemp failed") }
        dir = String(cString: p)
    }
    func cleanup() { try? FileSystem.removeTree(dir) }
}

/// A platform that is not the host's, for multi-platform tests.
var foreignPlatform: Platform {
    Platform.host.architecture == "arm64" ? Platform(architecture: "amd64", os: "linux") : Platform(architecture: "arm64", os: "linux")
}
