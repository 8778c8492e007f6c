// Layer application (LayerApplier, LayerWriter): tar bytes applied to a scratch snapshot
// either succeed or fail with an error naming the layer, and never touch anything outside the
// snapshot: a sentinel directory beside it and, for overlay, the lower directory beneath it
// stay exactly as they were (content, mode, owner, times), and nothing appears beside them or
// in the directory above.
// The first input byte picks the target: even, a plain directory whose whiteouts delete in
// place (native); odd, an overlay upper directory over a lower one (overlay whiteouts).
import BerthBase
import BerthFuzzSupport
import BerthSnapshots
import Glibc

/// The scratch directory holds `tree`, where the snapshot (`root`) lies beside a sentinel
/// directory (`outside`) and the overlay's `lower`, and `blob`, the layer's bytes: rewritten for
/// every input, they would hide a write to them, so they are kept apart.
let scratch = scratchDirectory("layer")
let tree = scratch + "/tree"
let (outside, lower, root) = (tree + "/outside", tree + "/lower", tree + "/root")
let blob = scratch + "/blob/layer.tar"
let untouched = (outside: populate(outside), lower: populate(lower))

/// A small tree of a directory, files of two owners and modes, and a symlink; its state.
func populate(_ dir: String) -> [String] {
    try! FileSystem.makeDirectories(dir + "/dir")
    try! FileSystem.writeAtomically(dir + "/file", "sentinel\n", mode: 0o640)
    try! FileSystem.writeAtomically(dir + "/dir/file", "sentinel\n", mode: 0o600)
    check(symlink("../file", dir + "/dir/link") == 0 && chown(dir + "/file", 1000, 1000) == 0, "cannot populate \(dir)")
    return treeState(dir)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLayer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = input(data, size)
    let before = untouched  // the set-up, before the first layer
    let overlay = (bytes.first ?? 0) & 1 == 1
    try! FileSystem.makeDirectories(root)
    try! FileSystem.makeDirectories(FileSystem.parentDirectory(blob))
    try! FileSystem.writeAtomically(blob, Array(bytes.dropFirst()))
    do throws(BerthError) {
        _ = try LayerApplier.apply(blob: blob, to: ApplyTarget(root: root, lowers: overlay ? [lower] : [], overlayWhiteouts: overlay),
                                   subject: "layer")
    } catch {
        check(error.message.hasPrefix("layer: "), "error does not name the layer: \(error.message)")
    }
    check(treeState(outside) == before.outside, "the sentinel directory beside the snapshot changed: \(treeState(outside))")
    check(treeState(lower) == before.lower, "the lower directory changed: \(treeState(lower))")
    let beside = Set(FileSystem.directoryEntries(tree) ?? []), above = Set(FileSystem.directoryEntries(scratch) ?? [])
    check(beside == ["outside", "lower", "root"], "entries appeared beside the snapshot: \(beside.sorted())")
    check(above == ["tree", "blob"] && FileSystem.directoryEntries(scratch + "/blob") == ["layer.tar"],
          "entries appeared above the snapshot: \(above.sorted())")
    do throws(BerthError) { try FileSystem.removeTree(root) } catch { check(false, "cannot remove the snapshot: \(error.message)") }
    return 0
}
