import Foundation

/// Containers and tasks for front ends: `berth run` and `berth containers create` resolve the
/// image (or take a directory rootfs), create the container and start its task here.
extension BerthCore {
    /// Where a new container's rootfs comes from.
    public enum RootfsChoice: Sendable, Equatable {
        /// An image in the namespace, unpacked into a snapshot chain; the container gets an
        /// active snapshot keyed by its id on top of the image's top chain ID.
        case image(String)
        /// A host directory, bind-mounted.
        case directory(String)
    }

    /// A fresh container id: 16 hex digits.
    public static func newContainerID() -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for _ in 0..<8 {
            let b = UInt8.random(in: 0...255)
            out += [hex[Int(b >> 4)], hex[Int(b & 15)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Creates a container. Bad input (unknown image, invalid options, a duplicate id) leaves
    /// nothing behind.
    @discardableResult
    public func createContainer(namespace: String, id: String, rootfs: RootfsChoice, options: ContainerOptions = ContainerOptions(),
                                labels: Labels = [:]) throws(BerthError) -> Container {
        var mounts: [Mount]?
        return try createContainer(namespace: namespace, id: id, rootfs: rootfs, options: options, labels: labels, mounts: &mounts)
    }

    /// `createContainer`, also giving the mounts of the snapshot it prepared (nil for a
    /// directory rootfs).
    func createContainer(namespace: String, id: String, rootfs: RootfsChoice, options: ContainerOptions, labels: Labels,
                         mounts prepared: inout [Mount]?) throws(BerthError) -> Container {
        try NamespaceName.validate(namespace)
        try OptionParsing.validateID(id)
        // A duplicate id is refused by the container record's insert, or earlier by the
        // snapshot keyed by the id, whose refusal names the container when there is one.
        func namingTheContainer(_ error: BerthError) -> BerthError {
            guard error.code == .alreadyExists, (try? runtime.container(namespace: namespace, id: id)) != nil else { return error }
            return .alreadyExists("container \(id.debugDescription) already exists")
        }
        switch rootfs {
        case .directory(let dir):
            return try runtime.createContainer(namespace: namespace, id: id, imageConfig: nil, rootfs: .directory(dir),
                                               options: options, labels: labels)
        case .image(let typed):
            // Recorded as image records are named, so that garbage collection sees the image in use.
            let name = (try? Reference.normalize(typed)) ?? typed
            let manifest = try hostManifest(namespace: namespace, image: name)
            let snapshotter = Snapshotters.defaultName
            let c = try runtime.newContainer(namespace: namespace, id: id, image: name, imageConfig: manifest.imageConfig.config,
                                             rootfs: .snapshot(snapshotter: snapshotter, key: id), options: options, labels: labels)
            // The container's record is written in the snapshot's transaction: one commit.
            do {
                prepared = try prepareContainerRootfs(namespace: namespace, image: name, key: id, snapshotter: snapshotter,
                                                      readOnly: false, labels: [:],
                                                      chain: ChainID.chain(manifest.imageConfig.rootfs.diff_ids),
                                                      alongside: ContainerStore.inserting(c))
            } catch {
                throw namingTheContainer(error)
            }
            runtime.publishCreated(c)
            return c
        }
    }

    /// The image's config for this host's platform (or its only manifest's).
    func hostManifest(namespace: String, image: String) throws(BerthError) -> ManifestDetails {
        let details = try images.inspect(namespace: namespace, image)
        if let m = details.manifests.first(where: { $0.platform.matchesStrictly(.host) }) { return m }
        if details.manifests.count == 1 { return details.manifests[0] }
        throw .notFound("image \(image.debugDescription) has no manifest for \(Platform.host)")
    }

    /// Creates a container and starts its task; on a failed start the container (and its
    /// snapshot) is removed again. The error of a failed start carries `ProcessExitCode`.
    @discardableResult
    /// `shim`, from `Runtime.prepareShim(for: options)` called as early as the caller can,
    /// starts the task's shim while the container is created here.
    public func run(namespace: String, id: String, rootfs: RootfsChoice, options: ContainerOptions = ContainerOptions(),
                    labels: Labels = [:], shim: PreparedShim? = nil) throws(BerthError) -> TaskInfo {
        var attachment: TaskAttachment?
        return try run(namespace: namespace, id: id, rootfs: rootfs, options: options, labels: labels, shim: shim,
                       attachment: &attachment, attaching: false)
    }

    /// `run`, also attached to the task's stdio for the caller to follow on its own thread
    /// (`TaskAttachment.follow`). A prepared shim listens while it sets the task up, and the
    /// connection is made in that wait rather than after it.
    public func runAttached(namespace: String, id: String, rootfs: RootfsChoice, options: ContainerOptions = ContainerOptions(),
                            labels: Labels = [:], shim: PreparedShim? = nil) throws(BerthError) -> (TaskInfo, TaskAttachment) {
        var early: TaskAttachment?
        let info = try run(namespace: namespace, id: id, rootfs: rootfs, options: options, labels: labels, shim: shim,
                           attachment: &early, attaching: true)
        if let early { return (info, early) }
        return (info, try runtime.attach(namespace: namespace, id: id, foreground: true))
    }

    private func run(namespace: String, id: String, rootfs: RootfsChoice, options: ContainerOptions, labels: Labels,
                     shim: PreparedShim?, attachment: inout TaskAttachment?, attaching: Bool) throws(BerthError) -> TaskInfo {
        let c: Container
        var mounts: [Mount]?
        do {
            c = try createContainer(namespace: namespace, id: id, rootfs: rootfs, options: options, labels: labels, mounts: &mounts)
        } catch {
            shim?.cancel()
            throw error
        }
        // The task's rootfs is mounted from the mounts just prepared, not read back.
        if let mounts {
            preparedRootfs.withLock { $0 = PreparedRootfs(namespace: namespace, snapshotter: c.snapshotter, key: c.snapshotKey, mounts: mounts) }
        }
        defer { preparedRootfs.withLock { $0 = nil } }
        // The deferred start-up recovery runs while the shim sets the task up on another CPU,
        // and the attachment is made there. (A checkpoint of the write-ahead log there, to keep
        // the next process's WAL index rebuild short, cost more than it saved: its syncs
        // outlast the wait.)
        var early: TaskAttachment?
        defer { attachment = early }
        do throws(BerthError) {
            return try runtime.startTask(c, shim: shim) {
                self.recoverIfPending()
                if attaching { early = self.runtime.attachWhileStarting(namespace: namespace, id: id) }
            }
        } catch {
            early?.close()
            early = nil
            try? runtime.deleteContainer(namespace: namespace, id: id, force: true)
            throw error
        }
    }

    /// Removes a container with its task and snapshot (`force`: even while it runs).
    public func removeContainer(namespace: String, id: String, force: Bool = false) throws(BerthError) {
        try runtime.deleteContainer(namespace: namespace, id: id, force: force)
    }

}

extension BerthCore {
    /// Connects the runtime to the snapshotters (a container's rootfs is the mounts of its
    /// active snapshot; removing the container removes the snapshot), then reconciles tasks
    /// whose shim died while no berth process was looking.
    func wireRuntime() {
        let snapshotters = self.snapshotters
        let prepared = self.preparedRootfs
        var hooks = Runtime.RootfsHooks()
        hooks.mount = { (c: Container, target: String) throws(BerthError) in
            let just = prepared.withLock { slot -> [Mount]? in
                defer { slot = nil }
                guard let p = slot, p.namespace == c.namespace, p.snapshotter == c.snapshotter, p.key == c.snapshotKey else { return nil }
                return p.mounts
            }
            let mounts: [Mount]
            if let just { mounts = just } else {
                mounts = try snapshotters.snapshotter(named: c.snapshotter).mounts(namespace: c.namespace, key: c.snapshotKey)
            }
            let removeOnExit = c.spec.annotations?[SpecGenerator.removeOnExitAnnotation] == "true"
            try Mount.mountAll(removeOnExit ? mounts.map(\.volatile) : mounts, at: target)
        }
        hooks.removeRecord = { db, namespace, snapshotter, key in
            try snapshotters.removeRecord(db, namespace: namespace, snapshotter: snapshotter, key: key)
        }
        runtime.setRootfsHooks(hooks)
        runtime.reconcile()
    }
}

extension BerthCore {
    /// Removes an empty namespace, with the parent cgroups its containers left for reuse.
    public func removeNamespace(_ name: String) throws(BerthError) {
        try namespaces.remove(name)
        if let cgroups = try? CgroupHierarchy.host.get() { cgroups.removeNamespace(name) }
    }
}
