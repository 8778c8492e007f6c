import BerthCore
import Foundation
import Testing
@testable import BerthRuntime

@Suite struct OptionParsingTests {
    static let sizes: [(String, Int64)] = [
        ("1048576", 1_048_576), ("512k", 524_288), ("512m", 536_870_912), ("1g", 1_073_741_824), ("1.5g", 1_610_612_736),
        ("64MiB", 67_108_864), ("100MB", 104_857_600), ("7M", 7_340_032), ("10b", 10),
    ]

    @Test(arguments: sizes)
    func byteSizes(_ s: String, _ want: Int64) throws {
        #expect(try OptionParsing.byteSize(s) == want)
    }

    @Test(arguments: ["", "abc", "-1", "1x", "0", "m", "1.2.3g", "1e9", " 5m"])
    func badByteSizes(_ s: String) {
        #expect { try OptionParsing.byteSize(s) } throws: { ($0 as? BerthError)?.message.contains(s.debugDescription) == true }
    }

    @Test func memoryMinimum() {
        #expect(throws: BerthError.self) { try OptionParsing.memoryLimit("1m") }
        #expect((try? OptionParsing.memoryLimit("6m")) == 6 << 20)
    }

    @Test func cpusAndPids() throws {
        #expect(try OptionParsing.cpus("0.5") == .init(quota: 50_000, period: 100_000))
        #expect(try OptionParsing.cpus("2") == .init(quota: 200_000, period: 100_000))
        for bad in ["0", "-1", "abc", "nan", "0.001", "inf"] {
            #expect(throws: BerthError.self) { try OptionParsing.cpus(bad) }
        }
        #expect(try OptionParsing.pidsLimit("20") == 20)
        #expect(throws: BerthError.self) { try OptionParsing.pidsLimit("0") }
        #expect(throws: BerthError.self) { try OptionParsing.pidsLimit("x") }
    }

    @Test func users() throws {
        #expect(try OptionParsing.UserSpec("1000") == .init("1000"))
        let u = try OptionParsing.UserSpec("app:wheel")
        #expect(u.user == "app" && u.group == "wheel")
        for bad in ["", ":", "a:", ":b", "a:b:c", "a b"] {
            #expect(throws: BerthError.self) { try OptionParsing.UserSpec(bad) }
        }
    }

    @Test func mounts() throws {
        let m = try OptionParsing.mount("type=bind,src=/tmp,dst=/data,options=ro")
        #expect(m == Spec.Mount(destination: "/data", type: "bind", source: "/tmp", options: ["rbind", "rprivate", "ro"]))
        #expect(try OptionParsing.mount("source=/tmp,target=/x,readonly").options?.contains("ro") == true)
        for bad in ["type=tmpfs,dst=/x", "src=relative,dst=/x", "src=/tmp,dst=rel", "src=/tmp", "src=/tmp,dst=/a/../b",
                    "src=/tmp,dst=/x,options=bogus", "src=/tmp,dst=/x,what=1", "src=/does/not/exist,dst=/x"] {
            #expect(throws: BerthError.self, "\(bad)") { try OptionParsing.mount(bad) }
        }
    }

    @Test func ids() throws {
        for good in ["a", "web-1", "a.b_c", String(repeating: "x", count: 76)] { try OptionParsing.validateID(good) }
        for bad in ["", "-a", "a-", "a--b", "a b", "a/b", String(repeating: "x", count: 77), "ü"] {
            #expect(throws: BerthError.self, "\(bad)") { try OptionParsing.validateID(bad) }
        }
    }

    @Test func envValues() throws {
        #expect(try OptionParsing.env("A=1", host: [:]) == "A=1")
        #expect(try OptionParsing.env("HOME", host: ["HOME": "/root"]) == "HOME=/root")
        #expect(try OptionParsing.env("MISSING", host: [:]) == nil)
        #expect(throws: BerthError.self) { try OptionParsing.env("=x", host: [:]) }
    }
}

@Suite struct UserLookupTests {
    @Test func resolvesNamesFromTheRootfs() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n".write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\napp:x:1001:\nwheel:x:10:app,other\naudio:x:29:app\n".write(toFile: root + "/etc/group", atomically: true, encoding: .utf8)
        #expect(try UserLookup.resolve(.init("app"), rootfs: root) == Spec.User(uid: 1000, gid: 1001, additionalGids: [10, 29]))
        #expect(try UserLookup.resolve(.init("app:wheel"), rootfs: root) == Spec.User(uid: 1000, gid: 10))
        #expect(try UserLookup.resolve(.init("1000"), rootfs: root) == Spec.User(uid: 1000, gid: 1001, additionalGids: [10, 29]))
        #expect(try UserLookup.resolve(.init("4242:7"), rootfs: root) == Spec.User(uid: 4242, gid: 7))
        #expect { try UserLookup.resolve(.init("nobody"), rootfs: root) } throws: { ($0 as? BerthError)?.message.contains("nobody") == true }
        #expect(throws: BerthError.self) { try UserLookup.resolve(.init("app:nogroup"), rootfs: root) }
    }

    @Test func deviceTakesDockersSpellings() throws {
        let null = Spec.Device(type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0)
        #expect(try OptionParsing.device("/dev/null") == DeviceRequest(node: null, access: "rwm"))
        #expect(try OptionParsing.device("/dev/null:r") == DeviceRequest(node: null, access: "r"))
        var moved = null
        moved.path = "/dev/other"
        #expect(try OptionParsing.device("/dev/null:/dev/other") == DeviceRequest(node: moved, access: "rwm"))
        #expect(try OptionParsing.device("/dev/null:/dev/other:mw") == DeviceRequest(node: moved, access: "mw"))
        for bad in ["", "dev/null", "/dev/null:rr", "/dev/null:/x:q", "/dev/null:/a/../b", "/dev/null:/", "/a:/b:r:w", "/etc/hostname"] {
            #expect(throws: BerthError.self, "\(bad)") { try OptionParsing.device(bad) }
        }
    }
}
