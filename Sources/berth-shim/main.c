/* berth-shim <bundle>: supervises one task. Start-up: re-exec from a read-only mount, read
 * shim.conf, detach, create the container's init, report readiness on fd 3, then serve. */
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

int parse_clone_flags(const struct conf *c) {
    static const struct { const char *name; int flag; } ns[] = {
        {"pid", CLONE_NEWPID}, {"mount", CLONE_NEWNS}, {"uts", CLONE_NEWUTS},
        {"ipc", CLONE_NEWIPC}, {"net", CLONE_NEWNET}, {"cgroup", CLONE_NEWCGROUP},
    };
    int flags = 0;
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
        if (conf_has_ns(c, ns[i].name)) flags |= ns[i].flag;
    return flags;
}

/* Three pipes for a task without a terminal; the shim's ends are non-blocking. */
int open_pipes(int *in_w, int *out_r, int *err_r, int child[3]) {
    int in[2], out[2], er[2];
    if (pipe2(in, O_CLOEXEC) < 0) return -1;
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]), close(in[1]);
        return -1;
    }
    if (pipe2(er, O_CLOEXEC) < 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return -1;
    }
    set_nonblock(in[1]);
    set_nonblock(out[0]);
    set_nonblock(er[0]);
    *in_w = in[1];
    *out_r = out[0];
    *err_r = er[0];
    child[0] = in[0];
    child[1] = out[1];
    child[2] = er[1];
    return 0;
}

/* With a terminal the child opens the pty in the container's own devpts (so it is
 * /dev/pts/N there, as with runc) and sends the master back on this socketpair. */
int open_console_socket(int sv[2]) { return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv); }

static void create_init(void) {
    int child[3] = {-1, -1, -1}, cons[2] = {-1, -1};
    S.master = S.in_w = S.out_r = S.err_r = -1;
    if (S.conf.terminal ? open_console_socket(cons) < 0 : open_pipes(&S.in_w, &S.out_r, &S.err_r, child) < 0) {
        char m[256];
        snprintf(m, sizeof m, "allocate %s: %s", S.conf.terminal ? "console socket" : "pipes", strerror(errno));
        fail_start(1, m);
    }
    int errp[2];
    if (pipe2(errp, O_CLOEXEC) < 0) fail_start(1, "pipe failed");
    static struct sock_fprog filter;
    char serr[1100];
    if (seccomp_build(&S.conf, S.conf.seccomp_cache, &filter, serr, sizeof serr) < 0) fail_start(1, serr);
    struct spawn sp = {
        .proc = &S.conf, .task = &S.conf, .is_init = 1, .stdio = {child[0], child[1], child[2]},
        .console = cons[1], .err_fd = errp[1], .filter = filter.len ? &filter : NULL,
    };
    /* Raw clone with a NULL stack forks; CLONE_NEWPID makes the child pid 1 of its namespace.
     * The child joins its cgroups itself, and only then makes its cgroup namespace (so the
     * namespace's root is the container's cgroup, not the shim's). */
    unsigned long flags = (unsigned long)parse_clone_flags(&S.conf) & ~(unsigned long)CLONE_NEWCGROUP;
    pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        char m[256];
        snprintf(m, sizeof m, "clone: %s", strerror(errno));
        fail_start(1, m);
    }
    if (pid == 0) {
        close(errp[0]);
        if (cons[0] >= 0) close(cons[0]);
        child_init(&sp);
    }
    S.init = pid;
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
        fail_start(code, msg);
    }
    close(errp[0]);
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

int main(int argc, char **argv) {
    if (fcntl(3, F_GETFD) >= 0) ready_fd = 3;
    if (argc != 2 || argv[1][0] != '/') {
        fprintf(stderr, "usage: berth-shim <absolute bundle dir>\n");
        fail_start(2, "usage: berth-shim <absolute bundle dir>");
    }
    reexec_readonly(argv);
    /* Nothing inherited survives but the readiness fd (and 0-2, replaced after detaching). */
    syscall(SYS_close_range, ready_fd == 3 ? 4U : 3U, ~0U, 0);
    if (ready_fd == 3) fcntl(3, F_SETFD, FD_CLOEXEC);
    S.bundle = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (S.bundle >= 0 && S.bundle < 3) { /* keep it clear of 0-2, which become /dev/null */
        int b = fcntl(S.bundle, F_DUPFD_CLOEXEC, 4);
        close(S.bundle);
        S.bundle = b;
    }
    if (S.bundle < 0) {
        char m[1200];
        snprintf(m, sizeof m, "open bundle %s: %s", argv[1], strerror(errno));
        fail_start(1, m);
    }
    size_t len = 0;
    char *buf = read_whole_file_at(S.bundle, "shim.conf", &len);
    char err[1200];
    if (!buf) {
        snprintf(err, sizeof err, "read %s/shim.conf: %s", argv[1], strerror(errno));
        fail_start(1, err);
    }
    if (conf_parse(buf, len, &S.conf, err, sizeof err) < 0) fail_start(1, err);
    if (!S.conf.rootfs || S.conf.rootfs[0] != '/') fail_start(1, "shim.conf: rootfs missing or not absolute");

    daemonize();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    /* Not dumpable, and so neither are its children until they exec: a process in the
     * container cannot reach a shim child's host fds through /proc/<pid>/fd during setup
     * (CVE-2016-9962). execve makes the task's own program dumpable again. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (chdir("/") < 0) fail_start(1, "chdir / failed");
    /* stdin and stdout go; stderr stays only when it is a regular file (a log chosen by the
     * starter): a pipe or terminal would tie the shim to the program that started it. */
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
    S.log_fd = openat(S.bundle, "output.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (S.log_fd < 0) fail_start(1, "create output.log failed");

    create_init();
    write_pid_files();
    open_socket();
    char line[64];
    snprintf(line, sizeof line, "ok %d\n", S.init);
    report(line);
    serve();
}
