import BerthBase
import BerthMetadata
import Foundation

extension ContentStore {
    /// The content store's side of `berth system check`: every recorded blob is on the disk
    /// with its recorded size. A blob without a record is not an inconsistency: it is what an
    /// import in progress or an interrupted one leaves, and garbage collection's to remove.
    /// Nothing here is repaired: a missing or truncated blob is lost data, to be fetched again.
    public func check(_ records: [MetadataInventory.Content]) -> [Inconsistency] {
        var found: [Inconsistency] = []
        var sizes: [String: Int64?] = [:]
        for r in records {
            let onDisk: Int64?
            if let known = sizes[r.digest] {
                onDisk = known
            } else {
                var st = stat()
                let path = (try? Digest(r.digest)).map(blobPath)
                onDisk = path.flatMap { lstat($0, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG ? Int64(st.st_size) : nil }
                sizes[r.digest] = onDisk
            }
            guard let onDisk else {
                found.append(Inconsistency(.content, namespace: r.namespace, r.digest, "blob missing from the content store; import or pull what needs it again"))
                continue
            }
            if onDisk != r.size {
                found.append(Inconsistency(.content, namespace: r.namespace, r.digest, "blob is \(onDisk) bytes on disk, \(r.size) recorded"))
            }
        }
        return found
    }
}
