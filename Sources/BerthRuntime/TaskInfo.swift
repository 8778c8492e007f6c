import Foundation

/// What a task is doing, from its shim (never from a record alone).
public enum TaskStatus: String, Codable, Sendable {
    /// Being set up: its bundle exists, its shim is not ready yet.
    case created
    case running
    case paused
    case stopped
}

/// One task as `berth tasks ls` and the UI show it.
public struct TaskInfo: Codable, Sendable, Equatable {
    public var namespace: String
    public var id: String
    public var image: String
    /// The init's pid in berth's pid namespace.
    public var pid: Int32?
    public var status: TaskStatus
    /// Set once stopped: the exit code, 128+signal when killed, 255 when its shim vanished.
    public var exitStatus: Int32?
    public var terminal: Bool
}

/// The exit code a failed start maps to (127: command not found, 126: not executable), as
/// Docker reports it. Carried as a BerthError's `underlying` so the CLI can exit with it.
public struct ProcessExitCode: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public var description: String { "" }
}
