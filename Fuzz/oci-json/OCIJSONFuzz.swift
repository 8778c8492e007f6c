// Manifests, indexes and image configs: whatever the fast decoders (FastDecoding.swift) accept,
// JSONDecoder must accept too, into an equal value; the fast path may only decline.
import BerthBase
import BerthFuzzSupport
import BerthOCI
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOCIJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = input(data, size)
    agree(bytes, Manifest.self, fast: Manifest.init(fast:))
    agree(bytes, Index.self, fast: Index.init(fast:))
    agree(bytes, ImageConfig.self, fast: ImageConfig.init(fast:))
    return 0
}

func agree<T: Decodable & Equatable>(_ bytes: [UInt8], _ type: T.Type, fast: (JSONValue) -> T?) {
    guard let json = JSONValue.parse(bytes), let quick = fast(json) else { return }
    do {
        let slow = try JSONDecoder().decode(T.self, from: Data(bytes))
        check(quick == slow, "\(T.self): fast path \(quick) != JSONDecoder \(slow)")
    } catch {
        check(false, "\(T.self): fast path decoded \(quick), JSONDecoder refused: \(error)")
    }
}
