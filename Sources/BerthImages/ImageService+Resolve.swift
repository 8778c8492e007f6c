import BerthBase
import BerthContent
import BerthMetadata
import BerthOCI
import Foundation

/// The outcome of checking an archive: names with their targets, and the GC labels each
/// parent blob gets so its children stay alive once the image exists.
struct ResolvedImport {
    var images: [(name: String, target: Descriptor)] = []
    var gcLabels: [Digest: Labels] = [:]
}

extension ImageService {
    /// Reads the archive's index (OCI layout) or manifest.json (docker save), verifies every
    /// blob the selected images need against its descriptor, and names the images.
    func resolve(namespace: String, scan: ArchiveScan, source: String, options: ImportOptions, lease: String) throws(BerthError) -> ResolvedImport {
        var walker = Walker(service: self, namespace: namespace, source: source, wanted: options.wanted)
        if let indexBytes = scan.metadataFiles["index.json"] {
            let index: Index = try decodeJSON(indexBytes, what: "\(source): index.json")
            var out = ResolvedImport()
            for m in index.manifests {
                let names = try Self.names(for: m, options: options, source: source)
                if names.isEmpty { continue }
                try walker.checkTop(m, names: names)
                for n in names { out.images.append((n, Self.target(m))) }
            }
            if out.images.isEmpty, scan.metadataFiles["manifest.json"] != nil {
                return try resolveDocker(namespace: namespace, scan: scan, source: source, options: options, lease: lease)
            }
            guard !out.images.isEmpty else {
                throw .invalidArgument("\(source): index.json names no image (no \(Annotation.refName) annotation); use --base-name or --digests")
            }
            out.gcLabels = walker.labels
            return out
        }
        if scan.metadataFiles["manifest.json"] != nil {
            return try resolveDocker(namespace: namespace, scan: scan, source: source, options: options, lease: lease)
        }
        throw .invalidArgument("\(source): not an image archive: neither index.json (OCI layout) nor manifest.json (docker save) found")
    }

    /// The record's target: the descriptor without the layout's annotations.
    static func target(_ d: Descriptor) -> Descriptor {
        Descriptor(mediaType: d.mediaType, digest: d.digest, size: d.size, platform: d.platform)
    }

    /// Image names for an index.json entry, as ctr derives them.
    static func names(for m: Descriptor, options: ImportOptions, source: String) throws(BerthError) -> [String] {
        var raw: [String] = []
        if let n = m.annotations?[Annotation.containerdImageName], !n.isEmpty {
            raw.append(n)
        } else if let r = m.annotations?[Annotation.refName], !r.isEmpty, let t = translate(r, baseName: options.baseName) {
            raw.append(t)
        }
        if options.digests { raw.append("\(options.baseName ?? defaultBaseName)@\(m.digest)") }
        var out: [String] = []
        for n in raw {
            do { out.append(try Reference.normalize(n)) } catch {
                throw .invalidArgument("\(source): image name \(n.debugDescription) is not a valid reference")
            }
        }
        return out
    }

