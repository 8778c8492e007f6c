import BerthBase
#if canImport(Glibc)
import Glibc
#endif

/// The journal's line format, written by hand (see JSONText): the same JSON that
/// `JSONEncoder` with sorted keys and ISO 8601 dates produces (and `JSONDecoder` reads back),
/// without its generic machinery or the time zone database, which cost a short-lived command
/// like `berth run` more than the rest of publishing its seven events.
enum EventLine {
    static func encode(_ e: Event) -> [UInt8] {
        var w = JSONText(capacity: 160)
        w.object { o in
            o.field("attributes") { $0.map(e.attributes) }
            o.field("namespace") { $0.string(e.namespace) }
            o.field("timestamp") { $0.string(iso8601(e.timestamp.timeIntervalSince1970)) }
            o.field("topic") { $0.string(e.topic) }
        }
        return w.bytes
    }

    /// `2026-11-29T05:40:05Z`: whole seconds in UTC, as `.iso8601` writes and reads them.
    static func iso8601(_ seconds: Double) -> String {
        var t = time_t(seconds.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))Z"
    }
}
