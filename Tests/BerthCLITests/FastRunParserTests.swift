@testable import berth
import Testing

@Suite struct FastRunParserTests {
    /// Command lines the fast path takes: it must read them exactly as ArgumentParser does.
    static let accepted: [[String]] = [
        ["img"],
        ["--rm", "img", "/bin/true"],
        ["--rm", "-it", "--name", "web", "img", "sh", "-c", "echo hi; exit 3"],
        ["-d", "-t", "-i", "img"],
        ["-ti", "img", "ls", "-la", "--color"],
        ["--env", "A=1", "-e", "B", "--env=C=3", "-w", "/work", "-u", "1000:100", "--hostname", "h", "img"],
        ["--mount", "type=bind,src=/a,dst=/b,options=ro", "--mount=type=bind,src=/c,dst=/d", "img"],
        ["--device", "/dev/fuse", "--device=/dev/null:/dev/n:r", "--device", "/dev/zero:rw", "img"],
        ["--net", "host", "--read-only", "--privileged", "--cap-add", "NET_ADMIN", "--cap-drop", "CHOWN", "--cap-add=SYS_TIME", "img"],
        ["--seccomp-profile", "unconfined", "-m", "512m", "--memory=1g", "--cpus", "0.5", "--cpu-shares", "512", "--pids-limit", "64", "img"],
        ["-l", "a=b", "--label", "c=d", "--detach-keys", "ctrl-a,x", "--entrypoint", "", "img"],
        ["--root", "/r", "--state=/s", "-n", "team", "--namespace", "other", "--rootfs", "/dir", "sh"],
        ["--name", "x", "--name", "y", "img"],
    ]

    /// Spellings left to ArgumentParser (it prints help or its own error for them).
    static let declined: [[String]] = [
        ["--help"], ["-h"], ["--help", "img"], ["-h", "img"], ["--", "img"], ["--bogus", "img"], ["-x", "img"],
        ["-ite", "A=1", "img"], ["--name"], ["--name", "--rm", "img"], ["--cpu-shares", "lots", "img"], ["--rm=yes", "img"],
    ]

    @Test(arguments: accepted)
    func agreesWithArgumentParser(_ line: [String]) throws {
        let fast = try #require(FastRunParser.parse(line[...]), "declined \(line)")
        let full = try RunCommand.parse(line).request
        #expect(fast == full, "\(line)")
    }

    @Test(arguments: declined)
    func declinesWhatItDoesNotKnow(_ line: [String]) {
        #expect(FastRunParser.parse(line[...]) == nil, "\(line)")
    }

    @Test func helpWhereTheImageWouldStandIsDeclined() {
        #expect(FastRunParser.parse(["--rm", "-h"]) == nil)
        #expect(FastRunParser.parse(["--rm", "--help"]) == nil)
    }
}
