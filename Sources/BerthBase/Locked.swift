import Foundation

/// A value behind a lock, for small shared state across threads (flags, caches).
/// Inlinable, so that callers get `withLock` specialized for their types: an unspecialized
/// generic call makes a fresh process build each result type's metadata at first use.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let lock = NSLock()
    @usableFromInline var value: Value
    public init(_ value: Value) { self.value = value }

    @inlinable
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    @inlinable public var current: Value { withLock { $0 } }
}
