import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// The command line itself: where global options may stand, help, and one-line errors.
@Suite struct CLIGlobalOptionsTests {
    @Test func globalOptionsBeforeOrAfterTheCommand() throws {
        let tmp = try TempRoot("cli"); defer { tmp.cleanup() }
        let berth = BuiltProducts.berth
        try Command.check([berth, "--root", tmp.paths.root, "--state=" + tmp.paths.state, "-n", "team-a",
                           "namespaces", "create", "team-b"])
        let listed = try Command.check([berth, "namespaces", "ls", "-q", "--root", tmp.paths.root, "--state", tmp.paths.state])
        #expect(listed.split(separator: "\n") == ["team-b"])
        // A leading -n applies to the command, as ctr's does: the namespace is validated.
        let bad = try Command.run([berth, "--root", tmp.paths.root, "--state", tmp.paths.state, "-n", "bad ns", "images", "ls"])
        #expect(bad.status == 2)
        #expect(bad.stderr == "berth: invalid namespace name \"bad ns\": want letters, digits, '.', '_' or '-', starting with a letter\n")
    }

    @Test func runHelpIsHelpNotAnImage() throws {
        for flag in ["--help", "-h"] {
            let r = try Command.run([BuiltProducts.berth, "run", flag])
            #expect(r.status == 0)
            #expect(r.stdout.contains("OVERVIEW: Run a command in a new container."))
            #expect(r.stderr.isEmpty)
        }
    }
}
