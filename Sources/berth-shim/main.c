/* berth-shim <bundle>: supervises one task. Start-up: re-exec from a read-only mount, read
 * shim.conf, detach, create the container's init, report readiness on fd 3, then serve.
 *
 * berth-shim --early <bundle dir> <namespaces> <terminal 0|1>: the same, started before its
 * bundle exists (`berth run` starts it while it writes the container's records): it detaches
 * and creates the init in its new namespaces at once (all but the mount namespace, which the
 * init makes from the starter's, fd 5, once the rootfs is mounted there), then waits for a
 * byte on fd 4 saying the bundle is ready and hands the waiting init its shim.conf. EOF on
 * fd 4 instead means the start was abandoned: the init and the shim exit, leaving nothing. */
#include "shim.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct shim S;
static int ready_fd = -1;

static void report(const char *line) {
    if (ready_fd < 0) return;
    write_all(ready_fd, line, strlen(line));
    close(ready_fd);
    ready_fd = -1;
}

static void __attribute__((noreturn)) fail_start(int code, const char *msg) {
    char line[1200];
    snprintf(line, sizeof line, "error %d %s\n", code, msg);
    for (char *p = line; p[1]; p++)
        if (*p == '\n') *p = ' ';
    report(line);
    write_all(2, "berth-shim: ", 12);
    write_all(2, msg, strlen(msg));
    write_all(2, "\n", 1);
    _exit(code ? code : 1);
}

/* CVE-2019-5736: a process in the container could open /proc/<pid>/exe of a shim process
 * that is visible to it (the exec helper, or every shim without a pid namespace) and later
 * write through it into the host's binary. The shim re-executes itself from a read-only bind
 * mount of its binary in a mount namespace of its own (a slave of the host's, so the host's
 * later mounts and unmounts still reach it): /proc/<pid>/exe of every shim process then
 * resolves through a read-only mount and cannot be opened for writing (EROFS). Unlike a
 * memfd copy this costs no memory: all shims share the binary's page cache. */
static void reexec_readonly(char **argv) {
    struct statvfs sv;
    if (statvfs("/proc/self/exe", &sv) == 0 && (sv.f_flag & ST_RDONLY)) return;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) fail_start(1, "readlink /proc/self/exe failed");
    exe[n] = '\0';
    char m[4300];
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
        snprintf(m, sizeof m, "private mount namespace for the shim: %s", strerror(errno));
        fail_start(1, m);
    }
    unsigned long keep = 0;
    if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
    /* The path, not /proc/self/exe: that names the binary on the mount of the old namespace. */
    if (mount(exe, exe, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, exe, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0) {
        snprintf(m, sizeof m, "read-only bind of %s: %s", exe, strerror(errno));
        fail_start(1, m);
    }
    extern char **environ;
    execve(exe, argv, environ);
    snprintf(m, sizeof m, "re-exec %s: %s", exe, strerror(errno));
    fail_start(1, m);
}

/* The init's stdio (pipes, or the socket its terminal comes back on) and its error pipe. */
static void alloc_init_fds(int child[3], int cons[2], int errp[2]) {
    S.master = S.in_w = S.out_r = S.err_r = -1;
    if (S.conf.terminal ? open_console_socket(cons) < 0 : open_pipes(&S.in_w, &S.out_r, &S.err_r, child) < 0) {
        char m[256];
        snprintf(m, sizeof m, "allocate %s: %s", S.conf.terminal ? "console socket" : "pipes", strerror(errno));
        fail_start(1, m);
    }
    if (pipe2(errp, O_CLOEXEC) < 0) fail_start(1, "pipe failed");
}

/* Raw clone with a NULL stack forks; CLONE_NEWPID makes the child pid 1 of its namespace.
 * The child joins its cgroups itself, and only then makes its cgroup namespace (so the
 * namespace's root is the container's cgroup, not the shim's). */
static pid_t clone_init(int ns_flags) {
    unsigned long flags = (unsigned long)ns_flags & ~(unsigned long)CLONE_NEWCGROUP;
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        char m[256];
        snprintf(m, sizeof m, "clone: %s", strerror(errno));
        fail_start(1, m);
    }
    return pid;
}

