import BerthBase
import BerthContent
import BerthMetadata
import BerthTestSupport
import Foundation
import Testing

@Suite struct ContentStoreTests {
    func store(_ tmp: TempRoot) throws -> ContentStore {
        ContentStore(paths: tmp.paths, metadata: try MetadataStore(path: tmp.paths.metadataDB))
    }

    func blobFiles(_ tmp: TempRoot) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: tmp.paths.blobsDir)) ?? []).sorted()
    }

    @Test func ingestCommitAndRead() throws {
        let tmp = try TempRoot("content")
        defer { tmp.cleanup() }
        let cs = try store(tmp)
        let data = Array("hello, berth".utf8)
        let w = try cs.writer(namespace: "default", ref: "r1", expectedSize: Int64(data.count))
        try w.write(data)
        let (digest, size) = try w.commit(digest: Digest.sha256(data), labels: ["a": "b"])
        #expect(digest == Digest.sha256(data))
        #expect(size == Int64(data.count))
        #expect(try cs.readBlob(namespace: "default", digest) == data)
        #expect(try cs.info(namespace: "default", digest).labels == ["a": "b"])
        #expect(blobFiles(tmp) == [digest.encoded])
        // Read-only on disk, visible only in the namespace that ingested it.
        var st = stat()
        stat(cs.blobPath(digest), &st)
        #expect(st.st_mode & 0o777 == 0o444)
        #expect(throws: BerthError.self) { try cs.info(namespace: "other", digest) }
        #expect(cs.activeIngests(namespace: "default").isEmpty)
    }

    @Test func resumeAfterInterruptedWrite() throws {
        let tmp = try TempRoot("content")
        defer { tmp.cleanup() }
        let cs = try store(tmp)
        let data = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let w1 = try cs.writer(namespace: "default", ref: "big", expectedSize: Int64(data.count))
        try w1.write(Array(data[0..<123_457]))
        w1.close()
        let active = cs.activeIngests(namespace: "default")
        #expect(active.map(\.ref) == ["big"])
        #expect(active.first?.offset == 123_457)
        #expect(active.first?.total == Int64(data.count))
        #expect(blobFiles(tmp).isEmpty)

        let w2 = try cs.writer(namespace: "default", ref: "big", expectedSize: Int64(data.count))
        #expect(w2.offset == 123_457)
        try w2.write(Array(data[Int(w2.offset)...]))
        let (digest, _) = try w2.commit(digest: Digest.sha256(data))
        #expect(digest == Digest.sha256(data))
        #expect(try cs.readBlob(namespace: "default", digest) == data)
    }

    @Test func secondWriterIsLocked() throws {
        let tmp = try TempRoot("content")
        defer { tmp.cleanup() }
        let cs = try store(tmp)
        let w1 = try cs.writer(namespace: "default", ref: "x")
        do {
            _ = try cs.writer(namespace: "default", ref: "x")
            Issue.record("second writer was not refused")
        } catch let e as BerthError {
            #expect(e.code == .locked)
            #expect(e.message == "ref x is locked")
        }
        #expect(cs.activeIngests(namespace: "default").first?.locked == true)
        w1.close()
        let w2 = try cs.writer(namespace: "default", ref: "x")
        w2.abort()
        #expect(cs.activeIngests(namespace: "default").isEmpty)
    }

    @Test func mismatchLeavesNothingInBlobs() throws {
        let tmp = try TempRoot("content")
        defer { tmp.cleanup() }
        let cs = try store(tmp)
        let data = Array("payload".utf8)
        let w = try cs.writer(namespace: "default", ref: "d")
        try w.write(data)
        #expect(throws: BerthError.self) { try w.commit(digest: Digest.sha256(Array("other".utf8))) }
        #expect(blobFiles(tmp).isEmpty)
        #expect(cs.activeIngests(namespace: "default").isEmpty)

        let w2 = try cs.writer(namespace: "default", ref: "s")
        try w2.write(data)
        #expect(throws: BerthError.self) { try w2.commit(size: 3) }
        #expect(blobFiles(tmp).isEmpty)

        let w3 = try cs.writer(namespace: "default", ref: "t", expectedSize: 2)
        #expect(throws: BerthError.self) { try w3.write(data) }
        w3.abort()
        #expect(blobFiles(tmp).isEmpty)
        #expect(try cs.list(namespace: "default").isEmpty)
    }

    @Test func blobSharedAcrossNamespacesIsDeletedWithTheLastReference() throws {
        let tmp = try TempRoot("content")
        defer { tmp.cleanup() }
        let cs = try store(tmp)
        let data = Array("shared".utf8)
        for ns in ["a", "b"] {
            let w = try cs.writer(namespace: ns, ref: "r")
            try w.write(data)
            try w.commit()
        }
        let d = Digest.sha256(data)
        try cs.remove(namespace: "a", d)
        #expect(blobFiles(tmp) == [d.encoded])
        #expect(try cs.readBlob(namespace: "b", d) == data)
        try cs.remove(namespace: "b", d)
        #expect(blobFiles(tmp).isEmpty)
    }

    @Test func labels() throws {
        let tmp = try TempRoot("content")
        defer { tmp.cleanup() }
        let cs = try store(tmp)
        let w = try cs.writer(namespace: "default", ref: "l")
        try w.write(Array("x".utf8))
        let (d, _) = try w.commit(labels: ["k1": "v1"])
        try cs.setLabels(namespace: "default", d, ["k2": "v2", "k1": ""])
        #expect(try cs.info(namespace: "default", d).labels == ["k2": "v2"])
        #expect(throws: BerthError.self) { try cs.setLabels(namespace: "default", Digest.sha256(Array("nope".utf8)), ["a": "b"]) }
    }
}
