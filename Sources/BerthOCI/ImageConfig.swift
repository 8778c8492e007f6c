import BerthBase

/// image-spec config.md: the image's configuration JSON.
public struct ImageConfig: Codable, Sendable, Hashable {
    public var created: String?
    public var author: String?
    public var architecture: String
    public var os: String
    public var osVersion: String?
    public var variant: String?
    public var config: Config?
    public var rootfs: RootFS
    public var history: [History]?

    enum CodingKeys: String, CodingKey {
        case created, author, architecture, os, variant, config, rootfs, history
        case osVersion = "os.version"
    }

    public init(architecture: String, os: String, variant: String? = nil, config: Config? = nil, rootfs: RootFS, history: [History]? = nil, created: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
        self.config = config
        self.rootfs = rootfs
        self.history = history
        self.created = created
    }

    /// config.md "config" object: the defaults a container is created with.
    public struct Config: Codable, Sendable, Hashable {
        public var User: String?
        public var ExposedPorts: [String: EmptyObject]?
        public var Env: [String]?
        public var Entrypoint: [String]?
        public var Cmd: [String]?
        public var Volumes: [String: EmptyObject]?
        public var WorkingDir: String?
        public var Labels: [String: String]?
        public var StopSignal: String?

        public init(User: String? = nil, Env: [String]? = nil, Entrypoint: [String]? = nil, Cmd: [String]? = nil, WorkingDir: String? = nil, Labels: [String: String]? = nil) {
            self.User = User
            self.Env = Env
            self.Entrypoint = Entrypoint
            self.Cmd = Cmd
            self.WorkingDir = WorkingDir
            self.Labels = Labels
        }
    }

    public struct RootFS: Codable, Sendable, Hashable {
        public var type: String
        public var diff_ids: [Digest]
        public init(diffIDs: [Digest]) { self.type = "layers"; self.diff_ids = diffIDs }
    }

    public struct History: Codable, Sendable, Hashable {
        public var created: String?
        public var created_by: String?
        public var comment: String?
        public var empty_layer: Bool?
        public init(created: String? = nil, created_by: String? = nil, comment: String? = nil, empty_layer: Bool? = nil) {
            self.created = created
            self.created_by = created_by
            self.comment = comment
            self.empty_layer = empty_layer
        }
    }

    public var platform: Platform { Platform(architecture: architecture, os: os, variant: variant, osVersion: osVersion) }
}

/// `{}` in JSON maps such as ExposedPorts.
public struct EmptyObject: Codable, Sendable, Hashable {
    public init() {}
}

/// Chain IDs (image-spec config.md#layer-chainid): chain[0] = diff[0];
/// chain[i] = sha256(chain[i-1] + " " + diff[i]). Snapshots are committed under these.
public enum ChainID {
    public static func chain(_ diffIDs: [Digest]) -> [Digest] {
        var out: [Digest] = []
        out.reserveCapacity(diffIDs.count)
        for d in diffIDs {
            if let last = out.last {
                out.append(Digest.sha256(Array("\(last) \(d)".utf8)))
            } else {
                out.append(d)
            }
        }
        return out
    }
}