    static var defaultBaseName: String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "UTC")
        return "import-" + f.string(from: Date())
    }

    /// ctr's ref translators: a tag-only ref.name gets the base name prepended; with an
    /// explicit base name, full names outside it are dropped.
    static func translate(_ ref: String, baseName: String?) -> String? {
        let image = baseName ?? defaultBaseName
        if ref.contains(where: { "/:@".contains($0) }) {
            if let baseName, !isImagePrefix(ref, baseName) { return nil }
            return ref
        }
        return image + ":" + ref
    }

    static func isImagePrefix(_ s: String, _ prefix: String) -> Bool {
        guard s.hasPrefix(prefix) else { return false }
        guard s.count > prefix.count else { return true }
        return "/:@".contains(s[s.index(s.startIndex, offsetBy: prefix.count)])
    }

    /// docker save: manifest.json lists config and layer files; berth writes a Docker schema 2
    /// manifest for each entry, with layer media types from the layers' magic bytes.
    private func resolveDocker(namespace: String, scan: ArchiveScan, source: String, options: ImportOptions, lease: String) throws(BerthError) -> ResolvedImport {
        struct Entry: Decodable { var Config: String; var RepoTags: [String]?; var Layers: [String] }
        let entries: [Entry] = try decodeJSON(scan.metadataFiles["manifest.json"]!, what: "\(source): manifest.json")
        var out = ResolvedImport()
        var platformsSeen: [String] = []
        for e in entries {
            guard let cfg = scan.blob(e.Config) else {
                throw .invalidArgument("\(source): manifest.json: config \(e.Config.debugDescription) is not in the archive")
            }
            let configBytes = try content.readBlob(namespace: namespace, cfg.digest)
            let config: ImageConfig = try decodeJSON(configBytes, what: "\(source): config \(e.Config)")
            var layers: [Descriptor] = []
            for l in e.Layers {
                guard let b = scan.blob(l) else {
                    throw .invalidArgument("\(source): manifest.json: layer \(l.debugDescription) is not in the archive")
                }
                let magic = b.magic.isEmpty ? try readMagic(namespace: namespace, b.digest) : b.magic
                layers.append(Descriptor(mediaType: Self.dockerLayerType(magic), digest: b.digest, size: b.size))
            }
            guard layers.count == config.rootfs.diff_ids.count else {
                throw .invalidArgument("\(source): config \(e.Config): \(config.rootfs.diff_ids.count) diff_ids for \(layers.count) layers")
            }
            let platform = config.platform
            platformsSeen.append(platform.description)
            if let wanted = options.wanted, !wanted.contains(where: { $0.matchesStrictly(platform) }) { continue }
            let manifest = Manifest(mediaType: MediaType.dockerManifest,
                                    config: Descriptor(mediaType: MediaType.dockerConfig, digest: cfg.digest, size: cfg.size),
                                    layers: layers)
            let bytes = try Self.encodeJSON(manifest)
            let (digest, size) = try storeBytes(namespace: namespace, bytes, lease: lease)
            var labels: Labels = [GCLabel.contentPrefix + "config": cfg.digest.description]
            for (i, l) in layers.enumerated() { labels[GCLabel.contentPrefix + "l.\(i)"] = l.digest.description }
            out.gcLabels[digest] = labels
            let desc = Descriptor(mediaType: MediaType.dockerManifest, digest: digest, size: size)
            var names: [String] = []
            for t in e.RepoTags ?? [] {
                do { names.append(try Reference.normalize(t)) } catch {
                    throw .invalidArgument("\(source): manifest.json: image name \(t.debugDescription) is not a valid reference")
                }
            }
            if options.digests {
                names.append(try Reference.normalize("\(options.baseName ?? Self.defaultBaseName)@\(digest)"))
            }
            for n in names { out.images.append((n, desc)) }
        }
        if out.images.isEmpty {
            if let wanted = options.wanted, !platformsSeen.isEmpty, out.gcLabels.isEmpty {
                throw .notFound("\(source): no image for platform \(wanted.map(\.description).joined(separator: ", ")) (archive has \(platformsSeen.joined(separator: ", ")))")
            }
            throw .invalidArgument("\(source): manifest.json names no image (no RepoTags); use --digests")
        }
        return out
    }

    /// Docker schema 2 layer media types by compression, as containerd assigns them.
    static func dockerLayerType(_ magic: [UInt8]) -> String {
        if magic.starts(with: [0x1f, 0x8b]) { return MediaType.dockerLayerGzip }
        if magic.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) { return MediaType.dockerLayerZstd }
        return MediaType.dockerLayer
    }

    private func readMagic(namespace: String, _ digest: Digest) throws(BerthError) -> [UInt8] {
        let fd = try content.openBlob(namespace: namespace, digest)
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 8)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, 8) }
        return Array(buf.prefix(max(0, n)))
    }

    /// Commits bytes built in memory (a manifest, a config, an index) under the lease.
    func storeBytes(namespace: String, _ bytes: [UInt8], lease: String?) throws(BerthError) -> (Digest, Int64) {
        let digest = Digest.sha256(bytes)
        if let size = try content.adopt(namespace: namespace, digest, lease: lease) { return (digest, size) }
        let w = try content.writer(namespace: namespace, ref: "store-\(digest)", lease: lease)
        defer { w.close() }
        if w.offset > 0 { w.abort(); return try storeBytes(namespace: namespace, bytes, lease: lease) }
        try w.write(bytes)
        return try w.commit(size: Int64(bytes.count), digest: digest)
    }

    static func encodeJSON<T: Encodable>(_ v: T) throws(BerthError) -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return Array(try enc.encode(v)) } catch { throw .internal("encode JSON: \(error)") }
    }
}

/// Manifests, indexes and configs are decoded by hand when they are plain (the usual case,
/// and much cheaper for a short-lived process); anything else goes through JSONDecoder,
/// whose errors name what is wrong.
func decodeManifest(_ bytes: [UInt8], what: String) throws(BerthError) -> Manifest {
    if let v = JSONValue.parse(bytes), let m = Manifest(fast: v) { return m }
    return try decodeJSON(bytes, what: what)
}

func decodeIndex(_ bytes: [UInt8], what: String) throws(BerthError) -> Index {
    if let v = JSONValue.parse(bytes), let i = Index(fast: v) { return i }
    return try decodeJSON(bytes, what: what)
}

func decodeImageConfig(_ bytes: [UInt8], what: String) throws(BerthError) -> ImageConfig {
    if let v = JSONValue.parse(bytes), let c = ImageConfig(fast: v) { return c }
    return try decodeJSON(bytes, what: what)
}

func decodeJSON<T: Decodable>(_ bytes: [UInt8], what: String) throws(BerthError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch let DecodingError.dataCorrupted(ctx) {
        throw .invalidArgument("\(what): invalid JSON: \(ctx.debugDescription)\(codingPathText(ctx.codingPath))")
    } catch let DecodingError.keyNotFound(key, ctx) {
        throw .invalidArgument("\(what): invalid JSON: missing field \(codingPathText(ctx.codingPath + [key]).dropFirst(4))")
    } catch let DecodingError.typeMismatch(_, ctx) {
        throw .invalidArgument("\(what): invalid JSON: wrong type for field \(codingPathText(ctx.codingPath).dropFirst(4))")
    } catch let DecodingError.valueNotFound(_, ctx) {
        throw .invalidArgument("\(what): invalid JSON: null field \(codingPathText(ctx.codingPath).dropFirst(4))")
    } catch {
        throw .invalidArgument("\(what): invalid JSON: \(error)")
    }
}

