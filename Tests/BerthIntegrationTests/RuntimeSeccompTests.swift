import BerthCore
import BerthTestSupport
import Foundation
import Testing

/// The default seccomp profile in force: what Docker denies since 25.0 is denied in a berth
/// container too, with Docker's answer (EPERM).
@Suite(.serialized) struct RuntimeSeccompTests {
    /// A static program making the raw syscalls busybox has no applet for, printing each
    /// result as `name errno-name` (or `name allowed`).
    static func buildSyscallProbe(into path: String) throws {
        let src = path + ".c"
        try FileSystem.writeAtomically(src, """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <stdio.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        static void report(const char *name, long r) {
            printf("%s %s\\n", name, r >= 0 ? "allowed" : errno == EPERM ? "EPERM" : strerror(errno));
            if (r >= 0) close((int)r);
        }
        int main(void) {
            char params[120] = {0};
            report("io_uring_setup", syscall(SYS_io_uring_setup, 1, params));
            report("io_uring_enter", syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0));
            report("io_uring_register", syscall(SYS_io_uring_register, -1, 0, NULL, 0));
            report("socket-alg", socket(38, SOCK_SEQPACKET, 0));
            report("socket-vsock", socket(40, SOCK_STREAM, 0));
            report("socket-unix", socket(AF_UNIX, SOCK_STREAM, 0));
            return 0;
        }
        """)
        defer { unlink(src) }
        try Command.check(["cc", "-static", "-O1", "-o", path, src])
    }

    @Test(.enabled(if: Privilege.canRunRootTests))
    func ioUringAndKernelCryptoSocketsAreDenied() throws {
        let f = try RuntimeFixture("sc"); defer { f.cleanup() }
        try Self.buildSyscallProbe(into: f.rootfs + "/bin/syscalls")
        let r = try f.run([], ["/bin/syscalls"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
        io_uring_setup EPERM
        io_uring_enter EPERM
        io_uring_register EPERM
        socket-alg EPERM
        socket-vsock EPERM
        socket-unix allowed

        """, "\(r.stdout)\(r.stderr)")
        // Without the profile the same calls reach the kernel: the denials above are seccomp's.
        let unconfined = try f.run(["--seccomp-profile", "unconfined"], ["/bin/syscalls"])
        #expect(unconfined.stdout.contains("io_uring_enter Bad file descriptor\n"), "\(unconfined.stdout)\(unconfined.stderr)")
        if (try? FileSystem.readString("/proc/sys/kernel/io_uring_disabled")) ?? "0\n" == "0\n" {
            #expect(unconfined.stdout.contains("io_uring_setup allowed\n"), "\(unconfined.stdout)")
        }
        #expect(f.leftovers() == .init(mounts: [], cgroups: [], shims: [], bundles: []))
    }
}
