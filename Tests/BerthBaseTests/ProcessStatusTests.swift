import BerthBase
#if canImport(Glibc)
import Glibc
#endif
import Testing

@Suite struct ProcessStatusTests {
    @Test func numbersInTheirRadix() {
        // A process's umask is octal, at most 0777; its capability masks are hexadecimal.
        let umask = ProcessStatus.number("Umask", radix: 8)
        #expect(umask != nil && umask! <= 0o777)
        #expect(ProcessStatus.number("CapBnd", radix: 16) != nil)
        #expect(ProcessStatus.number("Pid", radix: 10) == UInt64(getpid()))
        // Missing or not a number.
        #expect(ProcessStatus.number("NoSuchField", radix: 10) == nil)
        #expect(ProcessStatus.number("Name", radix: 10) == nil)
        #expect(ProcessStatus.number("Cap", radix: 16) == nil, "a prefix of a field is not the field")
    }
}
