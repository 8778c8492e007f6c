import BerthBase
import CBerthMount
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One mount as containerd describes it: a type, a source and options. A snapshot's mounts
/// are a list applied in order at one target (berth produces a single mount per snapshot).
public struct Mount: Codable, Sendable, Hashable {
    public var type: String
    public var source: String
    public var options: [String]

    public init(type: String, source: String, options: [String]) {
        self.type = type
        self.source = source
        self.options = options
    }

    public var isReadOnly: Bool { options.contains("ro") }

    /// The options that are attributes of the mount rather than of the file system.
    static let attributeOptions: [String: UInt32] = [
        "ro": BERTH_MOUNT_RDONLY, "nosuid": BERTH_MOUNT_NOSUID, "nodev": BERTH_MOUNT_NODEV, "noexec": BERTH_MOUNT_NOEXEC,
    ]
    var attributes: UInt32 { options.reduce(0) { $0 | (Self.attributeOptions[$1] ?? 0) } }

    /// The overlay lower directories, topmost first (empty for other types).
    public var lowerDirs: [String] {
        guard type == "overlay", let o = options.first(where: { $0.hasPrefix("lowerdir=") }) else { return [] }
        return o.dropFirst("lowerdir=".count).split(separator: ":").map(String.init)
    }

    public var upperDir: String? { option("upperdir") }
    public var workDir: String? { option("workdir") }

    func option(_ key: String) -> String? {
        options.first(where: { $0.hasPrefix(key + "=") }).map { String($0.dropFirst(key.count + 1)) }
    }

    /// Mounts `mounts` in order at `target` (an existing directory). If one fails, those
    /// already made are unmounted again, so a failure leaves nothing mounted.
    public static func mountAll(_ mounts: [Mount], at target: String) throws(BerthError) {
        var done = 0
        do throws(BerthError) {
            for m in mounts {
                try m.mount(at: target)
                done += 1
            }
        } catch {
            for _ in 0..<done { try? unmount(target) }
            throw error
        }
    }

    /// The same mount, `volatile` when it is an overlay (its upper layer is never synced).
    public var volatile: Mount {
        guard type == "overlay", !options.contains("volatile") else { return self }
        var m = self
        m.options.append("volatile")
        return m
    }

    /// Mounts this one mount at `target`.
    public func mount(at target: String) throws(BerthError) {
        switch type {
        case "bind", "rbind":
            try bindMount(at: target)
        case "overlay":
            try overlayMount(at: target)
        default:
            throw .invalidArgument("mount \(target): unsupported mount type \(type.debugDescription)")
        }
    }

    private func bindMount(at target: String) throws(BerthError) {
        var flags = UInt(MS_BIND)
        if options.contains("rbind") || type == "rbind" { flags |= UInt(MS_REC) }
        guard Glibc.mount(source, target, nil, flags, nil) == 0 else {
            throw .system("bind mount \(source) at", target)
        }
        var remount = UInt(0)
        if isReadOnly { remount |= UInt(MS_RDONLY) }
        if options.contains("nosuid") { remount |= UInt(MS_NOSUID) }
        if options.contains("nodev") { remount |= UInt(MS_NODEV) }
        if options.contains("noexec") { remount |= UInt(MS_NOEXEC) }
        if remount != 0 {
            // A bind mount takes these flags only on a remount of itself.
            guard Glibc.mount(nil, target, nil, UInt(MS_REMOUNT | MS_BIND) | remount, nil) == 0 else {
                let e = errno
                umount2(target, Int32(MNT_DETACH))
                throw .system("remount \(options.filter { Self.attributeOptions[$0] != nil }.joined(separator: ",")):", target, errno: e)
            }
        }
    }

    /// Overlays go through fsopen/fsconfig so each lower directory is its own parameter:
    /// no limit from the page-sized mount(2) data string, whatever the number of layers.
    private func overlayMount(at target: String) throws(BerthError) {
        var params: [(String, String?)] = []
        for o in options {
            if o == "rw" || Self.attributeOptions[o] != nil { continue }
            if o.hasPrefix("lowerdir=") {
                for dir in lowerDirs { params.append(("lowerdir+", dir)) }
            } else if let eq = o.firstIndex(of: "=") {
                params.append((String(o[..<eq]), String(o[o.index(after: eq)...])))
            } else {
                params.append((o, nil))
            }
        }
        var keys = params.map { strdup($0.0) }
        var values = params.map { $0.1.map { strdup($0) } ?? nil }
        defer { keys.forEach { free($0) }; values.forEach { free($0) } }
        var err = [CChar](repeating: 0, count: 1024)
        let rc = keys.withUnsafeMutableBufferPointer { k in
            values.withUnsafeMutableBufferPointer { v in
                k.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: k.count) { kp in
                    v.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: v.count) { vp in
                        berth_fsmount("overlay", source, kp, vp, params.count, attributes, target, &err, err.count)
                    }
                }
            }
        }
        guard rc == 0 else {
            let e = errno
            if e == EINVAL, options.contains("volatile") {
                // A kernel before 5.10 has no volatile overlays: a usual one does.
                var plain = self
                plain.options.removeAll { $0 == "volatile" }
                return try plain.overlayMount(at: target)
            }
            let detail = String(decoding: err.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            var error = BerthError.system("mount overlay at", target, errno: e)
            if !detail.isEmpty { error.message += " (\(detail))" }
            throw error
        }
    }

    /// Unmounts what is mounted at `target` (the topmost mount). A busy mount is retried
    /// briefly, then detached lazily so it goes away once its last user does.
    public static func unmount(_ target: String) throws(BerthError) {
        for attempt in 0..<50 {
            if umount2(target, 0) == 0 { return }
            let e = errno
            if e == EINVAL || e == ENOENT {
                throw .system("unmount", target, errno: e)
            }
            if e != EBUSY { throw .system("unmount", target, errno: e) }
            if attempt == 49 { break }
            usleep(20_000)
        }
        guard umount2(target, Int32(MNT_DETACH)) == 0 else { throw .system("unmount", target) }
    }

    /// Unmounts every mount stacked at `target`; a target with nothing mounted is fine.
    public static func unmountAll(_ target: String) throws(BerthError) {
        while isMountPoint(target) {
            try unmount(target)
        }
    }

    /// Whether something is mounted exactly at `path`.
    public static func isMountPoint(_ path: String) -> Bool {
        mountPoints().contains((path as NSString).standardizingPath)
    }

    /// Mount points of this mount namespace, from /proc/self/mountinfo (octal escapes decoded).
    public static func mountPoints() -> [String] {
        guard let text = try? FileSystem.readString("/proc/self/mountinfo") else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 5)
            return fields.count > 4 ? unescapeMountInfo(String(fields[4])) : nil
        }
    }

    private static func unescapeMountInfo(_ s: String) -> String {
        guard s.utf8.contains(UInt8(ascii: "\\")) else { return s }
        var out = [UInt8](), bytes = Array(s.utf8), i = 0
        while i < bytes.count {
            if bytes[i] == 92, i + 3 < bytes.count,
               let v = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v); i += 4
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
