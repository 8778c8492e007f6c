import BerthBase
import Foundation
import Testing

/// FileSystem's path splitting stands in for NSString's on every container start: the same
/// answers for every shape of path.
@Suite struct PathComponentTests {
    // Not "": Foundation's own deletingLastPathComponent traps on it (ours gives "").
    static let paths = ["/a/b", "/a/b/", "/a", "/", "a", "a/b", "a/b/", "//a", "/a//b", "/a/b//", "./a", "../a/b", "/a/.b"]

    @Test func emptyPath() {
        #expect(FileSystem.parentDirectory("") == "")
        #expect(FileSystem.lastComponent("") == "")
    }

    @Test(arguments: paths)
    func parentDirectoryAsNSString(_ p: String) {
        #expect(FileSystem.parentDirectory(p) == (p as NSString).deletingLastPathComponent)
    }

    @Test(arguments: paths)
    func lastComponentAsNSString(_ p: String) {
        #expect(FileSystem.lastComponent(p) == (p as NSString).lastPathComponent)
    }
}
