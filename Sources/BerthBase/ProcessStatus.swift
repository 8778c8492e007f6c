/// This process's /proc/self/status, read once: what berth asks of it (its capability sets,
/// its umask) does not change while it runs. Fields are parsed by hand, since every task
/// start asks for some.
public enum ProcessStatus {
    private static let status: [UInt8]? = try? FileSystem.readFile("/proc/self/status")

    /// The number in field `name` ("CapBnd", "Umask", ...) in `radix`; nil when the field is
    /// missing or not a number.
    public static func number(_ name: String, radix: Int) -> UInt64? {
        guard let status else { return nil }
        let key = Array((name + ":").utf8)
        var lineStart = 0
        while lineStart < status.count {
            let lineEnd = status[lineStart...].firstIndex(of: 0x0A) ?? status.count
            if lineEnd - lineStart > key.count, status[lineStart..<lineStart + key.count].elementsEqual(key) {
                let digits = status[(lineStart + key.count)..<lineEnd].filter { $0 != 0x20 && $0 != 0x09 }
                return UInt64(String(decoding: Array(digits), as: UTF8.self), radix: radix)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }
}
