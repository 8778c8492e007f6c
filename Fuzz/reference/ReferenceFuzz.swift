// Image references (Reference.parse): any string either parses or fails with an error naming
// it, and a parsed reference is already normal: its string form parses back to itself.
import BerthBase
import BerthFuzzSupport
import BerthOCI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReference(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let s = String(decoding: input(data, size), as: UTF8.self)
    let r: Reference
    do throws(BerthError) { r = try Reference.parse(s) } catch {
        check(error.message.hasPrefix("invalid image reference \(s.debugDescription)"), "error does not name the reference: \(error.message)")
        return 0
    }
    check(r.tag != nil || r.digest != nil, "\(s.debugDescription) parsed without tag or digest")
    do throws(BerthError) {
        let again = try Reference.parse(r.description)
        check(again == r, "\(s.debugDescription) -> \(r) -> \(again): not normal")
    } catch {
        check(false, "\(s.debugDescription) -> \(r), which does not parse: \(error.message)")
    }
    return 0
}
