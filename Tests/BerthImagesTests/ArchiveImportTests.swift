import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// Archives that the archive fuzz target (Fuzz/archive) found mishandled.
@Suite struct ArchiveImportTests {
    /// An archive libarchive cannot even open (empty, or too short to recognise) was freed twice
    /// by the tar reader, which aborted the process instead of reporting it.
    @Test(arguments: [[], Array("x".utf8)] as [[UInt8]])
    func anArchiveThatCannotBeOpenedIsAnErrorNamingIt(bytes: [UInt8]) throws {
        let tmp = try TempRoot("import"); defer { tmp.cleanup() }
        let core = try tmp.core()
        let path = tmp.dir + "/image.tar"
        try FileSystem.writeAtomically(path, bytes)
        let error = #expect(throws: BerthError.self) { try core.importImages(namespace: "default", from: .file(path)) }
        #expect(error?.message.hasPrefix(path + ": ") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)
        #expect(try core.listImages(namespace: "default").isEmpty)
        #expect(try core.leases.list(namespace: "default").isEmpty)
        #expect((FileSystem.directoryEntries(tmp.paths.blobsDir) ?? []).isEmpty)
    }
}