static void write_pid_files(void);
static void open_socket(void);

/* The shim's side once the init runs. The pid files and the socket are made while the init
 * sets itself up (no client knows the socket before readiness is reported; after a failed
 * start the starter removes the bundle with them). */
static void collect_init(pid_t pid, int child[3], int cons[2], int errp[2]) {
    S.init = pid;
    write_pid_files();
    open_socket();
    close(errp[1]);
    for (int i = 0; i < 3; i++)
        if (child[i] >= 0) close(child[i]);
    if (cons[1] >= 0) close(cons[1]);
    if (cons[0] >= 0) {
        S.master = recv_fd(cons[0]); /* -1 if the child failed first: its error follows */
        close(cons[0]);
        if (S.master >= 0) set_nonblock(S.master);
    }
    char msg[1100];
    int code = 1;
    if (read_child_error(errp[0], msg, sizeof msg, &code) < 0) {
        waitpid(pid, NULL, 0);
        /* A failed start leaves no sign of a shim in the bundle. */
        unlinkat(S.bundle, "shim.sock", 0);
        unlinkat(S.bundle, "init.pid", 0);
        unlinkat(S.bundle, "shim.pid", 0);
        fail_start(code, msg);
    }
    close(errp[0]);
}

static void create_init(void) {
    int child[3] = {-1, -1, -1}, cons[2] = {-1, -1}, errp[2];
    alloc_init_fds(child, cons, errp);
    static struct sock_fprog filter;
    char serr[1100];
    if (seccomp_build(&S.conf, S.conf.seccomp_cache, &filter, serr, sizeof serr) < 0) fail_start(1, serr);
    struct spawn sp = {
        .proc = &S.conf, .task = &S.conf, .is_init = 1, .stdio = {child[0], child[1], child[2]},
        .console = cons[1], .err_fd = errp[1], .filter = filter.len ? &filter : NULL,
    };
    pid_t pid = clone_init(ns_clone_flags(&S.conf));
    if (pid == 0) {
        close(errp[0]);
        if (cons[0] >= 0) close(cons[0]);
        child_init(&sp);
    }
    collect_init(pid, child, cons, errp);
}

static void write_pid_files(void) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d\n", getpid());
    if (write_file_atomic(S.bundle, "shim.pid", buf, (size_t)n) < 0) fail_start(1, "write shim.pid failed");
    n = snprintf(buf, sizeof buf, "%d\n", S.init);
    if (write_file_atomic(S.bundle, "init.pid", buf, (size_t)n) < 0) fail_start(1, "write init.pid failed");
}

/* bind() through /proc/self/fd/<bundle> so a long bundle path cannot overflow sun_path. */
static void open_socket(void) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/shim.sock", S.bundle);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) fail_start(1, "socket failed");
    unlinkat(S.bundle, "shim.sock", 0);
    mode_t old = umask(077);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc < 0 || listen(fd, 64) < 0) {
        char m[256];
        snprintf(m, sizeof m, "bind shim.sock: %s", strerror(errno));
        fail_start(1, m);
    }
    S.listen_fd = fd;
}

static void daemonize(void) {
    pid_t p = fork();
    if (p < 0) fail_start(1, "fork failed");
    if (p > 0) {
        /* The starter reaps us at once; the shim lives on in a new session. */
        int st;
        waitpid(p, &st, 0);
        _exit(0);
    }
    setsid();
    p = fork();
    if (p < 0) fail_start(1, "fork failed");
    if (p > 0) _exit(0);
}

/* Opens the bundle and reads shim.conf into S.conf; returns a copy of the raw text (for an
 * early shim's waiting init, which parses its own). */