private func codingPathText(_ path: [any CodingKey]) -> String {
    guard !path.isEmpty else { return "" }
    return " at " + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
}

/// Walks index -> manifest -> config/layers with the platform filter, verifying that every
/// blob exists in the namespace with the descriptor's size, and collects GC labels.
struct Walker {
    let service: ImageService
    let namespace: String
    let source: String
    let wanted: [Platform]?
    var labels: [Digest: Labels] = [:]

    init(service: ImageService, namespace: String, source: String, wanted: [Platform]?) {
        self.service = service
        self.namespace = namespace
        self.source = source
        self.wanted = wanted
    }

    func matches(_ p: Platform) -> Bool { wanted.map { $0.contains { $0.matchesStrictly(p) } } ?? true }

    mutating func checkTop(_ d: Descriptor, names: [String]) throws(BerthError) {
        guard try walk(d, from: "index.json") else {
            throw .notFound("\(source): no manifest for platform \(wanted!.map(\.description).joined(separator: ", ")) in image \(names[0])")
        }
    }

    /// Verifies that `d`'s blob is present with the right size and returns its bytes when small.
    func blob(_ d: Descriptor, role: String, from parent: String, read: Bool) throws(BerthError) -> [UInt8] {
        let record: ContentRecord
        do { record = try service.content.info(namespace: namespace, d.digest) } catch {
            throw .invalidArgument("\(source): \(parent) references missing blob \(d.digest) (\(role))")
        }
        guard record.size == d.size else {
            throw .invalidArgument("\(source): blob \(d.digest) (\(role)) is \(record.size) bytes, but \(parent) says \(d.size)")
        }
        return read ? try service.content.readBlob(namespace: namespace, d.digest) : []
    }

    /// True when the subtree holds at least one manifest for a wanted platform.
    mutating func walk(_ d: Descriptor, from parent: String) throws(BerthError) -> Bool {
        var mediaType = d.mediaType
        if mediaType.isEmpty {
            struct Probe: Decodable { var mediaType: String?; var manifests: [Descriptor]? }
            let p: Probe = try decodeJSON(try blob(d, role: "manifest", from: parent, read: true), what: "\(source): \(d.digest)")
            mediaType = p.mediaType ?? (p.manifests != nil ? MediaType.ociIndex : MediaType.ociManifest)
        }
        if MediaType.isIndex(mediaType) {
            let bytes = try blob(d, role: "index", from: parent, read: true)
            let index: Index = try decodeJSON(bytes, what: "\(source): index \(d.digest)")
            var kept: [Descriptor] = []
            for m in index.manifests {
                guard MediaType.isIndex(m.mediaType) || MediaType.isManifest(m.mediaType) else {
                    throw .invalidArgument("\(source): index \(d.digest): unknown media type \(m.mediaType.debugDescription) for \(m.digest)")
                }
                if let p = m.platform, !matches(p) { continue }
                if try walk(m, from: "index \(d.digest)") { kept.append(m) }
            }
            var l: Labels = [:]
            for (i, m) in kept.enumerated() { l[GCLabel.contentPrefix + "m.\(i)"] = m.digest.description }
            labels[d.digest] = l
            return !kept.isEmpty
        }
        guard MediaType.isManifest(mediaType) else {
            throw .invalidArgument("\(source): \(parent): unknown media type \(mediaType.debugDescription) for \(d.digest)")
        }
        let bytes = try blob(d, role: "manifest", from: parent, read: true)
        let manifest: Manifest = try decodeJSON(bytes, what: "\(source): manifest \(d.digest)")
        let here = "manifest \(d.digest)"
        guard MediaType.isConfig(manifest.config.mediaType) else {
            throw .invalidArgument("\(source): \(here): unknown config media type \(manifest.config.mediaType.debugDescription)")
        }
        let configBytes = try blob(manifest.config, role: "config", from: here, read: true)
        let config: ImageConfig = try decodeJSON(configBytes, what: "\(source): config \(manifest.config.digest)")
        if d.platform == nil, !matches(config.platform) { return false }
        for (i, layer) in manifest.layers.enumerated() {
            guard MediaType.isLayer(layer.mediaType) else {
                throw .invalidArgument("\(source): \(here): unknown media type \(layer.mediaType.debugDescription) for layer \(i)")
            }
            _ = try blob(layer, role: "layer \(i)", from: here, read: false)
        }
        var l: Labels = [GCLabel.contentPrefix + "config": manifest.config.digest.description]
        for (i, layer) in manifest.layers.enumerated() { l[GCLabel.contentPrefix + "l.\(i)"] = layer.digest.description }
        labels[d.digest] = l
        return true
    }
}
