/// The one error type of berth's core. Every failure that reaches a user carries a code
/// (what kind of failure, for exit statuses and callers' decisions) and a one-line message
/// that names the culprit: the file, digest, field, image or entry at fault.
public struct BerthError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Codable {
        case notFound
        case alreadyExists
        case invalidArgument
        case failedPrecondition
        /// Someone else holds the resource (an ingest ref, a lock).
        case locked
        case unavailable
        case permissionDenied
        case `internal`
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        guard let underlying else { return message }
        let detail = (underlying as? BerthError)?.description ?? String(describing: underlying)
        return detail.isEmpty ? message : "\(message): \(detail)"
    }

    public static func notFound(_ m: String) -> BerthError { BerthError(.notFound, m) }
    public static func alreadyExists(_ m: String) -> BerthError { BerthError(.alreadyExists, m) }
    public static func invalidArgument(_ m: String) -> BerthError { BerthError(.invalidArgument, m) }
    public static func failedPrecondition(_ m: String) -> BerthError { BerthError(.failedPrecondition, m) }
    public static func locked(_ m: String) -> BerthError { BerthError(.locked, m) }
    public static func unavailable(_ m: String) -> BerthError { BerthError(.unavailable, m) }
    public static func `internal`(_ m: String) -> BerthError { BerthError(.internal, m) }
}

/// An errno captured at the failing call, so messages read like `open /x: No such file or directory`.
public struct Errno: Error, CustomStringConvertible, Sendable, Equatable {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public static var current: Errno { Errno(errno) }
    public var description: String { String(cString: strerror(code)) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension BerthError {
    /// A failed system call on `path`, e.g. `mkdir /var/lib/berth: Permission denied`.
    public static func system(_ op: String, _ path: String, errno e: Int32 = errno) -> BerthError {
        let code: Code
        switch e {
        case ENOENT: code = .notFound
        case EEXIST: code = .alreadyExists
        case EACCES, EPERM: code = .permissionDenied
        case EINVAL: code = .invalidArgument
        case EBUSY: code = .failedPrecondition
        default: code = .internal
        }
        return BerthError(code, "\(op) \(path): \(Errno(e))")
    }
}
