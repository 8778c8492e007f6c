import BerthCore
import Foundation

/// Runs outside programs from tests and collects their output.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    public var succeeded: Bool { status == 0 }
}

public enum Command {
    /// Runs `argv` to completion. Output is read on background threads so large outputs
    /// never deadlock on a full pipe.
    @discardableResult
    public static func run(_ argv: [String], stdin: Data? = nil, environment: [String: String]? = nil,
                           cwd: String? = nil) throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : try which(argv[0]))
        p.arguments = Array(argv.dropFirst())
        if let environment {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
        try p.run()
        let out = Locked(Data()), err = Locked(Data())
        let group = DispatchGroup()
        for (pipe, sink) in [(outPipe, out), (errPipe, err)] {
            group.enter()
            Thread.detachNewThread {
                let d = pipe.fileHandleForReading.readDataToEndOfFile()
                sink.withLock { $0 = d }
                group.leave()
            }
        }
        if let stdin {
            inPipe.fileHandleForWriting.write(stdin)
            try? inPipe.fileHandleForWriting.close()
        }
        p.waitUntilExit()
        group.wait()
        return CommandResult(status: p.terminationStatus,
                             stdout: String(decoding: out.current, as: UTF8.self),
                             stderr: String(decoding: err.current, as: UTF8.self))
    }

    /// Runs `argv` and throws, with its stderr, unless it exits 0.
    @discardableResult
    public static func check(_ argv: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> String {
        let r = try run(argv, stdin: stdin, environment: environment)
        guard r.succeeded else {
            throw BerthError.internal("\(argv.joined(separator: " ")) exited \(r.status): \(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return r.stdout
    }

    public static func which(_ name: String) throws -> String {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if access(p, X_OK) == 0 { return p }
        }
        throw BerthError.notFound("\(name) not found in PATH")
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    public static func waitUntil(timeout: Double = 10, interval: Double = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: interval)
        }
        return try condition()
    }
}

/// The binaries this package builds, found in the build products directory beside the tests.
public enum BuiltProducts {
    public static var directory: String {
        // The test bundle runs from the products dir (e.g. .build/debug); fall back to the
        // source tree's .build/debug.
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = (exe as NSString).deletingLastPathComponent
        if FileManager.default.isExecutableFile(atPath: dir + "/berth") { return dir }
        let bundle = Bundle.main.bundlePath
        if FileManager.default.isExecutableFile(atPath: bundle + "/berth") { return bundle }
        dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug").path
        return dir
    }

    public static var berth: String { directory + "/berth" }
    public static var shim: String { directory + "/berth-shim" }
}
