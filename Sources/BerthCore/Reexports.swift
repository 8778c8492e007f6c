// The value types of BerthCore's API, re-exported one by one so that a front end can name
// them; the services' own types (the runtime, the stores, the journal, the snapshotters'
// implementation) are not, and are reached only through BerthCore and its protocols.
@_exported import class BerthContent.ContentWriter
@_exported import struct BerthContent.IngestStatus
@_exported import struct BerthEvents.Event
@_exported import enum BerthEvents.Topic
@_exported import struct BerthImages.ImageDetails
@_exported import struct BerthImages.ImportedImage
@_exported import struct BerthImages.ImportOptions
@_exported import struct BerthImages.ImportProgress
@_exported import enum BerthImages.ImportSource
@_exported import struct BerthImages.ManifestDetails
@_exported import struct BerthImages.UnpackResult
@_exported import struct BerthMetadata.ContentRecord
@_exported import struct BerthMetadata.ImageRecord
@_exported import struct BerthMetadata.LeaseRecord
@_exported import struct BerthMetadata.NamespaceRecord
@_exported import struct BerthMetadata.RemovedSnapshot
@_exported import struct BerthMetadata.SnapshotInfo
@_exported import enum BerthMetadata.SnapshotKind
@_exported import struct BerthRuntime.Container
@_exported import struct BerthRuntime.ContainerOptions
@_exported import struct BerthRuntime.TaskInfo
@_exported import struct BerthRuntime.TaskMetrics
@_exported import class BerthRuntime.PreparedShim
@_exported import class BerthRuntime.TaskAttachment
@_exported import enum BerthRuntime.OptionParsing
@_exported import protocol BerthSnapshots.Snapshotter
@_exported import struct BerthSnapshots.SnapshotUsage
@_exported import struct BerthRuntime.Spec
@_exported import struct BerthRuntime.SeccompProfile
@_exported import enum BerthRuntime.Capability
@_exported import struct BerthRuntime.ProcessExitCode
