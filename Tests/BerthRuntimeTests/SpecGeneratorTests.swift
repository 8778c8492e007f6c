import BerthOCI
import BerthCore
import Foundation
import Testing
@testable import BerthRuntime

@Suite struct SpecGeneratorTests {
    let image = ImageConfig.Config(User: nil, Env: ["PATH=/custom/bin", "A=1"], Entrypoint: ["/entry"], Cmd: ["default"], WorkingDir: "/work")

    func spec(_ o: ContainerOptions = ContainerOptions(), image: ImageConfig.Config? = nil, id: String = "web") throws -> Spec {
        try SpecGenerator.generate(id: id, namespace: "default", image: image ?? self.image, options: o)
    }

    @Test func dockerDefaults() throws {
        let s = try spec()
        #expect(s.process?.args == ["/entry", "default"])
        #expect(s.process?.cwd == "/work")
        #expect(s.hostname == "web")
        #expect(s.process?.env?.contains("PATH=/custom/bin") == true)
        #expect(s.process?.env?.contains("HOSTNAME=web") == true)
        #expect(s.process?.noNewPrivileges == true)
        #expect(s.process?.rlimits == [.init(type: "RLIMIT_NOFILE", hard: 1_048_576, soft: 1_048_576)])
        #expect(Set(s.linux?.namespaces?.map(\.type) ?? []) == ["pid", "network", "ipc", "uts", "mount", "cgroup"])
        #expect(s.process?.capabilities?.bounding?.count == 14)
        #expect(s.process?.capabilities?.effective?.contains("CAP_CHOWN") == true)
        #expect(s.process?.capabilities?.effective?.contains("CAP_SYS_ADMIN") == false)
        #expect(s.linux?.maskedPaths?.contains("/proc/kcore") == true)
        #expect(s.linux?.readonlyPaths?.contains("/proc/sys") == true)
        #expect(s.linux?.cgroupsPath == "berth/default/web")
        let dests = s.mounts?.map(\.destination) ?? []
        #expect(dests == ["/proc", "/dev", "/dev/pts", "/sys", "/dev/mqueue", "/dev/shm"])
        #expect(s.mounts?.first { $0.destination == "/sys" }?.options?.contains("ro") == true)
        #expect(s.mounts?.first { $0.destination == "/dev/pts" }?.options?.contains("newinstance") == true)
        #expect(s.linux?.seccomp?.defaultAction == "SCMP_ACT_ERRNO")
        #expect(s.linux?.seccomp?.architectures == ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        // Docker's device rules and no limits.
        #expect(s.linux?.resources == Spec.Resources(devices: SpecGenerator.defaultDeviceRules))
        #expect(s.linux?.resources?.devices?.first == .init(allow: false, access: "rwm"))
        #expect(s.linux?.resources?.devices?.map(\.v1Entry) == [
            "a", "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
            "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm",
        ])
        #expect(s.linux?.devices == SpecGenerator.defaultDevices)
        #expect(s.root == Spec.Root(path: "rootfs", readonly: false))
    }

    @Test func commandOverridesCmdAndEntrypointDropsCmd() throws {
        var o = ContainerOptions()
        o.command = ["x", "y"]
        #expect(try spec(o).process?.args == ["/entry", "x", "y"])
        o = ContainerOptions()
        o.entrypoint = ["/other"]
        #expect(try spec(o).process?.args == ["/other"])
    }

    @Test func noCommandIsAnError() {
        #expect(throws: BerthError.self) { try spec(image: ImageConfig.Config()) }
    }

    @Test func envAndDefaultPath() throws {
        var o = ContainerOptions()
        o.env = ["A=2", "B=3"]
        o.terminal = true
        let env = try spec(o).process?.env ?? []
        #expect(env.contains("A=2") && !env.contains("A=1") && env.contains("B=3") && env.contains("TERM=xterm"))
        let bare = try spec(image: ImageConfig.Config(Cmd: ["sh"])).process?.env ?? []
        #expect(bare.first == SpecGenerator.defaultPath)
    }

    @Test func userIsNumericNowOrResolvedLater() throws {
        var o = ContainerOptions()
        o.user = "1000:1000"
        var s = try spec(o)
        #expect(s.process?.user == Spec.User(uid: 1000, gid: 1000))
        o.user = "app"
        s = try spec(o)
        #expect(s.annotations?[SpecGenerator.userAnnotation] == "app")
    }

    @Test func privilegedHostNetReadOnlyAndLimits() throws {
        var o = ContainerOptions()
        o.privileged = true
        o.hostNetwork = true
        o.readOnly = true
        o.memory = 64 << 20
        o.pidsLimit = 10
        o.cpu = try OptionParsing.cpus("1.5")
        let s = try spec(o)
        #expect(s.process?.capabilities?.bounding?.count == Capability.all.count)
        #expect(s.linux?.seccomp == nil && s.linux?.maskedPaths == nil && s.linux?.readonlyPaths == nil)
        #expect(s.process?.noNewPrivileges == false)
        #expect(s.linux?.namespaces?.contains { $0.type == "network" } == false)
        #expect(s.root?.readonly == true)
        #expect(s.linux?.resources?.memory?.limit == 64 << 20)
        #expect(s.linux?.resources?.pids?.limit == 10)
        #expect(s.linux?.resources?.cpu == .init(quota: 150_000, period: 100_000))
        #expect(s.linux?.resources?.devices == [.init(allow: true, access: "rwm")])
    }

    @Test func deviceOptionAddsTheNodeAndItsRule() throws {
        var o = ContainerOptions()
        o.devices = [try OptionParsing.device("/dev/null:/dev/n:rw")]
        let s = try spec(o)
        let node = Spec.Device(type: "c", path: "/dev/n", major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0)
        #expect(s.linux?.devices == SpecGenerator.defaultDevices + [node])
        #expect(s.linux?.resources?.devices?.last == .init(allow: true, type: "c", major: 1, minor: 3, access: "rw"))
        #expect(s.linux?.resources?.devices?.dropLast() == SpecGenerator.defaultDeviceRules[...])
        let conf = try ShimConfig.forInit(spec: s, id: "web", rootfs: "/r", cgroupProcs: [])
        #expect(conf.values("device") == ["c 1 3 666 0 0 /dev/n"])
    }

    @Test func capAddAndDrop() throws {
        var o = ContainerOptions()
        o.capAdd = ["net_admin"]
        o.capDrop = ["CHOWN"]
        let caps = try spec(o).process?.capabilities?.effective ?? []
        #expect(caps.contains("CAP_NET_ADMIN") && !caps.contains("CAP_CHOWN") && caps.count == 14)
        o.capDrop = ["ALL"]
        o.capAdd = ["KILL"]
        #expect(try spec(o).process?.capabilities?.effective == ["CAP_KILL"])
        o.capAdd = ["NOPE"]
        #expect(throws: BerthError.self) { try spec(o) }
    }

    @Test func unconfinedSeccomp() throws {
        var o = ContainerOptions()
        o.seccomp = .unconfined
        #expect(try spec(o).linux?.seccomp == nil)
    }

    @Test func invalidIDAndHostname() {
        #expect(throws: BerthError.self) { try spec(id: "bad id") }
        #expect(throws: BerthError.self) { try spec(id: "-x") }
        var o = ContainerOptions()
        o.hostname = "has space"
        #expect(throws: BerthError.self) { try spec(o) }
    }
}

