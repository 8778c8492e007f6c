import BerthBase
import BerthMetadata
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An ingest in progress, as `berth content active` lists it.
public struct IngestStatus: Codable, Sendable, Equatable {
    public var namespace: String
    public var ref: String
    public var offset: Int64
    public var total: Int64?
    public var startedAt: Date
    public var updatedAt: Date
    /// Whether a writer holds it right now.
    public var locked: Bool
}

extension ContentStore {
    /// The ingest directory of `ref` in `namespace`: `<root>/content/ingest/<sha256(ns/ref)>`.
    func ingestDir(namespace: String, ref: String) -> String {
        paths.ingestDir + "/" + Digest.sha256(Array(ingestKey(namespace: namespace, ref: ref).utf8)).encoded
    }

    func ingestKey(namespace: String, ref: String) -> String { namespace + "/" + ref }

    /// Opens the writer for `ref`, resuming from the data already there. Only one writer per
    /// ref: a second gets a `locked` error until the first closes, commits or aborts.
    /// `lease` makes the ingest and the committed blob part of that lease.
    public func writer(namespace: String, ref: String, expectedSize: Int64? = nil, lease: String? = nil) throws(BerthError) -> ContentWriter {
        try NamespaceName.validate(namespace)
        guard !ref.isEmpty, ref.utf8.count <= 1024 else { throw .invalidArgument("invalid ingest ref \(ref.debugDescription)") }
        if let expectedSize, expectedSize < 0 { throw .invalidArgument("invalid expected size \(expectedSize)") }
        try FileSystem.makeDirectories(paths.ingestDir, mode: 0o711)
        try FileSystem.makeDirectories(paths.blobsDir, mode: 0o711)
        if let lease {
            try metadata.write { tx in
                try tx.leases.addResource(namespace: namespace, lease: lease,
                                           LeaseResource(kind: LeaseStore.ingestKind, id: ref))
            }
        }
        let dir = ingestDir(namespace: namespace, ref: ref)
        return try ContentWriter(store: self, namespace: namespace, ref: ref, dir: dir, expectedSize: expectedSize, lease: lease)
    }

    /// Ingests in progress in `namespace`.
    public func activeIngests(namespace: String) -> [IngestStatus] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.ingestDir)) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap { ingestStatus(dir: paths.ingestDir + "/" + $0) }
            .filter { $0.namespace == namespace }
            .sorted { $0.ref < $1.ref }
    }

    func ingestStatus(dir: String) -> IngestStatus? {
        guard let key = try? FileSystem.readString(dir + "/ref"), let slash = key.firstIndex(of: "/") else { return nil }
        var st = stat()
        guard stat(dir + "/data", &st) == 0 else { return nil }
        let started = (try? FileSystem.readString(dir + "/startedat")).flatMap(LeaseStore.parseTime) ?? Date(timeIntervalSince1970: Double(st.st_ctim.tv_sec))
        // `updatedat` is written when a writer opens or closes; data's mtime is fresher while
        // one is writing (or after one was killed).
        let mtime = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
        let stamp = (try? FileSystem.readString(dir + "/updatedat")).flatMap(LeaseStore.parseTime)
        let updated = max(mtime, stamp ?? mtime)
        let total = (try? FileSystem.readString(dir + "/total")).flatMap { Int64($0) }
        var locked = false
        let fd = open(dir + "/data", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            if flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK { locked = true }
            close(fd)
        }
        return IngestStatus(namespace: String(key[..<slash]), ref: String(key[key.index(after: slash)...]),
                            offset: Int64(st.st_size), total: total, startedAt: started, updatedAt: updated, locked: locked)
    }

    /// Removes an ingest nobody is writing to.
    public func abortIngest(namespace: String, ref: String) throws(BerthError) {
        let dir = ingestDir(namespace: namespace, ref: ref)
        guard FileSystem.exists(dir) else { throw .notFound("ingest \(ref.debugDescription) not found") }
        let fd = open(dir + "/data", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 { throw .locked("ref \(ref) is locked") }
        }
        try FileSystem.removeTree(try retire(dir))
    }

    /// Renames an ingest directory out of the way (to `.retired-*`, which listings skip) so
    /// that it can be removed without racing a writer that opens the same ref.
    func retire(_ dir: String) throws(BerthError) -> String {
        let to = paths.ingestDir + "/.retired-" + UUID().uuidString.lowercased()
        guard rename(dir, to) == 0 else { throw .system("rename", dir) }
        return to
    }

    /// Removes ingests that no writer holds, no live lease protects, and that have not been
    /// written to for `idle` seconds (what an interrupted writer without a lease leaves).
    public func removeStaleIngests(leased: Set<String>, idle: TimeInterval) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.ingestDir)) ?? []
        var removed: [String] = []
        for n in names {
            let dir = paths.ingestDir + "/" + n
            guard !n.hasPrefix("."), let s = ingestStatus(dir: dir) else {
                // A directory without ref or data is the remains of a crash during creation;
                // a retired one, of a crash during commit or abort (which take milliseconds).
                var st = stat()
                let limit = n.hasPrefix(".retired-") ? min(idle, 60) : idle
                if lstat(dir, &st) == 0, Date().timeIntervalSince1970 - Double(st.st_mtim.tv_sec) > limit {
                    try? FileSystem.removeTree(dir)
                }
                continue
            }
            let key = ingestKey(namespace: s.namespace, ref: s.ref)
            guard !s.locked, !leased.contains(key), Date().timeIntervalSince(s.updatedAt) > idle else { continue }
            if (try? abortIngest(namespace: s.namespace, ref: s.ref)) != nil { removed.append(key) }
        }
        return removed
    }
}