/* Opens the bundle (S.bundle) and reads shim.conf, unparsed. */
static char *read_bundle_conf(const char *path, size_t *raw_len) {
    S.bundle = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (S.bundle >= 0 && S.bundle < 6) { /* keep it clear of 0-2 (/dev/null) and 3-5 */
        int b = fcntl(S.bundle, F_DUPFD_CLOEXEC, 6);
        close(S.bundle);
        S.bundle = b;
    }
    if (S.bundle < 0) {
        char m[1200];
        snprintf(m, sizeof m, "open bundle %s: %s", path, strerror(errno));
        fail_start(1, m);
    }
    size_t len = 0;
    char *buf = read_whole_file_at(S.bundle, "shim.conf", &len);
    char err[1200];
    if (!buf) {
        snprintf(err, sizeof err, "read %s/shim.conf: %s", path, strerror(errno));
        fail_start(1, err);
    }
    *raw_len = len;
    return buf;
}

/* Parses shim.conf (`raw`, which the parsed conf points into) into S.conf. */
static void parse_bundle_conf(char *raw, size_t len) {
    char err[1200];
    if (conf_parse(raw, len, &S.conf, err, sizeof err) < 0) fail_start(1, err);
    if (!S.conf.rootfs || S.conf.rootfs[0] != '/') fail_start(1, "shim.conf: rootfs missing or not absolute");
}

/* Opens the bundle and loads shim.conf into S.conf. */
static void load_bundle(const char *path) {
    size_t len = 0;
    parse_bundle_conf(read_bundle_conf(path, &len), len);
}

/* A subreaper in its own session, not dumpable, in /, with stdin and stdout on /dev/null.
 * stderr stays only when it is a regular file (a log chosen by the starter): a pipe or
 * terminal would tie the shim to the program that started it. */
static void detach(void) {
    daemonize();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* Not dumpable, and so neither are its children until they exec: a process in the
     * container cannot reach a shim child's host fds through /proc/<pid>/fd during setup
     * (CVE-2016-9962). execve makes the task's own program dumpable again. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (chdir("/") < 0) fail_start(1, "chdir / failed");
    struct stat st;
    int keep_err = fstat(2, &st) == 0 && S_ISREG(st.st_mode);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; i++)
        if (i < 2 || !keep_err) dup2(null, i);
    if (null > 2) close(null);

    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    S.sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (S.sig_fd < 0) fail_start(1, "signalfd failed");
}

