import BerthContent
import BerthEvents
import BerthImages
import BerthMetadata
import BerthRuntime
import BerthSnapshots
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

    /// A shim for the task of container `id` with `options`, started now, before any core is
    /// open, so that it detaches and makes the init's namespaces while the container is created
    /// (pass it to `run`); nil when it cannot be started (the start then spawns one as usual).
    public static func prepareShim(paths: BerthPaths, namespace: String, id: String, options: ContainerOptions) -> PreparedShim? {
        Runtime.prepareShim(paths: paths, namespace: namespace, id: id, options: options)
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
        // The deferred start-up recovery runs while the shim sets the task up on another CPU,
        // and the attachment is made there. (A checkpoint of the write-ahead log there, to keep
        // the next process's WAL index rebuild short, cost more than it saved: its syncs
        // outlast the wait.)
        var early: TaskAttachment?
        defer { attachment = early }
        do throws(BerthError) {
            // The task's rootfs is mounted from the mounts just prepared, not read back.
            let rootfs: [Mount]
            if let mounts { rootfs = mounts } else { rootfs = try rootfsMounts(c) }
            return try runtime.startTask(c, rootfs: rootfs, shim: shim) {
                self.recoverIfPending()
                if attaching { early = self.runtime.attachWhileStarting(namespace: namespace, id: id) }
            }
        } catch {
            early?.close()
            early = nil
            try? removeContainer(namespace: namespace, id: id, force: true)
            throw error
        }
    }

    /// Starts the task of an existing container (a stopped task is replaced, as `docker start`
    /// restarts a stopped container).
    @discardableResult
    public func startTask(namespace: String, id: String) throws(BerthError) -> TaskInfo {
        let c = try runtime.container(namespace: namespace, id: id)
        return try runtime.startTask(c, rootfs: try rootfsMounts(c))
    }

    /// The mounts of a container's rootfs snapshot (none for a host directory, which the
    /// runtime binds itself).
    func rootfsMounts(_ c: Container) throws(BerthError) -> [Mount] {
        guard c.snapshotter != Container.hostDirectory else { return [] }
        return try snapshotters.snapshotter(named: c.snapshotter).mounts(namespace: c.namespace, key: c.snapshotKey)
    }

    /// Removes a container with its task and snapshot (`force`: even while it runs). Both
    /// records go in one transaction (the container's says where its snapshot is); the
    /// snapshot's directory after it.
    public func removeContainer(namespace: String, id: String, force: Bool = false) throws(BerthError) {
        let rootfsReleased = try runtime.removeTaskOfContainer(namespace: namespace, id: id, force: force)
        let snapshotters = self.snapshotters
        let removeDirectory = try metadata.write { tx in
            guard let rootfs = try tx.containers.delete(namespace: namespace, id: id) else {
                throw BerthError.notFound("container \(id.debugDescription) not found")
            }
            guard rootfs.snapshotter != Container.hostDirectory else { return (@Sendable (Bool) throws(BerthError) -> Void)?.none }
            return try snapshotters.removeRecord(tx, namespace: namespace, snapshotter: rootfs.snapshotter, key: rootfs.key)
        }
        try removeDirectory?(rootfsReleased)
        runtime.publishDeleted(namespace: namespace, id: id)
    }
}

extension BerthCore {
    /// Creates a namespace (publishing /namespaces/create).
    public func createNamespace(_ name: String, labels: Labels = [:]) throws(BerthError) {
        try namespaceStore.create(name, labels: labels)
        eventJournal.publish(namespace: name, topic: Topic.namespaceCreate, ["name": name])
    }

    /// Removes an empty namespace, with the parent cgroups its containers left for reuse
    /// (publishing /namespaces/delete).
    public func removeNamespace(_ name: String) throws(BerthError) {
        try namespaceStore.remove(name)
        if let cgroups = try? CgroupHierarchy.host.get() { cgroups.removeNamespace(name) }
        eventJournal.publish(namespace: name, topic: Topic.namespaceDelete, ["name": name])
    }
}