/// One writer on one ingest ref: appends data, hashing as it goes, and commits the result
/// into the blob store after checking size and digest. Not shared between threads.
public final class ContentWriter {
    public let namespace: String
    public let ref: String
    public let lease: String?
    /// Bytes already in the ingest: a resumed writer starts here and the caller skips that
    /// much of its input.
    public private(set) var offset: Int64
    let store: ContentStore
    let dir: String
    let expectedSize: Int64?
    private var fd: Int32
    private var digester = SHA256Digester()
    private var dataPath: String { dir + "/data" }

    init(store: ContentStore, namespace: String, ref: String, dir: String, expectedSize: Int64?, lease: String?) throws(BerthError) {
        self.store = store
        self.namespace = namespace
        self.ref = ref
        self.dir = dir
        self.expectedSize = expectedSize
        self.lease = lease
        self.offset = 0
        self.fd = -1
        let data = dir + "/data"
        // Retry when another writer removed the directory between our open and our lock.
        var attempts = 0
        while true {
            attempts += 1
            if mkdir(dir, 0o700) != 0 && errno != EEXIST { throw .system("mkdir", dir) }
            let f = open(data, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard f >= 0 else {
                if errno == ENOENT && attempts < 5 { continue }
                throw .system("open", data)
            }
            if flock(f, LOCK_EX | LOCK_NB) != 0 {
                Glibc.close(f)
                throw .locked("ref \(ref) is locked")
            }
            var a = stat(), b = stat()
            if fstat(f, &a) == 0, stat(data, &b) == 0, a.st_ino == b.st_ino, a.st_dev == b.st_dev {
                fd = f
                break
            }
            Glibc.close(f)
            if attempts >= 5 { throw .unavailable("ingest \(ref) keeps changing under us") }
        }
        if !FileSystem.exists(dir + "/ref") {
            try FileSystem.writeAtomically(dir + "/ref", store.ingestKey(namespace: namespace, ref: ref))
            try FileSystem.writeAtomically(dir + "/startedat", LeaseStore.formatTime(Date()))
        }
        if let expectedSize { try FileSystem.writeAtomically(dir + "/total", String(expectedSize)) }
        try FileSystem.writeAtomically(dir + "/updatedat", LeaseStore.formatTime(Date()))
        try rehashExisting()
    }

    deinit { close() }

    /// Resuming: hash what an earlier writer left, and continue after it.
    private func rehashExisting() throws(BerthError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system("stat", dataPath) }
        guard st.st_size > 0 else { return }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: ContentStore.bufferSize, alignment: 16)
        defer { buf.deallocate() }
        var off: Int64 = 0
        while true {
            let n = pread(fd, buf.baseAddress, buf.count, off_t(off))
            if n < 0 { if errno == EINTR { continue }; throw .system("read", dataPath) }
            if n == 0 { break }
            digester.update(UnsafeRawBufferPointer(rebasing: buf[0..<n]))
            off += Int64(n)
        }
        offset = off
        if let expectedSize, offset > expectedSize {
            throw .failedPrecondition("ingest \(ref) already holds \(offset) bytes, more than the expected \(expectedSize)")
        }
        lseek(fd, off_t(offset), SEEK_SET)
    }

    /// Appends bytes, hashing them on the way.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(BerthError) {
        guard fd >= 0 else { throw .failedPrecondition("ingest \(ref) is closed") }
        if let expectedSize, offset + Int64(bytes.count) > expectedSize {
            throw .invalidArgument("ingest \(ref): more data than the expected size \(expectedSize)")
        }
        digester.update(bytes)
        try FileSystem.writeAll(fd, bytes, path: dataPath)
        offset += Int64(bytes.count)
    }

    public func write(_ bytes: [UInt8]) throws(BerthError) {
        let r = bytes.withUnsafeBytes { b in Result { () throws(BerthError) in try write(b) } }
        try r.get()
    }

    /// The digest of everything written so far.
    public var digest: Digest { digester.finalize() }

    /// Checks size and digest, fsyncs, renames the data into blobs/ and records the
    /// namespace's row (and the lease's reference) in one step. A mismatch removes the
    /// ingest, so nothing unverified survives; a short write keeps it for resuming.
    @discardableResult
    public func commit(size: Int64? = nil, digest expected: Digest? = nil, labels: Labels = [:]) throws(BerthError) -> (digest: Digest, size: Int64) {
        guard fd >= 0 else { throw .failedPrecondition("ingest \(ref) is closed") }
        let want = size ?? expectedSize
        if let want, offset != want {
            if offset < want {
                throw .failedPrecondition("ingest \(ref): short content, \(offset) of \(want) bytes written")
            }
            abort()
            throw .invalidArgument("ingest \(ref): size \(offset) does not match expected size \(want)")
        }
        let actual = digester.finalize()
        if let expected, expected != actual {
            abort()
            throw .invalidArgument("ingest \(ref): digest \(actual) does not match expected digest \(expected)")
        }
        guard fsync(fd) == 0 else { throw .system("fsync", dataPath) }
        fchmod(fd, 0o444)
        let blob = store.blobPath(actual)
        let size = offset
        // Take the ingest out of its path first, while still holding its lock, so a writer
        // that opens the same ref from now on starts a fresh directory instead of one that
        // is about to be removed.
        let retired = try store.retire(dir)
        defer { try? FileSystem.removeTree(retired) }
        let lock = try ContentLock(path: store.lockPath, exclusive: false)
        defer { lock.release() }
        if !FileSystem.exists(blob) {
            guard rename(retired + "/data", blob) == 0 else { throw .system("rename", blob) }
            FileSystem.syncDirectory(store.paths.blobsDir)
        }
        let ns = namespace, lease = self.lease, ref = self.ref
        try store.metadata.write { tx in
            try tx.content.upsert(namespace: ns, digest: actual, size: size, labels: labels)
            if let lease {
                try tx.leases.addResource(namespace: ns, lease: lease, LeaseResource(kind: LeaseStore.contentKind, id: actual.description))
                try tx.leases.removeResource(namespace: ns, lease: lease, LeaseResource(kind: LeaseStore.ingestKind, id: ref))
            }
        }
        lock.release()
        close()
        return (actual, size)
    }

    /// Stops writing and keeps the data for a later writer to resume.
    public func close() {
        guard fd >= 0 else { return }
        if FileSystem.exists(dir) { try? FileSystem.writeAtomically(dir + "/updatedat", LeaseStore.formatTime(Date())) }
        Glibc.close(fd)
        fd = -1
    }

    /// Stops writing and removes the ingest.
    public func abort() {
        if let retired = try? store.retire(dir) { try? FileSystem.removeTree(retired) }
        close()
    }
}
