import BerthBase

/// The spec as JSON, written by hand (see JSONText): `berth run` writes it twice per
/// container (the record and config.json), and through `JSONEncoder` that was the largest
/// part of the command's own CPU time. The output equals `JSONEncoder` with sorted keys and
/// unescaped slashes (a test holds them together); reading still goes through `JSONDecoder`.
extension Spec {
    public func jsonBytes() -> [UInt8] {
        var w = JSONText(capacity: 16 << 10)
        write(&w)
        return w.bytes
    }

    func write(_ w: inout JSONText) {
        w.object { o in
            o.optional("annotations", annotations) { $0.map($1) }
            o.optional("hostname", hostname) { $0.string($1) }
            o.optional("linux", linux) { $1.write(&$0) }
            o.optional("mounts", mounts) { w, list in w.array(list) { $1.write(&$0) } }
            o.field("ociVersion") { $0.string(ociVersion) }
            o.optional("process", process) { $1.write(&$0) }
            o.optional("root", root) { $1.write(&$0) }
        }
    }
}

extension Spec.Process {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.field("args") { $0.strings(args) }
            o.optional("capabilities", capabilities) { $1.write(&$0) }
            o.field("cwd") { $0.string(cwd) }
            o.optional("env", env) { $0.strings($1) }
            o.optional("noNewPrivileges", noNewPrivileges) { $0.bool($1) }
            o.optional("oomScoreAdj", oomScoreAdj) { $0.int(Int64($1)) }
            o.optional("rlimits", rlimits) { w, list in w.array(list) { $1.write(&$0) } }
            o.optional("terminal", terminal) { $0.bool($1) }
            o.field("user") { user.write(&$0) }
        }
    }
}

extension Spec.User {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.optional("additionalGids", additionalGids) { w, list in w.array(list) { $0.uint(UInt64($1)) } }
            o.field("gid") { $0.uint(UInt64(gid)) }
            o.field("uid") { $0.uint(UInt64(uid)) }
            o.optional("umask", umask) { $0.uint(UInt64($1)) }
        }
    }
}

extension Spec.Capabilities {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.optional("ambient", ambient) { $0.strings($1) }
            o.optional("bounding", bounding) { $0.strings($1) }
            o.optional("effective", effective) { $0.strings($1) }
            o.optional("inheritable", inheritable) { $0.strings($1) }
            o.optional("permitted", permitted) { $0.strings($1) }
        }
    }
}

extension Spec.Rlimit {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.field("hard") { $0.uint(hard) }
            o.field("soft") { $0.uint(soft) }
            o.field("type") { $0.string(type) }
        }
    }
}

extension Spec.Root {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.field("path") { $0.string(path) }
            o.optional("readonly", readonly) { $0.bool($1) }
        }
    }
}

extension Spec.Mount {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.field("destination") { $0.string(destination) }
            o.optional("options", options) { $0.strings($1) }
            o.optional("source", source) { $0.string($1) }
            o.optional("type", type) { $0.string($1) }
        }
    }
}

extension Spec.Linux {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.optional("cgroupsPath", cgroupsPath) { $0.string($1) }
            o.optional("devices", devices) { w, list in w.array(list) { $1.write(&$0) } }
            o.optional("maskedPaths", maskedPaths) { $0.strings($1) }
            o.optional("namespaces", namespaces) { w, list in w.array(list) { $1.write(&$0) } }
            o.optional("readonlyPaths", readonlyPaths) { $0.strings($1) }
            o.optional("resources", resources) { $1.write(&$0) }
            o.optional("seccomp", seccomp) { $1.write(&$0) }
        }
    }
}

extension Spec.Namespace {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.optional("path", path) { $0.string($1) }
            o.field("type") { $0.string(type) }
        }
    }
}

extension Spec.Device {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.optional("fileMode", fileMode) { $0.uint(UInt64($1)) }
            o.optional("gid", gid) { $0.uint(UInt64($1)) }
            o.field("major") { $0.int(major) }
            o.field("minor") { $0.int(minor) }
            o.field("path") { $0.string(path) }
            o.field("type") { $0.string(type) }
            o.optional("uid", uid) { $0.uint(UInt64($1)) }
        }
    }
}

extension Spec.Resources {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.optional("cpu", cpu) { w, c in
                w.object { o in
                    o.optional("period", c.period) { $0.uint($1) }
                    o.optional("quota", c.quota) { $0.int($1) }
                    o.optional("shares", c.shares) { $0.uint($1) }
                }
            }
            o.optional("devices", devices) { w, list in
                w.array(list) { w, d in
                    w.object { o in
                        o.optional("access", d.access) { $0.string($1) }
                        o.field("allow") { $0.bool(d.allow) }
                        o.optional("major", d.major) { $0.int($1) }
                        o.optional("minor", d.minor) { $0.int($1) }
                        o.optional("type", d.type) { $0.string($1) }
                    }
                }
            }
            o.optional("memory", memory) { w, m in
                w.object { o in
                    o.optional("limit", m.limit) { $0.int($1) }
                    o.optional("swap", m.swap) { $0.int($1) }
                }
            }
            o.optional("pids", pids) { w, p in w.object { o in o.field("limit") { $0.int(p.limit) } } }
        }
    }
}

extension Spec.Seccomp {
    func write(_ w: inout JSONText) {
        w.object { o in
            o.optional("architectures", architectures) { $0.strings($1) }
            o.field("defaultAction") { $0.string(defaultAction) }
            o.optional("defaultErrnoRet", defaultErrnoRet) { $0.uint(UInt64($1)) }
            o.optional("syscalls", syscalls) { w, list in
                w.array(list) { w, s in
                    w.object { o in
                        o.field("action") { $0.string(s.action) }
                        o.optional("args", s.args) { w, args in
                            w.array(args) { w, a in
                                w.object { o in
                                    o.field("index") { $0.uint(UInt64(a.index)) }
                                    o.field("op") { $0.string(a.op) }
                                    o.field("value") { $0.uint(a.value) }
                                    o.optional("valueTwo", a.valueTwo) { $0.uint($1) }
                                }
                            }
                        }
                        o.optional("errnoRet", s.errnoRet) { $0.uint(UInt64($1)) }
                        o.field("names") { $0.strings(s.names) }
                    }
                }
            }
        }
    }
}
