@testable import berth
import Foundation
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

/// The fast parser knows exactly the options ArgumentParser declares for `berth run`, and reads
/// each of them, in every spelling, as ArgumentParser does.
@Suite struct RunOptionDeclarationTests {
    struct Declared: Equatable, CustomStringConvertible {
        var long: String, short: Character?, isFlag: Bool
        var description: String { "--\(long)\(short.map { "/-\($0)" } ?? "")\(isFlag ? "" : " VALUE")" }
    }

    /// What ArgumentParser declares for `run`, from its own description of the command tree.
    static func declaredByArgumentParser() throws -> [Declared] {
        var dump = ""
        do { _ = try Berth.parseAsRoot(["--experimental-dump-help"]) } catch { dump = Berth.fullMessage(for: error) }
        struct Tree: Decodable {
            struct Name: Decodable { var kind: String; var name: String }
            struct Argument: Decodable { var kind: String; var names: [Name]? }
            struct Command: Decodable { var commandName: String; var arguments: [Argument]?; var subcommands: [Command]? }
            var command: Command
        }
        let tree = try JSONDecoder().decode(Tree.self, from: Data(dump.utf8))
        let run = try #require(tree.command.subcommands?.first { $0.commandName == "run" })
        return (run.arguments ?? []).compactMap { a in
            guard a.kind != "positional", let names = a.names,
                  let long = names.first(where: { $0.kind == "long" })?.name, long != "help" else { return nil }
            return Declared(long: long, short: names.first { $0.kind == "short" }.map { Character($0.name) }, isFlag: a.kind == "flag")
        }
    }

    @Test func bothParsersDeclareTheSameOptions() throws {
        let declared = try Self.declaredByArgumentParser().sorted { $0.long < $1.long }
        let fast = FastRunParser.options.map { Declared(long: $0.long, short: $0.short, isFlag: $0.kind == .flag) }.sorted { $0.long < $1.long }
        #expect(declared.count > 20)
        #expect(fast == declared)
    }

    @Test func everyOptionIsReadAsArgumentParserReadsIt() throws {
        for o in try Self.declaredByArgumentParser() {
            var spellings: [[String]] = o.isFlag ? [["--\(o.long)"]] : [["--\(o.long)", "7"], ["--\(o.long)=7"]]
            if let s = o.short { spellings.append(o.isFlag ? ["-\(s)"] : ["-\(s)", "7"]) }
            for spelling in spellings {
                let line = spelling + ["img", "cmd"]
                let fast = FastRunParser.parse(line[...])
                #expect(fast != nil, "the fast parser declines \(line)")
                #expect(try fast == RunCommand.parse(line).request, "\(line)")
            }
        }
    }
}

@Suite struct RunUnknownOptionTests {
    /// The passthrough capture of IMAGE [COMMAND...] would take an undeclared option for the image.
    @Test func anUnknownOptionIsRefusedNotTakenForTheImage() {
        #expect(throws: (any Error).self) { try RunCommand.parse(["--bogus", "img"]) }
        #expect(FastRunParser.parse(["--bogus", "img"]) == nil)
    }
}
