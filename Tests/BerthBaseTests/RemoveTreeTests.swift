import BerthBase
import Foundation
import Testing

/// Trees that FileSystem.removeTree (snapshot, bundle and ingest removal) must remove whole.
@Suite struct RemoveTreeTests {
    /// Found by the layer fuzz target: a layer may name its files with any bytes, and the
    /// snapshot it made could not be removed when they were not UTF-8 (the names, made into
    /// Strings, no longer named the files: U+FFFD in their place, too long or not there).
    @Test(arguments: [Array(repeating: 0xFF, count: 111), [0xFF], [0x61, 0xC3]] as [[UInt8]])
    func namesThatAreNotUTF8AreRemoved(name: [UInt8]) throws {
        var template = Array("\(ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")/berth-remove-XXXXXX".utf8CString)
        let top = String(cString: try #require(mkdtemp(&template)))
        let dir = Array(top.utf8) + [0x2F] + name, file = dir + [0x2F] + name
        defer {  // by the same bytes, whatever removeTree left
            _ = withPath(file) { unlink($0) }
            _ = withPath(dir) { rmdir($0) }
            rmdir(top)
        }
        #expect(withPath(dir) { mkdir($0, 0o755) } == 0)
        let fd = withPath(file) { creat($0, 0o644) }
        #expect(fd >= 0)
        close(fd)

        try FileSystem.removeTree(top)

        #expect(!FileSystem.exists(top))
    }

    private func withPath<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
        (bytes + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { body($0.baseAddress!) } }
    }
}
