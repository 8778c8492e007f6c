/// One thing `berth system check` found out of step between berth's records and the machine:
/// a record without its blob or directory, a directory, mount, cgroup or process that no record
/// accounts for.
public struct Inconsistency: Codable, Sendable, Equatable {
    public enum Area: String, Codable, Sendable {
        case database, content, image, snapshot, container, task, mount, cgroup, shim
    }

    public var area: Area
    /// The berth namespace, when the thing belongs to one.
    public var namespace: String?
    /// What it is about: a digest, an image name, a snapshot key, a path, a pid.
    public var subject: String
    public var problem: String
    /// What `--repair` does about it; nil when berth will not touch it (`problem` says why it
    /// matters, and the admin decides).
    public var repair: String?
    public var repaired: Bool = false

    public init(_ area: Area, namespace: String? = nil, _ subject: String, _ problem: String, repair: String? = nil) {
        self.area = area
        self.namespace = namespace
        self.subject = subject
        self.problem = problem
        self.repair = repair
    }

    /// One line: area, namespace, subject, problem, and what was or would be done.
    public var line: String {
        let scoped = subject.hasPrefix("/") ? subject : (namespace.map { $0 + "/" } ?? "") + subject
        var s = area.rawValue + " " + scoped + ": " + problem
        if let repair {
            s += repaired ? " (repaired: \(repair))" : " (--repair would: \(repair))"
        } else {
            s += " (not repaired: berth will not touch it)"
        }
        return s
    }
}

/// What `berth system check` found.
public struct StoreCheckReport: Codable, Sendable, Equatable {
    /// Whether the store was whole when the check began (nothing found).
    public var whole: Bool
    public var inconsistencies: [Inconsistency]
    public init(inconsistencies: [Inconsistency]) {
        self.inconsistencies = inconsistencies
        whole = inconsistencies.isEmpty
    }
}
