import BerthTestSupport
import Foundation
import Testing

@Suite(.serialized) struct PrivateContainerdTests {
    @Test(.enabled(if: Privilege.canRunRootTests))
    func startsAnswersAndCleansUp() throws {
        let c = try PrivateContainerd.start()
        let dir = c.dir
        let version = try c.ctr(["version"])
        #expect(version.contains("Server:"))
        c.stop()
        #expect(!FileManager.default.fileExists(atPath: dir))
        #expect(Mounts.mounts(under: dir).isEmpty)
    }
}
