import BerthBase
import Testing

/// FileSystem's path splitting stands in for NSString's on every container start (Foundation
/// on Linux traps on some of these, such as "a" or "", so the answers are written out).
@Suite struct PathComponentTests {
    @Test(arguments: [
        ("/a/b", "/a", "b"), ("/a/b/", "/a", "b"), ("/a", "/", "a"), ("/", "/", "/"), ("a", "", "a"),
        ("a/b", "a", "b"), ("a/b/", "a", "b"), ("//a", "/", "a"), ("/a//b", "/a", "b"), ("/a/b//", "/a", "b"),
        ("", "", ""), ("./a", ".", "a"), ("../a/b", "../a", "b"), ("/a/.b", "/a", ".b"),
        ("/run/berth/tasks/default/web", "/run/berth/tasks/default", "web"),
    ])
    func splits(_ path: String, _ parent: String, _ last: String) {
        #expect(FileSystem.parentDirectory(path) == parent)
        #expect(FileSystem.lastComponent(path) == last)
    }
}
