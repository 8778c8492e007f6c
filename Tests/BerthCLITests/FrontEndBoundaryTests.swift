import Foundation
import Testing

/// The seams, checked in the sources: the database is BerthMetadata's alone, and the front
/// ends (CLI and UI) use BerthCore's API, never a service's own types.
@Suite struct FrontEndBoundaryTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources")

    static func swiftFiles(under dir: String) -> [URL] {
        let root = sources.appendingPathComponent(dir)
        let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "swift" }
    }

    @Test func onlyMetadataImportsTheDatabaseLibrary() throws {
        let targets = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path)
        var offenders: [String] = []
        for target in targets where target != "BerthMetadata" {
            for file in Self.swiftFiles(under: target) {
                let text = try String(contentsOf: file, encoding: .utf8)
                if text.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("import GRDB") }) {
                    offenders.append(target + "/" + file.lastPathComponent)
                }
            }
        }
        #expect(!targets.isEmpty)
        #expect(offenders.isEmpty, "\(offenders)")
    }

    /// BerthCore re-exports its API's value types one by one, never a whole service module.
    @Test func theCoreReexportsNoServiceModule() throws {
        var offenders: [String] = []
        for file in Self.swiftFiles(under: "BerthCore") {
            let text = try String(contentsOf: file, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("@_exported import Berth") {
                offenders.append(String(line))
            }
        }
        #expect(offenders.sorted() == ["@_exported import BerthBase", "@_exported import BerthMount", "@_exported import BerthOCI"], "\(offenders)")
    }

    @Test func frontEndsUseOnlyTheCoreAPI() throws {
        let serviceTypes = ["Runtime", "ContentStore", "Snapshotters", "LocalSnapshotter", "ImageService", "MetadataStore",
                            "MetadataTransaction", "EventJournal", "NamespaceStore", "LeaseStore", "ContainerStore", "ShimLauncher"]
        var offenders: [String] = []
        let files = Self.swiftFiles(under: "berth") + Self.swiftFiles(under: "BerthUI")
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            // A use of the type itself: a static member, a construction, an annotation.
            for type in serviceTypes where text.range(of: "(\\b\(type)[.(])|(: *\(type)\\b)", options: .regularExpression) != nil {
                offenders.append("\(file.lastPathComponent): \(type)")
            }
            for member in ["runtime", "metadata", "snapshotters", "contentStore", "eventJournal"] where text.contains("core.\(member).") || text.contains("core().\(member).") {
                offenders.append("\(file.lastPathComponent): core.\(member)")
            }
        }
        #expect(files.count > 10)
        #expect(offenders.isEmpty, "\(offenders)")
    }
}
