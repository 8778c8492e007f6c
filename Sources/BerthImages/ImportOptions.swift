import BerthBase
import BerthOCI
import Foundation

/// Where an archive comes from: a file, or an open descriptor such as stdin.
public enum ImportSource: Sendable {
    case file(String)
    case descriptor(Int32, name: String)

    public var name: String {
        switch self {
        case .file(let p): return p
        case .descriptor(_, let n): return n
        }
    }
}

/// How `berth images import` chooses what to import and how to name it (ctr's options).
public struct ImportOptions: Sendable {
    /// Platforms to import; empty means the host's. Matching is strict.
    public var platforms: [Platform] = []
    public var allPlatforms = false
    /// ctr's --base-name: names must start with it; tag-only ref names get it prepended.
    public var baseName: String?
    /// ctr's --digests: also name every image `<base-name>@<digest>`.
    public var digests = false
    /// Unpack into a snapshotter after import (wired by the snapshot service).
    public var unpack = true
    public var snapshotter: String?

    public init() {}

    var wanted: [Platform]? { allPlatforms ? nil : (platforms.isEmpty ? [Platform.host] : platforms) }
}

/// Import progress: input bytes consumed and the input's size when known.
public struct ImportProgress: Sendable {
    public var bytes: Int64
    public var total: Int64?
}

/// One image an import created or updated.
public struct ImportedImage: Codable, Sendable, Equatable {
    public var name: String
    public var target: Descriptor
    public var updated: Bool
}
