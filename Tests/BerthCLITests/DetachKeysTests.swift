@testable import berth
import Testing

/// `--detach-keys` as Docker reads it: ctrl-<letter or @[\]^_> or one ASCII character, comma
/// separated, case-insensitive.
@Suite struct DetachKeysTests {
    @Test func keysBecomeTheirBytes() throws {
        #expect(try AttachSession.parseDetachKeys("ctrl-p,ctrl-q") == [16, 17])
        #expect(try AttachSession.parseDetachKeys("CTRL-P,Ctrl-Q") == [16, 17])
        #expect(try AttachSession.parseDetachKeys("ctrl-@,ctrl-[,ctrl-_") == [0, 27, 31])
        #expect(try AttachSession.parseDetachKeys("a,ctrl-a,Z") == [97, 1, 90])
        #expect(try AttachSession.parseDetachKeys("") == [])
    }

    @Test(arguments: ["ctrl-", "ctrl-1", "ctrl-pp", "ab", "é", "ctrl-é", "ctrl-p,,ctrl-q", ","])
    func badKeysAreRefused(_ keys: String) {
        #expect { try AttachSession.parseDetachKeys(keys) } throws: { error in
            "\(error)".contains("invalid detach keys \(keys.debugDescription)")
        }
    }
}
