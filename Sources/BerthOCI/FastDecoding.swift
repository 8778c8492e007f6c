import BerthBase

/// Manifests, indexes and image configs from a parsed JSONValue, for the image read of every
/// `berth run`. Each returns exactly what its Codable conformance decodes, or nil for anything
/// it does not handle the same way (a wrong type, a fraction where an integer belongs, an
/// invalid digest...): the caller then decodes with JSONDecoder, whose errors say what is wrong.
private enum Field {
    /// A member, nil when absent or null: for a required member the caller bails, for an
    /// optional one that is what decodeIfPresent gives.
    static func required(_ v: JSONValue, _ key: String) -> JSONValue? {
        guard let m = v[key], m != .null else { return nil }
        return m
    }

    static func optional(_ v: JSONValue, _ key: String) -> JSONValue? { required(v, key) }

    /// For an optional member: .some(nil) when it is missing, .some(value) when it is a string,
    /// nil (bail) when it is anything else. `strings` and `stringMap` likewise.
    static func string(_ v: JSONValue?) -> String?? {
        guard let v else { return .some(nil) }
        guard case .string(let s) = v else { return nil }
        return .some(s)
    }

    static func strings(_ v: JSONValue?) -> [String]?? {
        guard let v else { return .some(nil) }
        guard case .array(let items) = v else { return nil }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { return nil }
            out.append(s)
        }
        return .some(out)
    }

    static func stringMap(_ v: JSONValue?) -> [String: String]?? {
        guard let v else { return .some(nil) }
        guard case .object(let members) = v else { return nil }
        var out: [String: String] = [:]
        for (k, m) in members {
            guard case .string(let s) = m else { return nil }
            out[k] = s
        }
        return .some(out)
    }

    static func int64(_ v: JSONValue?) -> Int64? {
        guard case .number(let text)? = v else { return nil }
        return Int64(text)
    }

    static func digest(_ v: JSONValue?) -> Digest? {
        guard case .string(let s)? = v else { return nil }
        return try? Digest(s)
    }
}

extension Platform {
    init?(fast v: JSONValue) {
        guard case .object = v,
              case .string(let architecture)? = Field.required(v, "architecture"),
              case .string(let os)? = Field.required(v, "os"),
              let variant = Field.string(Field.optional(v, "variant")),
              let osVersion = Field.string(Field.optional(v, "os.version")),
              let osFeatures = Field.strings(Field.optional(v, "os.features")) else { return nil }
        self.init(architecture: architecture, os: os, variant: variant, osVersion: osVersion)
        self.osFeatures = osFeatures
    }
}

extension Descriptor {
    init?(fast v: JSONValue) {
        guard case .object = v,
              case .string(let mediaType)? = Field.required(v, "mediaType"),
              let digest = Field.digest(Field.required(v, "digest")),
              let size = Field.int64(Field.required(v, "size")),
              let urls = Field.strings(Field.optional(v, "urls")),
              let annotations = Field.stringMap(Field.optional(v, "annotations")),
              let artifactType = Field.string(Field.optional(v, "artifactType")) else { return nil }
        var platform: Platform?
        if let p = Field.optional(v, "platform") {
            guard let decoded = Platform(fast: p) else { return nil }
            platform = decoded
        }
        self.init(mediaType: mediaType, digest: digest, size: size, annotations: annotations, platform: platform)
        self.urls = urls
        self.artifactType = artifactType
    }

    static func list(fast v: JSONValue?) -> [Descriptor]? {
        guard case .array(let items)? = v else { return nil }
        var out: [Descriptor] = []
        for item in items {
            guard let d = Descriptor(fast: item) else { return nil }
            out.append(d)
        }
        return out
    }
}

extension Manifest {
    public init?(fast v: JSONValue) {
        guard case .object = v,
              let schemaVersion = Field.int64(Field.required(v, "schemaVersion")).flatMap({ Int(exactly: $0) }),
              let mediaType = Field.string(Field.optional(v, "mediaType")),
              let artifactType = Field.string(Field.optional(v, "artifactType")),
              let configJSON = Field.required(v, "config"), let config = Descriptor(fast: configJSON),
              let layers = Descriptor.list(fast: Field.required(v, "layers")),
              let annotations = Field.stringMap(Field.optional(v, "annotations")) else { return nil }
        var subject: Descriptor?
        if let s = Field.optional(v, "subject") {
            guard let decoded = Descriptor(fast: s) else { return nil }
            subject = decoded
        }
        self.init(config: config, layers: layers, annotations: annotations)
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.subject = subject
    }
}

