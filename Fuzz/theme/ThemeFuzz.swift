// Theme files (ThemeParser): any text gives a theme or a one-line error naming the file; with
// no base theme, a theme that parses sets every role.
import BerthBase
import BerthFuzzSupport
import BerthUI

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTheme(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: input(data, size), as: UTF8.self)
    for base in [Theme.builtinDefault, nil] {
        do throws(BerthError) {
            let theme = try ThemeParser.parse(text, file: "fuzz.theme", base: base)
            check(!theme.name.isEmpty, "theme without a name")
            if base == nil { check(theme.styles.count == ThemeRole.allCases.count, "a role is missing") }
        } catch {
            check(error.message.hasPrefix("theme fuzz.theme"), "error does not name the file: \(error.message)")
            check(!error.message.contains("\n"), "error is not one line: \(error.message.debugDescription)")
        }
    }
    return 0
}
