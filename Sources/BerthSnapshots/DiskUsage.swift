import BerthBase
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Allocated bytes and inode count of a tree, counting each hard-linked inode once
/// (containerd's fs.DiskUsage). Never follows symlinks or crosses into mounts.
enum DiskUsage {
    static func measure(_ path: String) -> SnapshotUsage {
        var seen = Set<UInt64>()
        var usage = SnapshotUsage()
        var top = stat()
        guard lstat(path, &top) == 0 else { return usage }
        func visit(_ p: String, _ st: stat) {
            if st.st_nlink > 1 {
                guard seen.insert(UInt64(st.st_ino)).inserted else { return }
            }
            usage.size += Int64(st.st_blocks) * 512
            usage.inodes += 1
            guard (st.st_mode & S_IFMT) == S_IFDIR, st.st_dev == top.st_dev, let d = opendir(p) else { return }
            defer { closedir(d) }
            while let e = readdir(d) {
                let name = withUnsafePointer(to: e.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                var cst = stat()
                if lstat(p + "/" + name, &cst) == 0 { visit(p + "/" + name, cst) }
            }
        }
        visit(path, top)
        return usage
    }
}
