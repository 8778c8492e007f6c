import BerthBase
import BerthEvents
import BerthMetadata
import BerthOCI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Containers (metadata) and tasks (live processes, each behind its own berth-shim).
/// Every berth process on a root shares the database, the bundles under the state directory
/// and the shims; nothing here is held in memory across calls.
public final class Runtime: Sendable {
    public let paths: BerthPaths
    public let metadata: MetadataStore
    public let events: EventJournal
    public let containerStore: ContainerStore

    public init(paths: BerthPaths, metadata: MetadataStore, events: EventJournal) {
        self.paths = paths
        self.metadata = metadata
        self.events = events
        self.containerStore = ContainerStore(db: metadata)
    }

    /// Where a container's rootfs comes from.
    public enum RootfsSource: Sendable, Equatable {
        /// A host directory, bind-mounted (as `ctr run --rootfs`).
        case directory(String)
        /// An active snapshot already prepared under `key`.
        case snapshot(snapshotter: String, key: String)
    }

    func bundle(_ namespace: String, _ id: String) -> String { Self.bundlePath(paths, namespace, id) }
    static func bundlePath(_ paths: BerthPaths, _ namespace: String, _ id: String) -> String { "\(paths.tasksDir)/\(namespace)/\(id)" }

    func cgroup(_ namespace: String, _ id: String) throws(BerthError) -> Cgroup {
        try CgroupHierarchy.host.get().cgroup(namespace: namespace, id: id)
    }

    // MARK: containers

    /// Creates a container record: the spec comes from the image config and the options.
    @discardableResult
    public func createContainer(namespace: String, id: String, image: String = "", imageConfig: ImageConfig.Config?,
                                rootfs: RootfsSource, options: ContainerOptions = ContainerOptions(),
                                labels: Labels = [:]) throws(BerthError) -> Container {
        let c = try newContainer(namespace: namespace, id: id, image: image, imageConfig: imageConfig, rootfs: rootfs,
                                 options: options, labels: labels)
        try containerStore.create(c)
        publishCreated(c)
        return c
    }

    /// A container as `createContainer` records it (its spec generated and the input checked),
    /// not recorded: `ContainerStore.inserting` stores it within another transaction.
    public func newContainer(namespace: String, id: String, image: String = "", imageConfig: ImageConfig.Config?,
                             rootfs: RootfsSource, options: ContainerOptions = ContainerOptions(),
                             labels: Labels = [:]) throws(BerthError) -> Container {
        try NamespaceName.validate(namespace)
        let spec = try SpecGenerator.generate(id: id, namespace: namespace, image: imageConfig, options: options)
        let (snapshotter, key): (String, String)
        switch rootfs {
        case .directory(let dir):
            guard dir.hasPrefix("/"), FileSystem.isDirectory(dir) else {
                throw .notFound("rootfs \(dir): not an existing directory (want an absolute path)")
            }
            (snapshotter, key) = (Container.hostDirectory, dir)
        case .snapshot(let s, let k):
            (snapshotter, key) = (s, k)
        }
        for (k, v) in labels { try LabelRules.validate(k, v) }
        let now = Date()
        return Container(namespace: namespace, id: id, image: image, runtime: Container.runtimeName,
                         snapshotter: snapshotter, snapshotKey: key, spec: spec, labels: labels,
                         createdAt: now, updatedAt: now)
    }

    /// Publishes /containers/create for a container recorded by `ContainerStore.inserting`
    /// in a transaction of the caller's.
    public func publishCreated(_ c: Container) {
        events.publish(namespace: c.namespace, topic: Topic.containerCreate, ["id": c.id, "image": c.image])
    }

    public func containers(namespace: String) throws(BerthError) -> [Container] {
        try containerStore.list(namespace: namespace)
    }

    public func container(namespace: String, id: String) throws(BerthError) -> Container {
        try containerStore.get(namespace: namespace, id: id)
    }

    /// Removes the task of container `id`, if it has one (a stopped task, or any with `force`),
    /// before the container's record goes. Whether the rootfs it unmounted is gone everywhere
    /// (see `unmountRootfs`): its snapshot's directories are then free for a new snapshot.
    public func removeTaskOfContainer(namespace: String, id: String, force: Bool) throws(BerthError) -> Bool {
        guard FileSystem.exists(bundle(namespace, id)) else { return false }
        if !force {
            let info = try task(namespace: namespace, id: id)
            if info.status != .stopped {
                throw .failedPrecondition("container \(id.debugDescription) has a \(info.status.rawValue) task: stop it first or use --force")
            }
        }
        return try removeTask(namespace: namespace, id: id, force: true).rootfsReleased
    }

    /// Publishes /containers/delete once the container's records are gone.
    public func publishDeleted(namespace: String, id: String) {
        events.publish(namespace: namespace, topic: Topic.containerDelete, ["id": id])
    }
}
