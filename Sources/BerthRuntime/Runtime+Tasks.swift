import BerthBase
import BerthEvents
import BerthMount
import CBerthRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Runtime {
    // MARK: start

    /// A shim for the task of container `id` with `options`, started now so that it detaches
    /// and creates the init's namespaces while the caller creates the container (see
    /// PreparedShim); nil when it cannot be started (the task's start then spawns one the usual
    /// way and reports why). Needs no open core: `berth run` calls it first thing.
    public static func prepareShim(paths: BerthPaths, namespace: String, id: String, options: ContainerOptions) -> PreparedShim? {
        try? PreparedShim(bundle: bundlePath(paths, namespace, id),
                          namespaces: SpecGenerator.namespaces(options),
                          terminal: options.terminal)
    }

    /// Creates and starts the task of container `c` (containerd's create + start): mounts the
    /// rootfs from `rootfs` (its snapshot's mounts; none for a host directory), creates the
    /// cgroup, writes config.json and shim.conf, spawns the shim and waits until the init is
    /// about to exec. On any failure everything created is removed again. `shim`, prepared
    /// for it, is used when it fits the spec (and cancelled otherwise). `meanwhile` runs while
    /// the shim sets the init up (work of the caller's that the task does not wait for; its
    /// errors are its own to handle).
    @discardableResult
    public func startTask(_ c: Container, rootfs: [Mount], shim prepared: PreparedShim? = nil,
                          meanwhile: () -> Void = {}) throws(BerthError) -> TaskInfo {
        defer { prepared?.cancel() }
        let (namespace, id) = (c.namespace, c.id)
        let dir = bundle(namespace, id)
        let parent = FileSystem.parentDirectory(dir)
        try FileSystem.makeDirectories(parent, mode: 0o711)
        if FileSystem.exists(dir) {
            let existing = try task(namespace: namespace, id: id)
            guard existing.status == .stopped else {
                throw .failedPrecondition("task \(id.debugDescription) is already \(existing.status.rawValue)")
            }
            // A stopped task is replaced, as `docker start` restarts a stopped container.
            try deleteTask(namespace: namespace, id: id)
        }
        // The bundle appears under its name already locked, so a concurrent reconciliation
        // never mistakes a task being set up for one whose shim died.
        let tmp = "\(parent)/.new-\(id)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(tmp, 0o700) == 0 else { throw .system("mkdir", tmp) }
        guard let lock = try BundleLock(tmp, wait: false) else { throw .internal("flock \(tmp)") }
        guard berth_rename_noreplace(tmp, dir) == 0 else {
            let e = errno
            rmdir(tmp)
            if e == EEXIST { throw .failedPrecondition("task \(id.debugDescription) is being started by another process") }
            throw .system("rename", dir, errno: e)
        }
        var cg: Cgroup?
        do throws(BerthError) {
            try mountRootfs(c, mounts: rootfs, bundle: dir)
            var spec = c.spec
            if let user = spec.annotations?[SpecGenerator.userAnnotation] {
                spec.process?.user = try UserLookup.resolve(try OptionParsing.UserSpec(user), rootfs: dir + "/rootfs")
            }
            spec.root?.path = dir + "/rootfs"
            if spec.process != nil { HostCeilings.adjust(&spec.process!) }
            let group = try cgroup(namespace, id)
            cg = group
            try group.create(resources: spec.linux?.resources)
            let conf = try ShimConfig.forInit(spec: spec, id: id, rootfs: dir + "/rootfs",
                                              cgroupProcs: group.procsFiles, seccompCache: paths.seccompCacheDir)
            try Self.writeBundleFile(dir + "/shim.conf", conf.encoded)
            // config.json is for people and other tools (the shim reads shim.conf): a prepared
            // shim's init sets itself up while it is written.
            var configError: BerthError?
            let writeConfig: () -> Void = {
                do throws(BerthError) { try Self.writeBundleFile(dir + "/config.json", spec.jsonBytes()) } catch { configError = error }
            }
            let namespaces = (spec.linux?.namespaces ?? []).filter { $0.path == nil }.map(\.type)
            let pid: Int32
            if let prepared, prepared.fits(bundle: dir, namespaces: namespaces, terminal: spec.process?.terminal == true) {
                pid = try prepared.start { writeConfig(); meanwhile() }
            } else {
                writeConfig()
                if let configError { throw configError }
                meanwhile()
                pid = try ShimLauncher.start(bundle: dir)
            }
            if let configError { throw configError }
            _ = lock
            events.publish(namespace: namespace, topic: Topic.taskCreate, ["id": id, "pid": String(pid)])
            events.publish(namespace: namespace, topic: Topic.taskStart, ["id": id, "pid": String(pid)])
            return TaskInfo(namespace: namespace, id: id, image: c.image, pid: pid, status: .running, exitStatus: nil,
                            terminal: spec.process?.terminal == true)
        } catch {
            discardBundle(dir, cgroup: cg)
            throw error
        }
    }

    /// Undoes a failed start: the shim (if it got that far), cgroup, rootfs mount, bundle.
    private func discardBundle(_ dir: String, cgroup: Cgroup?) {
        if let shim = TaskFiles.pid(dir + "/shim.pid"), Self.isShim(shim) { Glibc.kill(shim, SIGKILL) }
        try? cgroup?.destroy()
        unmountRootfs(bundle: dir)
        try? FileSystem.removeTree(dir)
    }

    /// Writes a file of a new bundle by rename, so no reader sees it half-written, but without
    /// fsync: a bundle describes live processes and means nothing after a crash of the machine
    /// (the state directory is a tmpfs by default; reconciliation stops whatever is left).
    static func writeBundleFile(_ path: String, _ bytes: [UInt8]) throws(BerthError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system("create", tmp) }
        let written = bytes.withUnsafeBytes { b in Result { () throws(BerthError) in try FileSystem.writeAll(fd, b, path: tmp) } }
        close(fd)
        do { try written.get() } catch { unlink(tmp); throw error }
        guard rename(tmp, path) == 0 else { let e = errno; unlink(tmp); throw .system("rename", path, errno: e) }
    }

    // MARK: state

    /// Whether `pid` is a live (not zombie) berth-shim, judged by its exe link: the shim runs
    /// from a read-only bind of its binary (`.../berth-shim`); older shims ran from a memfd copy.
    static func isShim(_ pid: Int32) -> Bool {
        guard pid > 0, let stat = try? FileSystem.readString("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].dropFirst().first
        guard state != "Z" && state != "X" else { return false }
        var buf = [CChar](repeating: 0, count: 512)
        let n = readlink("/proc/\(pid)/exe", &buf, buf.count - 1)
        guard n > 0 else { return false }
        let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return exe.hasPrefix("/memfd:berth-shim") || exe.hasSuffix("/berth-shim") || exe.hasSuffix("/berth-shim (deleted)")
            || exe == (try? ShimLauncher.shimPath())  // $BERTH_SHIM, whatever its name
    }

    func shimAlive(_ dir: String) -> Bool {
        guard let pid = TaskFiles.pid(dir + "/shim.pid") else { return false }
        return Self.isShim(pid)
    }

    /// The task of container `id`, from its shim and bundle.
    public func task(namespace: String, id: String) throws(BerthError) -> TaskInfo {
        let dir = bundle(namespace, id)
        guard FileSystem.isDirectory(dir) else { throw .notFound("task \(id.debugDescription) not found") }
        let image = (try? containerStore.image(namespace: namespace, id: id)) ?? ""
        let terminal = ShimConfig.decode((try? FileSystem.readFile(dir + "/shim.conf")) ?? []).values("terminal").first == "1"
        let pid = TaskFiles.pid(dir + "/init.pid")
        var info = TaskInfo(namespace: namespace, id: id, image: image, pid: pid, status: .running, exitStatus: nil, terminal: terminal)
        if let status = TaskFiles.exitStatus(bundle: dir) {
            info.status = .stopped
            info.exitStatus = status
            observeExit(namespace: namespace, id: id, status: status)
        } else if shimAlive(dir) {
            if (try? cgroup(namespace, id))?.isFrozen == true { info.status = .paused }
        } else if BundleLock.isHeld(dir) {
            info.status = .created
        } else {
            info.status = .stopped
            info.exitStatus = 255
        }
        return info
    }

    /// Every task of a namespace (reconciled first, so vanished shims show as stopped/255).
    public func tasks(namespace: String) throws(BerthError) -> [TaskInfo] {
        reconcile(namespace: namespace)
        let dir = paths.tasksDir + "/" + namespace
        let ids = (FileSystem.directoryEntries(dir) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        var out: [TaskInfo] = []
        for id in ids {
            if let t = try? task(namespace: namespace, id: id) { out.append(t) }
        }
        return out
    }

    /// Publishes /tasks/exit (and /tasks/oom when the OOM killer struck) exactly once per task,
    /// whichever berth process notices the exit first.
    func observeExit(namespace: String, id: String, status: Int32) {
        let dir = bundle(namespace, id)
        let fd = open(dir + "/exit-published", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        close(fd)
        if let kills = (try? cgroup(namespace, id))?.oomKillCount(), kills > 0 {
            events.publish(namespace: namespace, topic: Topic.taskOOM, ["id": id])
        }
        events.publish(namespace: namespace, topic: Topic.taskExit, ["id": id, "exitStatus": String(status)])
    }

    func runningBundle(_ namespace: String, _ id: String) throws(BerthError) -> String {
        let info = try task(namespace: namespace, id: id)
        guard info.status == .running || info.status == .paused else {
            throw .failedPrecondition("task \(id.debugDescription) is not running (\(info.status.rawValue))")
        }
        return bundle(namespace, id)
    }

    // MARK: control

    /// Attaches to the task's stdio; works after the task ended too (replays its output log).
    /// With `foreground`, no reader thread is started: the caller follows the task with
    /// `TaskAttachment.follow` on its own thread.
    public func attach(namespace: String, id: String, foreground: Bool = false) throws(BerthError) -> TaskAttachment {
        let dir = bundle(namespace, id)
        guard FileSystem.isDirectory(dir) else { throw .notFound("task \(id.debugDescription) not found") }
        let onExit = exitObserver(namespace, id)
        if shimAlive(dir), let a = try? TaskAttachment(bundle: dir, replayFromDisk: false, onExit: onExit, reader: !foreground) { return a }
        return try TaskAttachment(bundle: dir, replayFromDisk: true, onExit: onExit, reader: !foreground)
    }

    /// Attaches to a task being started, for the caller to follow on its own thread, if its
    /// shim already listens (nil otherwise). The shim serves the connection once the task runs;
    /// `berth run` makes it while it waits for the shim, instead of after.
    public func attachWhileStarting(namespace: String, id: String) -> TaskAttachment? {
        try? TaskAttachment(bundle: bundle(namespace, id), replayFromDisk: false, onExit: exitObserver(namespace, id), reader: false)
    }

    /// An attachment's report of the task's exit: whoever sees the exit first publishes it.
    private func exitObserver(_ namespace: String, _ id: String) -> @Sendable (Int32) -> Void {
        { [self] status in observeExit(namespace: namespace, id: id, status: status) }
    }

    /// Sends a signal to the init, or with `all` to every process of the container.
    public func kill(namespace: String, id: String, signal: Int32 = SIGTERM, all: Bool = false) throws(BerthError) {
        let dir = try runningBundle(namespace, id)
        let s = try ShimSocket(bundle: dir)
        var payload = withUnsafeBytes(of: signal.littleEndian) { Array($0) }
        payload.append(all ? 1 : 0)
        try s.send(ShimFrame.signal, payload)
        // A state round trip makes sure the shim has handled the signal before we return.
        _ = try s.request(ShimFrame.state, expect: [ShimFrame.stateReply])
    }

    public func pause(namespace: String, id: String) throws(BerthError) {
        let info = try task(namespace: namespace, id: id)
        guard info.status == .running else { throw .failedPrecondition("task \(id.debugDescription) is not running (\(info.status.rawValue))") }
        try cgroup(namespace, id).setFrozen(true)
        events.publish(namespace: namespace, topic: Topic.taskPaused, ["id": id])
    }

    public func resume(namespace: String, id: String) throws(BerthError) {
        let info = try task(namespace: namespace, id: id)
        guard info.status == .paused else { throw .failedPrecondition("task \(id.debugDescription) is not paused (\(info.status.rawValue))") }
        try cgroup(namespace, id).setFrozen(false)
        events.publish(namespace: namespace, topic: Topic.taskResumed, ["id": id])
    }

    /// Pids of every process in the container (host pid namespace).
    public func pids(namespace: String, id: String) throws(BerthError) -> [Int32] {
        let dir = try runningBundle(namespace, id)
        if let s = try? ShimSocket(bundle: dir),
           let payload = try? s.request(ShimFrame.pids, expect: [ShimFrame.pidsReply], timeout: 5000) {
            return ShimFrame.int32s(payload)
        }
        return try cgroup(namespace, id).pids()
    }

    public func metrics(namespace: String, id: String) throws(BerthError) -> TaskMetrics {
        guard FileSystem.isDirectory(bundle(namespace, id)) else { throw .notFound("task \(id.debugDescription) not found") }
        let cg = try cgroup(namespace, id)
        guard cg.exists else { throw .failedPrecondition("task \(id.debugDescription) has no cgroup (stopped and cleaned)") }
        return cg.metrics()
    }

    /// Waits until the task's init exits; returns its exit status.
    public func wait(namespace: String, id: String) async throws(BerthError) -> Int32 {
        let a = try attach(namespace: namespace, id: id)
        return await a.wait() ?? 255
    }

    /// Runs another process inside the running task (joins its namespaces and cgroup).
    public func exec(namespace: String, id: String, execID: String? = nil, args: [String], env: [String] = [],
                     cwd: String? = nil, user: String? = nil, terminal: Bool = false) throws(BerthError) -> TaskAttachment {
        guard !args.isEmpty else { throw .invalidArgument("exec: no command given") }
        let dir = try runningBundle(namespace, id)
        let c = try containerStore.get(namespace: namespace, id: id)
        let execID = execID ?? "exec-\(UInt32.random(in: 0...UInt32.max))"
        guard execID.utf8.count < 256 else { throw .invalidArgument("exec id \(execID.debugDescription) is too long") }
        guard var process = c.spec.process else { throw .internal("container \(id.debugDescription) has no process in its spec") }
        process.args = args
        process.env = SpecGenerator.mergeEnv(process.env ?? [], env)
        if let cwd { process.cwd = cwd }
        process.terminal = terminal
        HostCeilings.adjust(&process)
        if let user = user ?? c.spec.annotations?[SpecGenerator.userAnnotation] {
            process.user = try UserLookup.resolve(try OptionParsing.UserSpec(user), rootfs: dir + "/rootfs")
        }
        let conf = try ShimConfig.forExec(execID: execID, process: process, seccomp: c.spec.linux?.seccomp)
        let s = try ShimSocket(bundle: dir)
        let payload = try s.request(ShimFrame.exec, conf.encoded, expect: [ShimFrame.execStarted], timeout: 15_000)
        let pid = payload.count >= 4 ? Int32(bitPattern: ShimFrame.readLE32(payload[0..<4])) : 0
        events.publish(namespace: namespace, topic: Topic.taskExecStarted, ["id": id, "execID": execID, "pid": String(pid)])
        return TaskAttachment(bundle: dir, socket: s, execID: execID)
    }

    // MARK: delete

    /// Deletes a stopped task (any task with `force`, killing it first): stops its shim,
    /// removes its cgroup, unmounts its rootfs and removes its bundle. Returns the exit status.
    @discardableResult
    public func deleteTask(namespace: String, id: String, force: Bool = false) throws(BerthError) -> Int32 {
        try removeTask(namespace: namespace, id: id, force: force).status
    }

    /// `deleteTask`, also saying whether the rootfs it unmounted is gone everywhere (see
    /// `unmountRootfs`).
    func removeTask(namespace: String, id: String, force: Bool) throws(BerthError) -> (status: Int32, rootfsReleased: Bool) {
        let dir = bundle(namespace, id)
        guard FileSystem.isDirectory(dir) else { throw .notFound("task \(id.debugDescription) not found") }
        guard let lock = try BundleLock(dir, wait: true) else { throw .internal("flock \(dir)") }
        defer { _ = lock }
        let cg = try? cgroup(namespace, id)
        // A recorded exit status (the usual case) settles it without looking for the shim.
        if TaskFiles.exitStatus(bundle: dir) == nil && shimAlive(dir) {
            guard force else {
                throw .failedPrecondition("task \(id.debugDescription) is running: kill it first or use --force")
            }
            if cg?.isFrozen == true { try? cg?.setFrozen(false) }
            if let s = try? ShimSocket(bundle: dir) {
                var payload = withUnsafeBytes(of: SIGKILL.littleEndian) { Array($0) }
                payload.append(1)
                try? s.send(ShimFrame.signal, payload)
            }
            for p in cg?.pids() ?? [] { Glibc.kill(p, SIGKILL) }
            waitUntil(seconds: 10) { TaskFiles.exitStatus(bundle: dir) != nil || !self.shimAlive(dir) }
        }
        let status = TaskFiles.exitStatus(bundle: dir) ?? 255
        observeExit(namespace: namespace, id: id, status: status)
        if shimAlive(dir), let shimPID = TaskFiles.pid(dir + "/shim.pid") {
            if let s = try? ShimSocket(bundle: dir) { try? s.send(ShimFrame.shutdown) }
            if berth_wait_exit(shimPID, 5000) != 1 && Self.isShim(shimPID) { Glibc.kill(shimPID, SIGKILL) }
        }
        try cg?.destroy()
        let released = unmountRootfs(bundle: dir)
        try FileSystem.removeTree(dir)
        events.publish(namespace: namespace, topic: Topic.taskDelete, ["id": id, "exitStatus": String(status)])
        return (status, released)
    }

    func waitUntil(seconds: Double, _ done: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while !done() && Date() < deadline { usleep(1000) }
    }

    // MARK: reconciliation

    /// Cleans up after tasks whose shim is gone: they are stopped (exit 255 unless the shim
    /// recorded a status), their cgroup and rootfs mount are removed; the bundle stays so the
    /// status can be read until the task is deleted. Tasks being set up are left alone.
    public func reconcile(namespace: String? = nil) {
        let namespaces = namespace.map { [$0] } ?? (FileSystem.directoryEntries(paths.tasksDir) ?? [])
        for ns in namespaces {
            let ids = FileSystem.directoryEntries(paths.tasksDir + "/" + ns) ?? []
            for id in ids where !id.hasPrefix(".") {
                let dir = bundle(ns, id)
                if FileSystem.exists(dir + "/cleaned") || shimAlive(dir) { continue }
                guard let lock = try? BundleLock(dir, wait: false) else { continue }
                // Re-check under the lock: a starter may have finished meanwhile.
                if shimAlive(dir) { continue }
                if TaskFiles.exitStatus(bundle: dir) == nil { try? FileSystem.writeAtomically(dir + "/exit", "255\n") }
                observeExit(namespace: ns, id: id, status: TaskFiles.exitStatus(bundle: dir) ?? 255)
                try? cgroup(ns, id).destroy()
                unmountRootfs(bundle: dir)
                try? FileSystem.writeAtomically(dir + "/cleaned", "")
                _ = lock
            }
        }
    }
}
