/// `berth run` is what scripts call in a loop, so its usual command lines are parsed by hand:
/// ArgumentParser builds its option table by reflection, and the runtime type lookups that
/// costs were the largest part of the command's own CPU time. This parser knows only the
/// common spellings (`--opt value`, `--opt=value`, `-x value`, grouped `-it`) and returns nil
/// for anything else (help, `--`, an unknown option, a missing or dash-led value, a bad
/// number), which then takes ArgumentParser's way and gets its messages. A test checks that
/// both parsers agree on the command lines this one accepts.
enum FastRunParser {
    enum Kind { case flag, value }

    /// Every option `berth run` declares (ContainerFlags, RunCommand and the global options),
    /// by long name, with its short letter. A test compares this list with what ArgumentParser
    /// declares, option by option, so an option added to one parser and not the other fails it.
    /// A plain list scanned at each look-up: there are thirty, and a dictionary's or key path's
    /// first use costs a fresh process more than the scans do.
    static let options: [(long: String, short: Character?, kind: Kind)] = [
        ("root", nil, .value), ("state", nil, .value), ("namespace", "n", .value),
        ("name", nil, .value), ("rootfs", nil, .value), ("env", "e", .value), ("cwd", "w", .value), ("user", "u", .value),
        ("hostname", nil, .value), ("entrypoint", nil, .value), ("mount", nil, .value), ("device", nil, .value),
        ("net", nil, .value), ("read-only", nil, .flag), ("privileged", nil, .flag), ("cap-add", nil, .value),
        ("cap-drop", nil, .value), ("seccomp-profile", nil, .value), ("memory", "m", .value), ("cpus", nil, .value),
        ("cpu-shares", nil, .value), ("pids-limit", nil, .value), ("label", "l", .value),
        ("rm", nil, .flag), ("detach", "d", .flag), ("tty", "t", .flag), ("interactive", "i", .flag), ("detach-keys", nil, .value),
    ]

    private static func kind(_ name: String) -> Kind? {
        for o in options where o.long == name { return o.kind }
        return nil
    }

    private static func longName(_ short: Character) -> String? {
        for o in options where o.short == short { return o.long }
        return nil
    }

    private static func setFlag(_ name: String, _ r: inout RunRequest) {
        switch name {
        case "read-only": r.flags.readOnly = true
        case "privileged": r.flags.privileged = true
        case "rm": r.rm = true
        case "detach": r.detach = true
        case "tty": r.tty = true
        case "interactive": r.interactive = true
        default: break
        }
    }

    /// False when the value cannot be taken as given (a bad number).
    private static func setValue(_ name: String, _ value: String, _ r: inout RunRequest) -> Bool {
        switch name {
        case "root": r.global.root = value
        case "state": r.global.state = value
        case "namespace": r.global.namespace = value
        case "name": r.flags.name = value
        case "rootfs": r.flags.rootfs = value
        case "env": r.flags.env.append(value)
        case "cwd": r.flags.cwd = value
        case "user": r.flags.user = value
        case "hostname": r.flags.hostname = value
        case "entrypoint": r.flags.entrypoint = value
        case "mount": r.flags.mount.append(value)
        case "device": r.flags.device.append(value)
        case "net": r.flags.net = value
        case "cap-add": r.flags.capAdd.append(value)
        case "cap-drop": r.flags.capDrop.append(value)
        case "seccomp-profile": r.flags.seccompProfile = value
        case "memory": r.flags.memory = value
        case "cpus": r.flags.cpus = value
        case "cpu-shares":
            guard let v = UInt64(value) else { return false }
            r.flags.cpuShares = v
        case "pids-limit": r.flags.pidsLimit = value
        case "label": r.flags.label.append(value)
        case "detach-keys": r.detachKeys = value
        default: return false
        }
        return true
    }

    static func parse(_ tokens: ArraySlice<String>) -> RunRequest? {
        var r = RunRequest()
        var i = tokens.startIndex
        while i < tokens.endIndex {
            let t = tokens[i]
            guard t.hasPrefix("-"), t != "-" else {
                r.args = Array(tokens[i...])
                break
            }
            i += 1
            var name: String
            var inline: String?
            if t.hasPrefix("--") {
                name = String(t.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                guard kind(name) != nil else { return nil }  // also `--`, `--help`
            } else {
                let letters = Array(t.dropFirst())
                if letters.count > 1 {
                    // A group of boolean short flags, e.g. -it.
                    for c in letters {
                        guard let n = longName(c), kind(n) == .flag else { return nil }
                        setFlag(n, &r)
                    }
                    continue
                }
                guard let n = longName(letters[0]) else { return nil }  // also -h
                name = n
            }
            if kind(name) == .flag {
                guard inline == nil else { return nil }
                setFlag(name, &r)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard i < tokens.endIndex, !tokens[i].hasPrefix("-") else { return nil }
                value = tokens[i]
                i += 1
            }
            guard setValue(name, value, &r) else { return nil }
        }
        if let first = r.args.first, first == "--help" || first == "-h" { return nil }
        return r
    }
}
