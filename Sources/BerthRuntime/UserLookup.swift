import BerthBase

/// Resolves a user spec against the container's /etc/passwd and /etc/group, as runc does:
/// names need the files, numbers do not; a user's supplementary groups come from /etc/group.
public enum UserLookup {
    struct Passwd { var name: String; var uid: UInt32; var gid: UInt32 }
    struct Group { var name: String; var gid: UInt32; var members: [String] }

    public static func resolve(_ spec: OptionParsing.UserSpec, rootfs: String) throws(BerthError) -> Spec.User {
        let passwd = parsePasswd((try? FileSystem.readString(rootfs + "/etc/passwd")) ?? "")
        let groups = parseGroup((try? FileSystem.readString(rootfs + "/etc/group")) ?? "")
        var uid: UInt32, gid: UInt32, name: String?
        if let n = UInt32(spec.user) {
            uid = n
            let entry = passwd.first { $0.uid == n }
            gid = entry?.gid ?? 0
            name = entry?.name
        } else {
            guard let entry = passwd.first(where: { $0.name == spec.user }) else {
                throw .notFound("unable to find user \(spec.user): no matching entries in the container's /etc/passwd")
            }
            uid = entry.uid; gid = entry.gid; name = entry.name
        }
        if let g = spec.group {
            if let n = UInt32(g) { gid = n } else {
                guard let entry = groups.first(where: { $0.name == g }) else {
                    throw .notFound("unable to find group \(g): no matching entries in the container's /etc/group")
                }
                gid = entry.gid
            }
        }
        var extra: [UInt32] = []
        if spec.group == nil, let name {
            for g in groups where g.members.contains(name) && g.gid != gid && !extra.contains(g.gid) { extra.append(g.gid) }
        }
        return Spec.User(uid: uid, gid: gid, additionalGids: extra.isEmpty ? nil : extra)
    }

    static func parsePasswd(_ text: String) -> [Passwd] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 4, let uid = UInt32(f[2]), let gid = UInt32(f[3]) else { return nil }
            return Passwd(name: String(f[0]), uid: uid, gid: gid)
        }
    }

    static func parseGroup(_ text: String) -> [Group] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false)
            guard f.count >= 3, let gid = UInt32(f[2]) else { return nil }
            let members = f.count >= 4 ? f[3].split(separator: ",").map(String.init) : []
            return Group(name: String(f[0]), gid: gid, members: members)
        }
    }
}
