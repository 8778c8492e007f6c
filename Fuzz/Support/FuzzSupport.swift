import BerthBase
import Foundation

// Each fuzz target defines libFuzzer's entry, LLVMFuzzerTestOneInput (libFuzzer's own main
// runs it), and keeps its set-up in lazily initialised globals.

/// The input libFuzzer passes, as bytes.
public func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
}

/// A property every input must keep. A violation traps, which libFuzzer reports as a finding
/// and saves the input for.
public func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("finding: \(message())") }
}

/// A fresh directory under $TMPDIR for a target's scratch files (scripts/fuzz points TMPDIR
/// at a directory it removes afterwards).
public func scratchDirectory(_ label: String) -> String {
    var template = Array("\(ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")/berth-fuzz-\(label)-XXXXXX".utf8CString)
    guard let p = mkdtemp(&template) else { fatalError("mkdtemp: \(String(cString: strerror(errno)))") }
    return String(cString: p)
}

/// Everything about a tree that a write, chmod, chown, rename, link or touch would change:
/// one line per entry (path, type and mode, owner, size, mtime, ctime, and the content or
/// link target), in path order. Reading it changes only access times.
public func treeState(_ path: String) -> [String] {
    var out: [String] = []
    func visit(_ p: String, _ rel: String) {
        var st = stat()
        guard lstat(p, &st) == 0 else { out.append("\(rel): lstat: \(String(cString: strerror(errno)))"); return }
        var line = "\(rel) \(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid) \(st.st_size)"
        line += " m\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) c\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)"
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            line += " " + ((try? String(decoding: FileSystem.readFile(p), as: UTF8.self).debugDescription) ?? "unreadable")
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: 4097)
            let n = readlink(p, &buf, 4096)
            line += " -> " + (n >= 0 ? String(cString: buf) : "unreadable")
        default:
            break
        }
        out.append(line)
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in (FileSystem.directoryEntries(p) ?? ["<unreadable>"]).sorted() { visit(p + "/" + name, rel + "/" + name) }
        }
    }
    visit(path, ".")
    return out
}
