import BerthBase

/// An image reference normalised as containerd (and Docker) do:
/// `busybox` -> `docker.io/library/busybox:latest`, `x/y:1` -> `docker.io/x/y:1`.
public struct Reference: Sendable, Hashable, CustomStringConvertible {
    public var domain: String
    public var path: String
    public var tag: String?
    public var digest: Digest?

    public var name: String { "\(domain)/\(path)" }

    public var description: String {
        var s = name
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// Parses and normalises `s`; adds `:latest` when there is neither tag nor digest.
    public static func parse(_ s: String) throws(BerthError) -> Reference {
        func bad(_ why: String) -> BerthError { .invalidArgument("invalid image reference \(s.debugDescription): \(why)") }
        let (slash, dot, colon) = (UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: ":"))
        guard !s.isEmpty else { throw bad("empty") }
        guard s.utf8.count <= 512 else { throw bad("too long") }
        var rest = Substring(s)
        var digest: Digest?
        if let at = rest.firstIndex(of: "@") {
            do { digest = try Digest(String(rest[rest.index(after: at)...])) } catch { throw bad("invalid digest") }
            rest = rest[..<at]
        }
        var tag: String?
        // Bytes, not `contains("/")`: with Foundation imported that is NSString's search, whose
        // first use is costly for a fresh process (`berth run` parses here).
        if let colon = rest.lastIndex(of: ":"), !rest[rest.index(after: colon)...].utf8.contains(slash) {
            let t = String(rest[rest.index(after: colon)...])
            guard isValidTag(t) else { throw bad("invalid tag \(t.debugDescription)") }
            tag = t
            rest = rest[..<colon]
        }
        var domain = "docker.io"
        var path = String(rest)
        if let slash = rest.firstIndex(of: "/") {
            let first = rest[..<slash]
            if first.utf8.contains(where: { $0 == dot || $0 == colon }) || first == "localhost" || Self.hasUppercase(first) {
                domain = String(first)
                path = String(rest[rest.index(after: slash)...])
            }
        }
        if domain == "index.docker.io" { domain = "docker.io" }
        if domain == "docker.io" && !path.utf8.contains(slash) { path = "library/" + path }
        guard isValidDomain(domain) else { throw bad("invalid domain \(domain.debugDescription)") }
        guard isValidPath(path) else { throw bad("repository name must be lowercase letters, digits and separators") }
        if tag == nil && digest == nil { tag = "latest" }
        let r = Reference(domain: domain, path: path, tag: tag, digest: digest)
        guard r.name.utf8.count <= 255 else { throw bad("repository name longer than 255 characters") }
        return r
    }

    /// The normalised string form of `s`, the key images are stored under.
    public static func normalize(_ s: String) throws(BerthError) -> String {
        try parse(s).description
    }

    static func isValidTag(_ t: String) -> Bool {
        let u = Array(t.utf8)
        guard !u.isEmpty, u.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 }
        return word(u[0]) && u.dropFirst().allSatisfy { word($0) || $0 == 46 || $0 == 45 }
    }

    /// Whether lowercasing changes `s` (Docker's test for a registry host in the first
    /// component): ASCII by bytes, without Unicode's case tables unless there is more.
    static func hasUppercase(_ s: Substring) -> Bool {
        if s.utf8.contains(where: { $0 >= 0x80 }) { return s.lowercased() != s }
        return s.utf8.contains { $0 >= 65 && $0 <= 90 }
    }

    /// Host names of ASCII letters, digits and inner hyphens, dot-separated, an optional
    /// numeric port; or an IPv6 literal in brackets. Checked by bytes: Character's Unicode
    /// properties cost a fresh process their tables' first use.
    static func isValidDomain(_ d: String) -> Bool {
        func digit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
        func letter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
        var host = Substring(d)
        if let colon = d.lastIndex(of: ":"), !d.hasSuffix("]") {
            let port = d[d.index(after: colon)...]
            guard !port.isEmpty, port.utf8.allSatisfy(digit) else { return false }
            host = d[..<colon]
        }
        guard !host.isEmpty else { return false }
        if host.hasPrefix("[") { return host.hasSuffix("]") }
        return host.utf8.split(separator: 46, omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.first != 45 && label.last != 45 && label.allSatisfy { letter($0) || digit($0) || $0 == 45 }
        }
    }

    /// Path components: lowercase alphanumerics joined by `.`, `_`, `__` or runs of `-`.
    static func isValidPath(_ p: String) -> Bool {
        let comps = p.split(separator: "/", omittingEmptySubsequences: false)
        guard !comps.isEmpty else { return false }
        for c in comps {
            let u = Array(c.utf8)
            guard !u.isEmpty else { return false }
            func alnum(_ x: UInt8) -> Bool { (x >= 97 && x <= 122) || (x >= 48 && x <= 57) }
            guard alnum(u.first!), alnum(u.last!) else { return false }
            var i = 0
            while i < u.count {
                if alnum(u[i]) { i += 1; continue }
                // a separator run
                var j = i
                while j < u.count && !alnum(u[j]) { j += 1 }
                let sep = String(decoding: u[i..<j], as: UTF8.self)
                let ok = sep == "." || sep == "_" || sep == "__" || sep.allSatisfy { $0 == "-" }
                guard ok else { return false }
                i = j
            }
        }
        return true
    }
}
