import BerthBase
import Foundation

/// The native snapshotter's full copy of a parent tree: `cp -a` keeps every attribute
/// that matters for a root file system (owners, modes incl. setuid, hard links, device
/// nodes, xattrs incl. security.capability, times) and copies file data in the kernel.
enum NativeCopy {
    static func copyTree(from source: String, to destination: String) throws(BerthError) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/cp")
        p.arguments = ["-a", "--reflink=auto", "--no-target-directory", "--", source, destination]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { throw .internal("copy \(source) to \(destination): cannot run cp: \(error)") }
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw .internal("copy \(source) to \(destination): \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
