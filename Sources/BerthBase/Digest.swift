import Foundation
import Crypto

/// An OCI content digest, `algorithm:encoded` (image-spec descriptor.md#digests).
/// berth stores and verifies sha256 only; other algorithms are rejected as invalid.
public struct Digest: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let algorithm: String
    public let encoded: String

    public init(_ string: String) throws(BerthError) {
        guard let colon = string.firstIndex(of: ":") else {
            throw .invalidArgument("invalid digest \(string.debugDescription): missing algorithm")
        }
        let algorithm = String(string[..<colon])
        let encoded = String(string[string.index(after: colon)...])
        guard algorithm == "sha256" else {
            throw .invalidArgument("invalid digest \(string.debugDescription): unsupported algorithm \(algorithm.debugDescription)")
        }
        guard encoded.utf8.count == 64, encoded.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw .invalidArgument("invalid digest \(string.debugDescription): want 64 lowercase hex digits")
        }
        self.algorithm = algorithm
        self.encoded = encoded
    }

    public init(sha256Hex: String) {
        self.algorithm = "sha256"
        self.encoded = sha256Hex
    }

    public var description: String { "\(algorithm):\(encoded)" }
    /// The first 12 hex digits, as listings show them.
    public var short: String { String(encoded.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.description < b.description }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        do { self = try Digest(s) } catch { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    /// The digest of a whole buffer.
    public static func sha256<D: DataProtocol>(_ data: D) -> Digest {
        var h = SHA256Digester()
        h.update(data)
        return h.finalize()
    }
}

/// Streaming SHA-256 (BoringSSL's assembly through swift-crypto, near hardware speed).
public struct SHA256Digester {
    private var hasher = SHA256()
    public private(set) var count: Int64 = 0
    public init() {}

    public mutating func update<D: DataProtocol>(_ data: D) {
        hasher.update(data: data)
        count += Int64(data.count)
    }

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: buffer)
        count += Int64(buffer.count)
    }

    public func finalize() -> Digest {
        let bytes = hasher.finalize()
        var hex = ""
        hex.reserveCapacity(64)
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        hex = String(decoding: out, as: UTF8.self)
        return Digest(sha256Hex: hex)
    }
}

