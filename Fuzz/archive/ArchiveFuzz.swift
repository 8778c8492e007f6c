// Image archives (ImageService.importArchive: the OCI image-layout and docker-save readers):
// archive bytes import or fail with a one-line error naming the archive, and either way leave
// nothing behind once the imported images are removed: no leases, blobs or ingests.
import BerthBase
import BerthCore
import BerthFuzzSupport
import BerthImages

let scratch = scratchDirectory("archive")
let paths = BerthPaths(root: scratch + "/root", state: scratch + "/state")
let core = try! BerthCore(paths: paths)
let archive = scratch + "/image.tar"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    try! FileSystem.writeAtomically(archive, input(data, size))
    var options = ImportOptions()
    options.unpack = false
    do throws(BerthError) {
        let imported = try core.importImages(namespace: "fuzz", from: .file(archive), options: options)
        _ = try core.removeImages(namespace: "fuzz", imported.map(\.name))
    } catch {
        check(error.message.contains(archive), "error does not name the archive: \(error.message)")
        check(!error.message.contains("\n"), "error is not one line: \(error.message.debugDescription)")
    }
    check((try? core.leases.list(namespace: "fuzz"))?.isEmpty == true, "a lease was left behind")
    let blobs = FileSystem.directoryEntries(paths.blobsDir) ?? [], ingests = FileSystem.directoryEntries(paths.ingestDir) ?? []
    check(blobs.isEmpty && ingests.isEmpty, "left behind: blobs \(blobs), ingests \(ingests)")
    return 0
}