extension Index {
    public init?(fast v: JSONValue) {
        guard case .object = v,
              let schemaVersion = Field.int64(Field.required(v, "schemaVersion")).flatMap({ Int(exactly: $0) }),
              let mediaType = Field.string(Field.optional(v, "mediaType")),
              let manifests = Descriptor.list(fast: Field.required(v, "manifests")),
              let annotations = Field.stringMap(Field.optional(v, "annotations")) else { return nil }
        self.init(mediaType: mediaType, manifests: manifests, annotations: annotations)
        self.schemaVersion = schemaVersion
    }
}

extension ImageConfig {
    public init?(fast v: JSONValue) {
        guard case .object = v,
              case .string(let architecture)? = Field.required(v, "architecture"),
              case .string(let os)? = Field.required(v, "os"),
              let created = Field.string(Field.optional(v, "created")),
              let author = Field.string(Field.optional(v, "author")),
              let osVersion = Field.string(Field.optional(v, "os.version")),
              let variant = Field.string(Field.optional(v, "variant")),
              let rootfsJSON = Field.required(v, "rootfs"), case .object = rootfsJSON,
              case .string(let rootfsType)? = Field.required(rootfsJSON, "type"),
              case .array(let diffItems)? = Field.required(rootfsJSON, "diff_ids") else { return nil }
        var diffIDs: [Digest] = []
        for item in diffItems {
            guard let d = Field.digest(item) else { return nil }
            diffIDs.append(d)
        }
        var config: Config?
        if let c = Field.optional(v, "config") {
            guard let decoded = Config(fast: c) else { return nil }
            config = decoded
        }
        var history: [History]?
        if let h = Field.optional(v, "history") {
            guard case .array(let items) = h else { return nil }
            var out: [History] = []
            for item in items {
                guard let entry = History(fast: item) else { return nil }
                out.append(entry)
            }
            history = out
        }
        var rootfs = RootFS(diffIDs: diffIDs)
        rootfs.type = rootfsType
        self.init(architecture: architecture, os: os, variant: variant, config: config, rootfs: rootfs, history: history, created: created)
        self.author = author
        self.osVersion = osVersion
    }
}

extension ImageConfig.Config {
    init?(fast v: JSONValue) {
        guard case .object = v,
              let user = Field.string(Field.optional(v, "User")),
              let env = Field.strings(Field.optional(v, "Env")),
              let entrypoint = Field.strings(Field.optional(v, "Entrypoint")),
              let cmd = Field.strings(Field.optional(v, "Cmd")),
              let workingDir = Field.string(Field.optional(v, "WorkingDir")),
              let labels = Field.stringMap(Field.optional(v, "Labels")),
              let stopSignal = Field.string(Field.optional(v, "StopSignal")),
              let exposedPorts = Self.emptyObjects(Field.optional(v, "ExposedPorts")),
              let volumes = Self.emptyObjects(Field.optional(v, "Volumes")) else { return nil }
        self.init(User: user, Env: env, Entrypoint: entrypoint, Cmd: cmd, WorkingDir: workingDir, Labels: labels)
        self.StopSignal = stopSignal
        self.ExposedPorts = exposedPorts
        self.Volumes = volumes
    }

    /// `{"80/tcp": {}}`: every value an object (its members ignored, as EmptyObject's are).
    private static func emptyObjects(_ v: JSONValue?) -> [String: EmptyObject]?? {
        guard let v else { return .some(nil) }
        guard case .object(let members) = v else { return nil }
        var out: [String: EmptyObject] = [:]
        for (k, m) in members {
            guard case .object = m else { return nil }
            out[k] = EmptyObject()
        }
        return .some(out)
    }
}

extension ImageConfig.History {
    init?(fast v: JSONValue) {
        guard case .object = v,
              let created = Field.string(Field.optional(v, "created")),
              let createdBy = Field.string(Field.optional(v, "created_by")),
              let comment = Field.string(Field.optional(v, "comment")) else { return nil }
        var emptyLayer: Bool?
        switch Field.optional(v, "empty_layer") {
        case nil: emptyLayer = nil
        case .bool(let b)?: emptyLayer = b
        default: return nil
        }
        self.init(created: created, created_by: createdBy, comment: comment, empty_layer: emptyLayer)
    }
}
