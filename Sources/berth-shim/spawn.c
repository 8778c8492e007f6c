/* The child side of a new init or exec'd process: runs in a freshly forked copy of the
 * single-threaded shim, reports any failure over a CLOEXEC pipe, ends in execve. */
#include "shim.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>


/* The shim blocks and ignores signals; a container process starts with the defaults. */
static void reset_signals(void) {
    struct sigaction sa = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void loopback_up(const struct spawn *s) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) child_fail(s, 1, "loopback socket: %s", strerror(errno));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) child_fail(s, 1, "get lo flags: %s", strerror(errno));
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) child_fail(s, 1, "bring lo up: %s", strerror(errno));
    close(fd);
}

/* /dev/ptmx belongs to the container, which may have replaced it: it is opened beneath the
 * container's root without magic links (no way out through /proc/<pid>/fd or /proc/<pid>/root),
 * non-blocking (a FIFO or a device that waits in open cannot hold the shim up) and used only
 * when it is the pty multiplexer (char 5:2, the node of /dev/pts/ptmx too). */
static int open_ptmx(const struct spawn *s) {
    int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) child_fail(s, 1, "terminal: open /: %s", strerror(errno));
    struct open_how how = {.flags = O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
                           .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    int m = (int)syscall(SYS_openat2, root, "/dev/ptmx", &how, sizeof how);
    if (m < 0) child_fail(s, 1, "terminal: open /dev/ptmx: %s", strerror(errno));
    close(root);
    struct stat st;
    if (fstat(m, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
        child_fail(s, 1, "terminal: /dev/ptmx is not the pty multiplexer (character device 5:2)");
    if (fcntl(m, F_SETFL, O_RDWR) < 0) child_fail(s, 1, "terminal: /dev/ptmx: %s", strerror(errno));
    return m;
}

/* The terminal: a pty of the container's devpts (/dev/ptmx is pts/ptmx there), its master
 * sent to the shim; the init's slave is also bound onto /dev/console. Returns the slave,
 * opened from the master (TIOCGPTPEER), not by a path under /dev/pts. */
static int open_console(const struct spawn *s) {
    int m = open_ptmx(s);
    if (unlockpt(m) < 0) child_fail(s, 1, "terminal: unlock /dev/ptmx: %s", strerror(errno));
    int sl = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (sl < 0) child_fail(s, 1, "terminal: open the pty of /dev/ptmx: %s", strerror(errno));
    /* The process's own user may reopen its terminal (/dev/tty) after dropping root. */
    if (fchown(sl, s->proc->uid, (gid_t)-1) < 0) child_fail(s, 1, "terminal: chown its pty: %s", strerror(errno));
    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    ioctl(m, TIOCSWINSZ, &ws);
    if (s->is_init) {
        char path[64];
        if (ptsname_r(m, path, sizeof path) != 0) child_fail(s, 1, "terminal: name its pty: %s", strerror(errno));
        int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
            if (mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0)
                child_fail(s, 1, "bind %s onto /dev/console: %s", path, strerror(errno));
        } else if (errno != EROFS && errno != ENOENT) {
            child_fail(s, 1, "create /dev/console: %s", strerror(errno));
        }
    }
    if (send_fd(s->console, m) < 0) child_fail(s, 1, "send the terminal to the shim: %s", strerror(errno));
    close(m);
    close(s->console);
    return sl;
}

/* Stdio and terminal: a new session, the pty slave as controlling terminal, fds 0-2. */
static void setup_stdio(const struct spawn *s) {
    int tty = s->console >= 0 ? open_console(s) : -1;
    int src[3];
    for (int i = 0; i < 3; i++) src[i] = tty >= 0 ? tty : s->stdio[i];
    if (setsid() < 0) child_fail(s, 1, "setsid: %s", strerror(errno));
    if (tty >= 0 && ioctl(tty, TIOCSCTTY, 0) < 0)
        child_fail(s, 1, "set controlling terminal: %s", strerror(errno));
    /* Move the sources out of 0-2 first so one dup2 cannot clobber another's source. */
    for (int i = 0; i < 3; i++) {
        src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
        if (src[i] < 0) child_fail(s, 1, "dup stdio: %s", strerror(errno));
    }
    for (int i = 0; i < 3; i++)
        if (dup2(src[i], i) < 0) child_fail(s, 1, "dup2 stdio: %s", strerror(errno));
}

/* CVE-2024-21626: the working directory must resolve inside the container's root. */
static void enter_cwd(const struct spawn *s) {
    const char *cwd = s->proc->cwd;
    if (chdir(cwd) < 0) {
        if (errno == ENOENT) child_fail(s, 1, "chdir to cwd (\"%s\") set in config.json failed: no such file or directory", cwd);
        child_fail(s, 1, "chdir %s: %s", cwd, strerror(errno));
    }
    char buf[4096];
    if (!getcwd(buf, sizeof buf) || buf[0] != '/')
        child_fail(s, 1, "current working directory %s is outside of the container's root", cwd);
}

static const char *env_path(const struct conf *c) {
    for (size_t i = 0; i < c->env.n; i++)
        if (!strncmp(c->env.v[i], "PATH=", 5)) return c->env.v[i] + 5;
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static int exec_code(int err) {
    return (err == ENOENT || err == ENOTDIR) ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

/* strerror text in the lower-case style of Docker's messages. */
static const char *lower_strerror(int err, char *buf, size_t len) {
    snprintf(buf, len, "%s", strerror(err));
    if (buf[0] >= 'A' && buf[0] <= 'Z') buf[0] = (char)(buf[0] - 'A' + 'a');
    return buf;
}

static void __attribute__((noreturn)) do_exec(const struct spawn *s) {
    char *const *argv = (char *const *)s->proc->args.v;
    char *empty[] = {NULL};
    char *const *envp = s->proc->env.n ? (char *const *)s->proc->env.v : empty;
    const char *file = argv[0];
    char eb[128];
    if (strchr(file, '/')) {
        execve(file, argv, envp);
        int e = errno;
        child_fail(s, exec_code(e), "exec: %s: %s", file, lower_strerror(e, eb, sizeof eb));
    }
    const char *p = env_path(s->proc);
    int saw_eacces = 0;
    char full[4096];
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t dl = colon ? (size_t)(colon - p) : strlen(p);
        if (dl == 0) snprintf(full, sizeof full, "%s", file);
        else snprintf(full, sizeof full, "%.*s/%s", (int)dl, p, file);
        execve(full, argv, envp);
        if (errno == EACCES) saw_eacces = 1;
        else if (errno != ENOENT && errno != ENOTDIR) {
            int e = errno;
            child_fail(s, exec_code(e), "exec: %s: %s", full, lower_strerror(e, eb, sizeof eb));
        }
        p += dl;
        if (*p == ':') p++;
    }
    if (saw_eacces) child_fail(s, EXIT_CANNOT_EXEC, "exec: %s: permission denied", file);
    child_fail(s, EXIT_NOT_FOUND, "exec: %s: executable file not found in $PATH", file);
}

/* CVE-2024-21626: a close-on-exec fd is still open while execve (and chdir) resolve a path,
 * so /proc/self/fd/N/../.. as the program or cwd would reach the host through any host
 * directory open here. Everything above 2 is closed but the error pipe, which must report an
 * exec failure and closes on exec: a pipe leads nowhere as a path. */
static void close_fds_but_error_pipe(const struct spawn *s) {
    unsigned e = (unsigned)s->err_fd;
    if ((e > 3 && syscall(SYS_close_range, 3U, e - 1, 0) < 0) || syscall(SYS_close_range, e + 1, ~0U, 0) < 0)
        child_fail(s, 1, "close_range: %s", strerror(errno));
}

/* Everything after the filesystem is in place, shared by the init and exec'd processes. */
static void __attribute__((noreturn)) finish(const struct spawn *s) {
    setup_stdio(s);
    close_fds_but_error_pipe(s);
    enter_cwd(s);
    apply_rlimits(s);
    apply_security(s);
    do_exec(s);
}

/* The new process moves itself into the task's cgroups. In a v1 hierarchy it writes "0" to
 * the directory's `tasks` file: moving only the calling thread (and this process has just
 * one) is the one kind of migration the kernel does without write-locking its global
 * threadgroup semaphore, whose every write lock waits out an RCU grace period.
 * A v2 directory has no `tasks` file; there cgroup.procs takes the process. */
void join_cgroups_self(const struct spawn *s) {
    for (size_t i = 0; i < s->task->cgprocs.n; i++) {
        const char *procs = s->task->cgprocs.v[i];
        char tasks[1100];
        const char *slash = strrchr(procs, '/');
        int dl = slash ? (int)(slash - procs) : 0;
        snprintf(tasks, sizeof tasks, "%.*s/tasks", dl, procs);
        if (write_file_at(AT_FDCWD, tasks, "0", 1) == 0) continue;
        if (errno == ENOENT && write_file_at(AT_FDCWD, procs, "0", 1) == 0) continue;
        child_fail(s, 1, "join cgroup %s: %s", procs, strerror(errno));
    }
}

void child_init(const struct spawn *s) {
    reset_signals();
    join_cgroups_self(s);
    const struct conf *t = s->task;
    if (conf_has_ns(t, "cgroup") && unshare(CLONE_NEWCGROUP) < 0)
        child_fail(s, 1, "new cgroup namespace: %s", strerror(errno));
    if (conf_has_ns(t, "network") && !s->loopback_is_up) loopback_up(s);
    setup_rootfs(s);
    if (t->hostname && t->hostname[0] && conf_has_ns(t, "uts") &&
        sethostname(t->hostname, strlen(t->hostname)) < 0)
        child_fail(s, 1, "sethostname %s: %s", t->hostname, strerror(errno));
    finish(s);
}

void child_exec_process(const struct spawn *s) {
    reset_signals();
    finish(s);
}
