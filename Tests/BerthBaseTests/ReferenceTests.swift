import BerthBase
import BerthOCI
import Testing

@Suite struct ReferenceTests {
    @Test(arguments: [
        ("busybox", "docker.io/library/busybox:latest"),
        ("busybox:1.36", "docker.io/library/busybox:1.36"),
        ("user/app", "docker.io/user/app:latest"),
        ("index.docker.io/library/alpine:3", "docker.io/library/alpine:3"),
        ("localhost:5000/x/y:z", "localhost:5000/x/y:z"),
        ("quay.io/a/b", "quay.io/a/b:latest"),
        ("Registry.Example.com/a/b:v1", "Registry.Example.com/a/b:v1"),
        ("[::1]:5000/a", "[::1]:5000/a:latest"),
        ("my-registry:443/team/app", "my-registry:443/team/app:latest"),
        ("ghcr.io/o/r@sha256:" + String(repeating: "a", count: 64), "ghcr.io/o/r@sha256:" + String(repeating: "a", count: 64)),
    ])
    func normalises(_ input: String, _ expected: String) throws {
        #expect(try Reference.normalize(input) == expected)
    }

    @Test(arguments: ["", "Busybox", "a//b", "x:", "x@sha256:zz", "-a", "a/b:-bad", "UPPER.io/ok:tag:x",
                      "host:12a/x", "exa_mple.com/x", "-bad.io/x", "bad-.io/x", "\u{E9}/x", "r\u{E9}g.io/x", "h:/x"])
    func rejects(_ input: String) {
        #expect(throws: BerthError.self) { try Reference.parse(input) }
    }

    @Test func chainIDsFollowTheSpec() throws {
        let a = try Digest("sha256:" + String(repeating: "1", count: 64))
        let b = try Digest("sha256:" + String(repeating: "2", count: 64))
        let chain = ChainID.chain([a, b])
        #expect(chain[0] == a)
        #expect(chain[1] == Digest.sha256(Array("\(a) \(b)".utf8)))
    }

    @Test func platformsNormaliseAndMatchStrictly() throws {
        #expect(try Platform.parse("linux/x86_64") == Platform(architecture: "amd64", os: "linux"))
        #expect(try Platform.parse("linux/arm").variant == "v7")
        #expect(try Platform.parse("linux/aarch64/v8").variant == nil)
        #expect(Platform(architecture: "amd64", os: "linux").matchesStrictly(Platform(architecture: "x86_64", os: "linux")))
        #expect(!Platform(architecture: "amd64", os: "linux").matchesStrictly(Platform(architecture: "386", os: "linux")))
        #expect(throws: BerthError.self) { try Platform.parse("linux//") }
    }
}
