import BerthBase
import BerthOCI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ImageService {
    public static let demoImageName = "localhost/busybox:latest"

    /// `berth demo`: the image `localhost/busybox:latest` made from the host's statically
    /// linked busybox (Debian's busybox-static), so a machine without network has something
    /// to run. Returns nil when the image already exists.
    public func createDemoImage(namespace: String, busybox: String = "/bin/busybox") throws(BerthError) -> ImportedImage? {
        if (try? get(namespace: namespace, Self.demoImageName)) != nil { return nil }
        try Self.checkStatic(busybox)
        let applets = try Self.applets(busybox)
        var st = stat()
        stat(busybox, &st)
        let created = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec))
        let config = ImageConfig.Config(Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["/bin/sh"])
        return try createSingleLayerImage(namespace: namespace, name: Self.demoImageName, platform: .host, config: config,
                                          created: created, createdBy: "berth demo (busybox \(busybox))") { (tar) throws(BerthError) in
            for (dir, mode) in [("bin", 0o755), ("dev", 0o755), ("etc", 0o755), ("proc", 0o555), ("root", 0o700),
                                ("sbin", 0o755), ("sys", 0o555), ("tmp", 0o1777), ("usr", 0o755), ("usr/bin", 0o755),
                                ("usr/sbin", 0o755), ("var", 0o755)] as [(String, UInt32)] {
                try tar.addDirectory(dir, mode: mode)
            }
            try tar.addFile("bin/busybox", mode: 0o755, from: busybox)
            for a in applets where a != "bin/busybox" {
                try tar.addSymlink(a, target: "/bin/busybox")
            }
            try tar.addFile("etc/passwd", bytes: Array("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n".utf8))
            try tar.addFile("etc/group", bytes: Array("root:x:0:\nnogroup:x:65534:\n".utf8))
        }
    }

    /// Refuses a missing or dynamically linked busybox: the image has no libraries.
    static func checkStatic(_ path: String) throws(BerthError) {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch {
            throw .notFound("\(path) not found: install Debian's busybox-static")
        }
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        func u64(_ o: Int) -> Int { u32(o) | u32(o + 4) << 32 }
        guard bytes.count > 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46], bytes[4] == 2, bytes[5] == 1 else {
            throw .failedPrecondition("\(path) is not a 64-bit little-endian ELF executable")
        }
        let phoff = u64(0x20), phentsize = u16(0x36), phnum = u16(0x38)
        for i in 0..<phnum {
            let o = phoff + i * phentsize
            guard o + 4 <= bytes.count else { break }
            if u32(o) == 3 { // PT_INTERP: needs a dynamic loader
                throw .failedPrecondition("\(path) is dynamically linked: install Debian's busybox-static")
            }
        }
    }

    /// The applets' paths (`bin/sh`, `usr/bin/env`, ...), from `busybox --list-full`.
    static func applets(_ busybox: String) throws(BerthError) -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: busybox)
        p.arguments = ["--list-full"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { throw .failedPrecondition("run \(busybox) --list-full: \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw .failedPrecondition("\(busybox) --list-full exited with status \(p.terminationStatus)") }
        let list = String(decoding: data, as: UTF8.self).split(separator: "\n").map { TarReader.clean(String($0)) }
            .filter { !$0.isEmpty && !$0.contains("..") }
        guard !list.isEmpty else { throw .failedPrecondition("\(busybox) --list-full printed no applets") }
        return Array(Set(list)).sorted()
    }
}