static void open_output_log(void) {
    S.log_fd = openat(S.bundle, "output.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (S.log_fd < 0) fail_start(1, "create output.log failed");
}

static void __attribute__((noreturn)) ready_and_serve(void) {
    char line[64];
    snprintf(line, sizeof line, "ok %d\n", S.init);
    report(line);
    serve();
}

/* The waiting init of an early shim: its shim.conf arrives on `go` (EOF: abandoned). Its
 * mount namespace is made only now, from the starter's (fd 5): the rootfs was mounted there
 * after this process was created, and a namespace copied earlier would not have it. */
static void __attribute__((noreturn)) early_child(int go, int ns_flags, int child[3], int cons[2], int errp[2]) {
    close(errp[0]);
    if (cons[0] >= 0) close(cons[0]);
    close(3);
    close(4);
    struct spawn sp = {
        .proc = &S.conf, .task = &S.conf, .is_init = 1, .stdio = {child[0], child[1], child[2]},
        .console = cons[1], .err_fd = errp[1],
    };
    /* Its new network namespace's loopback comes up while berth is still writing the bundle,
     * off the path the start waits on. */
    if (ns_flags & CLONE_NEWNET) {
        loopback_up(&sp);
        sp.loopback_is_up = 1;
    }
    size_t len = 0;
    char *buf = read_whole_fd(go, &len);
    close(go);
    if (!buf || len == 0) _exit(0);
    if ((ns_flags & CLONE_NEWNS) && (setns(5, CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0))
        child_fail(&sp, 1, "mount namespace: %s", strerror(errno));
    close(5);
    char err[1100];
    int prepared_terminal = S.conf.terminal;
    if (conf_parse(buf, len, &S.conf, err, sizeof err) < 0) child_fail(&sp, 1, "%s", err);
    /* The shim checks these too, after handing the conf over: the init must not go on. */
    if (!S.conf.rootfs || S.conf.rootfs[0] != '/') child_fail(&sp, 1, "shim.conf: rootfs missing or not absolute");
    if (ns_clone_flags(&S.conf) != ns_flags || S.conf.terminal != prepared_terminal)
        child_fail(&sp, 1, "shim.conf asks for other namespaces or terminal than the shim prepared");
    static struct sock_fprog filter;
    if (seccomp_build(&S.conf, S.conf.seccomp_cache, &filter, err, sizeof err) < 0) child_fail(&sp, 1, "%s", err);
    sp.filter = filter.len ? &filter : NULL;
    child_init(&sp);
}

static void __attribute__((noreturn)) run_early(const char *bundle, const char *namespaces, int terminal) {
    int ns_flags = ns_clone_flags_of_list(namespaces);
    if (ns_flags < 0) fail_start(2, "--early: unknown namespace in the list");
    detach();
    S.conf.terminal = terminal;
    int child[3] = {-1, -1, -1}, cons[2] = {-1, -1}, errp[2], go[2];
    alloc_init_fds(child, cons, errp);
    if (pipe2(go, O_CLOEXEC) < 0) fail_start(1, "pipe failed");
    pid_t pid = clone_init(ns_flags & ~CLONE_NEWNS);
    if (pid == 0) {
        close(go[1]);
        early_child(go[0], ns_flags, child, cons, errp);
    }
    close(go[0]);
    close(5);

    char go_byte;
    ssize_t r;
    while ((r = read(4, &go_byte, 1)) < 0 && errno == EINTR) {}
    close(4);
    if (r != 1) { /* abandoned: the init reads EOF and exits too */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        _exit(0);
    }
    /* shim.conf goes to the waiting init first: its set-up is what the start waits for, and
     * the shim's own parsing and logs can follow meanwhile. The init checks the namespaces
     * and terminal it was prepared with against it as well. */
    size_t raw_len = 0;
    char *raw = read_bundle_conf(bundle, &raw_len);
    if (write_all(go[1], raw, raw_len) < 0) fail_start(1, "hand shim.conf to the init failed");
    close(go[1]);
    parse_bundle_conf(raw, raw_len);
    int log = openat(S.bundle, "shim.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (log >= 0) {
        dup2(log, 2);
        close(log);
    }
    int want = ns_clone_flags(&S.conf);
    if (want != ns_flags || S.conf.terminal != terminal) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_start(1, "shim.conf asks for other namespaces or terminal than the shim prepared");
    }
    open_output_log();
    collect_init(pid, child, cons, errp);
    ready_and_serve();
}

int main(int argc, char **argv) {
    if (fcntl(3, F_GETFD) >= 0) ready_fd = 3;
    int early = argc == 5 && !strcmp(argv[1], "--early");
    const char *bundle = early ? argv[2] : argc == 2 ? argv[1] : "";
    if (bundle[0] != '/') {
        fprintf(stderr, "usage: berth-shim [--early] <absolute bundle dir> [<namespaces> <terminal>]\n");
        fail_start(2, "usage: berth-shim [--early] <absolute bundle dir> [<namespaces> <terminal>]");
    }
    if (early && (ready_fd != 3 || fcntl(4, F_GETFD) < 0 || fcntl(5, F_GETFD) < 0))
        fail_start(2, "--early needs fds 3 (readiness), 4 (the go-ahead) and 5 (a mount namespace)");
    reexec_readonly(argv);
    /* Nothing inherited survives but the readiness fd (and an early shim's 4 and 5). */
    syscall(SYS_close_range, early ? 6U : ready_fd == 3 ? 4U : 3U, ~0U, 0);
    if (ready_fd == 3) fcntl(3, F_SETFD, FD_CLOEXEC);
    if (early) {
        fcntl(4, F_SETFD, FD_CLOEXEC);
        fcntl(5, F_SETFD, FD_CLOEXEC);
        run_early(bundle, argv[3], argv[4][0] == '1');
    }
    load_bundle(bundle);
    detach();
    open_output_log();
    create_init();
    ready_and_serve();
}