@Suite struct SeccompProfileTests {
    func names(_ s: Spec.Seccomp) -> Set<String> {
        Set((s.syscalls ?? []).filter { $0.action == "SCMP_ACT_ALLOW" && $0.args == nil }.flatMap(\.names))
    }

    @Test func defaultProfileForDefaultCaps() {
        let s = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: Capability.dockerDefault, kernel: (6, 1))
        let allowed = names(s)
        #expect(allowed.contains("read") && allowed.contains("arch_prctl") && allowed.contains("ptrace"))
        for denied in ["unshare", "mount", "setns", "keyctl", "add_key", "reboot", "bpf", "clone3", "open_by_handle_at"] {
            #expect(!allowed.contains(denied), "\(denied) must not be allowed")
        }
        #expect(allowed.contains("chroot"))  // CAP_SYS_CHROOT is a default capability
        let clone = s.syscalls?.first { $0.names == ["clone"] }
        #expect(clone?.args == [.init(index: 0, value: 2_114_060_288, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")])
        #expect(s.syscalls?.first { $0.names == ["clone3"] }?.errnoRet == 38)
        #expect(s.syscalls?.filter { $0.names == ["personality"] }.count == 5)
    }

    /// io_uring bypasses most syscall filtering and has been a steady source of kernel
    /// escapes; Docker denies it since 25.0, and so does berth, whatever the capabilities.
    @Test func ioUringIsDeniedWithEveryCapability() {
        let every = Capability.dockerDefault + ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_RAWIO", "CAP_BPF", "CAP_PERFMON"]
        for caps in [Capability.dockerDefault, every] {
            let s = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: caps, kernel: (6, 1))
            #expect(s.defaultAction == "SCMP_ACT_ERRNO" && s.defaultErrnoRet == 1)
            for name in ["io_uring_setup", "io_uring_enter", "io_uring_register"] {
                #expect(!(s.syscalls ?? []).contains { $0.names.contains(name) }, "\(name) has a rule")
            }
        }
    }

    /// socket(2) for every family but AF_ALG (38: the kernel's crypto API) and AF_VSOCK (40),
    /// in three rules, since conditions on one argument in one rule must all hold.
    @Test func socketRulesLeaveOutAFALGAndAFVSOCK() {
        let s = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: Capability.dockerDefault, kernel: (6, 1))
        let rules = (s.syscalls ?? []).filter { $0.names == ["socket"] }
        #expect(rules.map { $0.args ?? [] } == [
            [.init(index: 0, value: 38, op: "SCMP_CMP_LT")],
            [.init(index: 0, value: 39, op: "SCMP_CMP_EQ")],
            [.init(index: 0, value: 40, op: "SCMP_CMP_GT")],
        ])
        func allowed(_ family: UInt64) -> Bool {
            rules.contains { rule in
                (rule.args ?? []).allSatisfy { a in
                    switch a.op {
                    case "SCMP_CMP_LT": return family < a.value
                    case "SCMP_CMP_EQ": return family == a.value
                    case "SCMP_CMP_GT": return family > a.value
                    default: return false
                    }
                }
            }
        }
        #expect(allowed(1) && allowed(2) && allowed(10) && allowed(16) && allowed(39) && allowed(41))
        #expect(!allowed(38) && !allowed(40))
    }

    /// The Linux security module syscalls read and change the caller's LSM attributes: only
    /// with CAP_SYS_ADMIN, as Docker has it.
    @Test func lsmSyscallsNeedSysAdmin() {
        let lsm: Set = ["lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"]
        let plain = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: Capability.dockerDefault, kernel: (6, 1))
        #expect(names(plain).isDisjoint(with: lsm))
        let admin = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: Capability.dockerDefault + ["CAP_SYS_ADMIN"], kernel: (6, 1))
        #expect(lsm.isSubset(of: names(admin)))
    }

    /// The unconditional allow list, written out so that any change to it shows up here and is
    /// made on purpose (docs/runtime.md compares it with Docker's).
    @Test func allowListIsTheReviewedOne() {
        let expected = """
        accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
        clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
        clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3
        epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old
        eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate
        fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync
        fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync
        ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv futex_wake futimesat
        get_robust_list get_thread_area getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32
        getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
        getrandom getresgid getresgid32 getresuid getresuid32 getrlimit getrusage getsid getsockname getsockopt
        gettid gettimeofday getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1
        inotify_rm_watch io_cancel io_destroy io_getevents io_pgetevents io_pgetevents_time64 io_setup
        io_submit ioctl ioprio_get ioprio_set ipc kill landlock_add_rule landlock_create_ruleset
        landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listmount listxattr listxattrat
        llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise map_shadow_stack membarrier
        memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect
        mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64
        mq_unlink mremap mseal msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at
        nanosleep newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2
        pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64
        process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat
        readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename
        renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask
        rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
        sched_get_priority_max sched_get_priority_min sched_getaffinity sched_getattr sched_getparam
        sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr
        sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop
        semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto set_robust_list set_thread_area
        set_tid_address setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32
        setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
        setreuid32 setrlimit setsid setsockopt setuid setuid32 setxattr setxattrat shmat shmctl shmdt
        shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socketcall socketpair splice
        stat stat64 statfs statfs64 statmount statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create
        timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64
        timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate
        truncate64 ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64 utimes
        vfork vmsplice wait4 waitid waitpid write writev
        """
        let want = expected.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        #expect(want.count == Set(want).count, "the expected list repeats a name")
        let have = Set(SeccompProfile.allowed)
        #expect(have.subtracting(want).sorted() == [], "allowed, not expected")
        #expect(Set(want).subtracting(have).sorted() == [], "expected, not allowed")
    }

    @Test func sysAdminUnlocksNamespaceSyscalls() {
        let s = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: Capability.dockerDefault + ["CAP_SYS_ADMIN"], kernel: (6, 1))
        #expect(names(s).contains("unshare") && names(s).contains("mount") && names(s).contains("clone"))
        #expect(s.syscalls?.contains { $0.names == ["clone3"] && $0.action == "SCMP_ACT_ERRNO" } == false)
    }

    @Test func archAndKernelConditions() {
        let arm = SeccompProfile.dockerDefault.resolve(arch: "arm64", caps: [], kernel: (6, 1))
        #expect(!names(arm).contains("arch_prctl") && names(arm).contains("set_tls"))
        #expect(arm.architectures == ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"])
        let old = SeccompProfile.dockerDefault.resolve(arch: "amd64", caps: [], kernel: (4, 4))
        #expect(!names(old).contains("ptrace"))
    }

    @Test func loadsDockerJSON() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seccomp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("p.json").path
        try Data("""
        {"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
         {"name":"chmod","action":"SCMP_ACT_ERRNO","includes":{"arches":["arm64"]}}]}
        """.utf8).write(to: URL(fileURLWithPath: good))
        let s = try SeccompProfile.load(path: good).resolve(arch: "amd64", caps: [])
        #expect(s.defaultAction == "SCMP_ACT_ALLOW")
        #expect(s.syscalls == [.init(names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 13)])
        let bad = dir.appendingPathComponent("bad.json").path
        try Data("{\"syscalls\":[]}".utf8).write(to: URL(fileURLWithPath: bad))
        #expect { try SeccompProfile.load(path: bad) } throws: { ($0 as? BerthError)?.message.contains("bad.json") == true }
    }
}
