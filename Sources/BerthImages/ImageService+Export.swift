import BerthBase
import BerthContent
import BerthOCI
import CArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ImageService {
    /// Writes the named images as an OCI image-layout tar (oci-layout, index.json, blobs/)
    /// to `fd`, as containerd's exporter does: each index.json entry carries
    /// io.containerd.image.name (the full name) and org.opencontainers.image.ref.name (the tag).
    /// Only the manifests of `platforms` (nil: all present) are written.
    public func export(namespace: String, names: [String], to fd: Int32, outName: String, platforms: [Platform]? = nil,
                       progress: (@Sendable (ImportProgress) -> Void)? = nil) throws(BerthError) {
        guard !names.isEmpty else { throw .invalidArgument("no image to export") }
        var entries: [Descriptor] = []
        var blobs: [Descriptor] = []
        var seen = Set<Digest>()
        for n in names {
            let image = try get(namespace: namespace, n)
            let target = Descriptor(mediaType: image.mediaType, digest: image.digest, size: image.size)
            try exportWalk(namespace: namespace, target, platforms: platforms, image: image.name, blobs: &blobs, seen: &seen, top: true)
            var annotated = target
            let ref = try? Reference.parse(image.name)
            annotated.annotations = [Annotation.containerdImageName: image.name,
                                     Annotation.refName: ref?.tag ?? ref?.digest?.description ?? image.name]
            entries.append(annotated)
        }
        let total = blobs.reduce(Int64(0)) { $0 + $1.size }
        var written: Int64 = 0
        var lastReport: Int64 = 0
        let sink = ByteSink { (b) throws(BerthError) in
            try FileSystem.writeAll(fd, b, path: outName)
            written += Int64(b.count)
            if let progress, written - lastReport >= 4 << 20 {
                lastReport = written
                progress(ImportProgress(bytes: written, total: total))
            }
        }
        let tar = try TarWriter(name: outName, gzip: false, sink: sink)
        try tar.addFile("oci-layout", bytes: Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try tar.addDirectory("blobs")
        try tar.addDirectory("blobs/sha256")
        for b in blobs {
            let blobFD = try content.openBlob(namespace: namespace, b.digest)
            defer { close(blobFD) }
            let e = tar.entry(path: "blobs/sha256/" + b.digest.encoded, type: 0o100000, mode: 0o444, size: b.size)
            defer { archive_entry_free(e) }
            try tar.writeHeader(e)
            try tar.copyData(fd: blobFD, name: content.blobPath(b.digest))
        }
        try tar.addFile("index.json", bytes: try Self.encodeJSON(Index(manifests: entries)))
        try tar.finish()
        progress?(ImportProgress(bytes: written, total: total))
    }

    private func exportWalk(namespace: String, _ d: Descriptor, platforms: [Platform]?, image: String,
                            blobs: inout [Descriptor], seen: inout Set<Digest>, top: Bool) throws(BerthError) {
        guard content.exists(namespace: namespace, d.digest) else {
            if top { throw .notFound("image \(image): content \(d.digest) is missing") }
            return
        }
        if seen.insert(d.digest).inserted { blobs.append(d) }
        let bytes: [UInt8]
        if MediaType.isIndex(d.mediaType) {
            bytes = try content.readBlob(namespace: namespace, d.digest)
            let index: Index = try decodeJSON(bytes, what: "index \(d.digest)")
            for m in index.manifests {
                if let platforms, let p = m.platform, !platforms.contains(where: { $0.matchesStrictly(p) }) { continue }
                try exportWalk(namespace: namespace, m, platforms: platforms, image: image, blobs: &blobs, seen: &seen, top: false)
            }
        } else if MediaType.isManifest(d.mediaType) {
            bytes = try content.readBlob(namespace: namespace, d.digest)
            let m: Manifest = try decodeJSON(bytes, what: "manifest \(d.digest)")
            for child in [m.config] + m.layers {
                guard content.exists(namespace: namespace, child.digest) else {
                    throw .notFound("image \(image): blob \(child.digest) of manifest \(d.digest) is missing")
                }
                if seen.insert(child.digest).inserted { blobs.append(child) }
            }
        }
    }
}
