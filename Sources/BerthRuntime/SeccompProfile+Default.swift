/// Docker's default seccomp profile (moby profiles/seccomp/default.json): deny with EPERM
/// unless allowed; a large allow list (without io_uring, as Docker since 25.0); argument-
/// conditioned rules for socket, personality and clone; extra syscalls only for containers
/// holding the capability that guards them. docs/runtime.md lists where berth differs.
extension SeccompProfile {
    public static let dockerDefault: SeccompProfile = {
        typealias R = Rule
        typealias F = Filter
        func eq(_ index: UInt32, _ value: UInt64) -> [Spec.Seccomp.Arg] { [.init(index: index, value: value, op: "SCMP_CMP_EQ")] }
        // CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWCGROUP
        let cloneNamespaceFlags: UInt64 = 2114060288
        let rules: [Rule] = [
            R(allowed),
            R(["process_vm_readv", "process_vm_writev", "ptrace"], includes: F(minKernel: "4.8")),
            // Every address family but AF_ALG (38, the kernel's crypto API) and AF_VSOCK (40): three
            // rules, since conditions on one argument within a rule must all hold.
            R(["socket"], args: [.init(index: 0, value: 38, op: "SCMP_CMP_LT")]),
            R(["socket"], args: eq(0, 39)),
            R(["socket"], args: [.init(index: 0, value: 40, op: "SCMP_CMP_GT")]),
            R(["personality"], args: eq(0, 0)),
            R(["personality"], args: eq(0, 8)),
            R(["personality"], args: eq(0, 131072)),
            R(["personality"], args: eq(0, 131080)),
            R(["personality"], args: eq(0, 4294967295)),
            R(["sync_file_range2", "swapcontext"], includes: F(arches: ["ppc64le"])),
            R(["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
              includes: F(arches: ["arm", "arm64"])),
            R(["arch_prctl"], includes: F(arches: ["amd64", "x32"])),
            R(["modify_ldt"], includes: F(arches: ["amd64", "x32", "x86"])),
            R(["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"], includes: F(arches: ["s390", "s390x"])),
            R(["riscv_flush_icache"], includes: F(arches: ["riscv64"])),
            R(["open_by_handle_at"], includes: F(caps: ["CAP_DAC_READ_SEARCH"])),
            R(["bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
               "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
               "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare"],
              includes: F(caps: ["CAP_SYS_ADMIN"])),
            R(["clone"], args: [.init(index: 0, value: cloneNamespaceFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")],
              excludes: F(arches: ["s390", "s390x"], caps: ["CAP_SYS_ADMIN"])),
            R(["clone"], args: [.init(index: 1, value: cloneNamespaceFlags, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")],
              includes: F(arches: ["s390", "s390x"]), excludes: F(caps: ["CAP_SYS_ADMIN"])),
            // ENOSYS, so libc falls back to clone, whose flags the rule above can inspect.
            R(["clone3"], "SCMP_ACT_ERRNO", errnoRet: 38, excludes: F(caps: ["CAP_SYS_ADMIN"])),
            R(["reboot"], includes: F(caps: ["CAP_SYS_BOOT"])),
            R(["chroot"], includes: F(caps: ["CAP_SYS_CHROOT"])),
            R(["delete_module", "init_module", "finit_module"], includes: F(caps: ["CAP_SYS_MODULE"])),
            R(["acct"], includes: F(caps: ["CAP_SYS_PACCT"])),
            R(["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
              includes: F(caps: ["CAP_SYS_PTRACE"])),
            R(["iopl", "ioperm"], includes: F(caps: ["CAP_SYS_RAWIO"])),
            R(["settimeofday", "stime", "clock_settime", "clock_settime64"], includes: F(caps: ["CAP_SYS_TIME"])),
            R(["vhangup"], includes: F(caps: ["CAP_SYS_TTY_CONFIG"])),
            R(["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"], includes: F(caps: ["CAP_SYS_NICE"])),
            R(["syslog"], includes: F(caps: ["CAP_SYSLOG"])),
            R(["bpf"], includes: F(caps: ["CAP_BPF"])),
            R(["perf_event_open"], includes: F(caps: ["CAP_PERFMON"])),
        ]
        return SeccompProfile(
            defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
            archMap: [
                ArchMap(architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
                ArchMap(architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"]),
                ArchMap(architecture: "SCMP_ARCH_S390X", subArchitectures: ["SCMP_ARCH_S390"]),
                ArchMap(architecture: "SCMP_ARCH_RISCV64", subArchitectures: nil),
            ],
            syscalls: rules)
    }()

    /// Syscalls every container may make.
    static let allowed: [String] = [
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
        "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
        "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64",
        "close", "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create",
        "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
        "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
        "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
        "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr",
        "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
        "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_requeue", "futex_time64",
        "futex_wait", "futex_waitv", "futex_wake", "futimesat", "get_robust_list", "get_thread_area", "getcpu",
        "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
        "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
        "getppid", "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
        "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid",
        "getuid32", "getxattr", "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
        "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
        "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc", "kill", "landlock_add_rule",
        "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
        "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek", "lremovexattr",
        "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier", "memfd_create",
        "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
        "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
        "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap", "mseal",
        "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
        "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause", "pidfd_open",
        "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
        "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
        "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
        "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages",
        "removexattr", "removexattrat", "rename", "renameat", "renameat2", "restart_syscall", "riscv_hwprobe",
        "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
        "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
        "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr",
        "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
        "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp",
        "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
        "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list", "set_thread_area", "set_tid_address",
        "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
        "setitimer", "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit", "setsid", "setsockopt", "setuid",
        "setuid32", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack",
        "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair", "splice", "stat",
        "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
        "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete", "timer_getoverrun",
        "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create",
        "timerfd_gettime", "timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times", "tkill",
        "truncate", "truncate64", "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime",
        "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
        "writev"
    ]
}
