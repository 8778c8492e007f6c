#define _GNU_SOURCE
#include "berth_tty.h"
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

pid_t berth_pty_spawn(char *const argv[], char *const envp[], unsigned short rows, unsigned short cols, int *master) {
    int m = -1, s = -1, errpipe[2];
    struct winsize ws = { .ws_row = rows, .ws_col = cols };
    if (openpty(&m, &s, NULL, NULL, &ws) < 0) return -1;
    if (pipe2(errpipe, O_CLOEXEC) < 0) { close(m); close(s); return -1; }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(m); close(s); close(errpipe[0]); close(errpipe[1]);
        errno = e;
        return -1;
    }
    if (pid == 0) {
        /* Child: async-signal-safe calls only. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        close(m);
        close(errpipe[0]);
        setsid();
        ioctl(s, TIOCSCTTY, 0);
        dup2(s, 0); dup2(s, 1); dup2(s, 2);
        if (s > 2) close(s);
        execvpe(argv[0], argv, envp);
        int e = errno;
        (void)!write(errpipe[1], &e, sizeof e);
        _exit(127);
    }
    close(s);
    close(errpipe[1]);
    int e = 0;
    ssize_t n;
    do { n = read(errpipe[0], &e, sizeof e); } while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    if (n == sizeof e) {
        waitpid(pid, NULL, 0);
        close(m);
        errno = e;
        return -1;
    }
    fcntl(m, F_SETFD, FD_CLOEXEC);
    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
    *master = m;
    return pid;
}

static int winch_fd = -1;
static atomic_int winch_flag;
static atomic_int quit_flag;

static void on_signal(int sig) {
    int e = errno;
    if (sig == SIGWINCH) atomic_store(&winch_flag, 1); else atomic_store(&quit_flag, 1);
    if (winch_fd >= 0) (void)!write(winch_fd, "w", 1);
    errno = e;
}

int berth_watch_sigwinch(int wake_fd) {
    winch_fd = wake_fd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT };
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        if (sigaction(sigs[i], &sa, NULL) < 0) return -1;
        sigaddset(&set, sigs[i]);
    }
    /* A mask inherited from the parent may block them; the calling (UI) thread takes them. */
    return pthread_sigmask(SIG_UNBLOCK, &set, NULL) == 0 ? 0 : -1;
}

int berth_sigwinch_take(void) { return atomic_exchange(&winch_flag, 0); }

int berth_quit_requested(void) { return atomic_load(&quit_flag); }

int berth_tty_raw(int fd, void *saved, unsigned long saved_size) {
    struct termios t;
    if (saved_size < sizeof t) { errno = EINVAL; return -1; }
    if (tcgetattr(fd, &t) < 0) return -1;
    memcpy(saved, &t, sizeof t);
    cfmakeraw(&t);
    return tcsetattr(fd, TCSANOW, &t);
}

int berth_tty_restore(int fd, const void *saved) {
    struct termios t;
    memcpy(&t, saved, sizeof t);
    return tcsetattr(fd, TCSANOW, &t);
}
