/// `berth run` is what scripts call in a loop, so its usual command lines are parsed by hand:
/// ArgumentParser builds its option table by reflection, and the runtime type lookups that
/// costs were the largest part of the command's own CPU time. This parser knows only the
/// common spellings (`--opt value`, `--opt=value`, `-x value`, grouped `-it`) and returns nil
/// for anything else (help, `--`, an unknown option, a missing or dash-led value, a bad
/// number), which then takes ArgumentParser's way and gets its messages. A test checks that
/// both parsers agree on the command lines this one accepts.
enum FastRunParser {
    private enum Slot {
        case value(WritableKeyPath<RunRequest, String?>)
        case list(WritableKeyPath<RunRequest, [String]>)
        case text(WritableKeyPath<RunRequest, String>)
        case flag(WritableKeyPath<RunRequest, Bool>)
        case cpuShares
    }

    /// Immutable; key paths are simply not marked Sendable.
    nonisolated(unsafe) private static let long: [String: Slot] = [
        "root": .value(\.global.root), "state": .value(\.global.state), "namespace": .value(\.global.namespace),
        "name": .value(\.flags.name), "rootfs": .value(\.flags.rootfs), "env": .list(\.flags.env),
        "cwd": .value(\.flags.cwd), "user": .value(\.flags.user), "hostname": .value(\.flags.hostname),
        "entrypoint": .value(\.flags.entrypoint), "mount": .list(\.flags.mount), "net": .value(\.flags.net),
        "read-only": .flag(\.flags.readOnly), "privileged": .flag(\.flags.privileged),
        "cap-add": .list(\.flags.capAdd), "cap-drop": .list(\.flags.capDrop),
        "seccomp-profile": .value(\.flags.seccompProfile), "memory": .value(\.flags.memory),
        "cpus": .value(\.flags.cpus), "cpu-shares": .cpuShares, "pids-limit": .value(\.flags.pidsLimit),
        "label": .list(\.flags.label), "rm": .flag(\.rm), "detach": .flag(\.detach), "tty": .flag(\.tty),
        "interactive": .flag(\.interactive), "detach-keys": .text(\.detachKeys),
    ]

    private static let short: [Character: String] = [
        "n": "namespace", "e": "env", "w": "cwd", "u": "user", "m": "memory", "l": "label",
        "d": "detach", "t": "tty", "i": "interactive",
    ]

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
                guard long[name] != nil else { return nil }  // also `--`, `--help`
            } else {
                let letters = Array(t.dropFirst())
                if letters.count > 1 {
                    // A group of boolean short flags, e.g. -it.
                    for c in letters {
                        guard let n = short[c], case .flag(let path)? = long[n] else { return nil }
                        r[keyPath: path] = true
                    }
                    continue
                }
                guard let n = short[letters[0]] else { return nil }  // also -h
                name = n
            }
            let slot = long[name]!
            if case .flag(let path) = slot {
                guard inline == nil else { return nil }
                r[keyPath: path] = true
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
            switch slot {
            case .value(let path): r[keyPath: path] = value
            case .list(let path): r[keyPath: path].append(value)
            case .text(let path): r[keyPath: path] = value
            case .cpuShares:
                guard let v = UInt64(value) else { return nil }
                r.flags.cpuShares = v
            case .flag: break
            }
        }
        if let first = r.args.first, first == "--help" || first == "-h" { return nil }
        return r
    }
}
