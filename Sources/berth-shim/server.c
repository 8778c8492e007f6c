/* The event loop: task output to output.log and attached clients, the socket protocol,
 * reaping, the exit record. Single-threaded, poll(2) over a handful of fds. */
#include "shim.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

enum {
    M_ATTACH = 1, M_STDIN = 2, M_RESIZE = 3, M_SIGNAL = 4, M_CLOSE_STDIN = 5, M_STATE = 6,
    M_WAIT = 7, M_EXEC = 8, M_EXEC_STDIN = 9, M_EXEC_RESIZE = 10, M_SHUTDOWN = 11, M_PIDS = 12,
    M_EXEC_OUTPUT = 13, M_EXEC_EXITED = 14,
    R_OUTPUT = 20, R_STATE = 21, R_EXITED = 22, R_ERROR = 23, R_EXEC_STARTED = 24, R_PIDS = 25,
};
#define MAX_BACKLOG (4u << 20) /* a client this far behind is disconnected */
#define DRAIN_MS 1000          /* how long output may trail the exit of its process */
#define CHUNK 16384

/* One frame: header, optional prefix (exec id), payload. Written directly when nothing is
 * queued, the rest queued. */
static void send_frame(struct client *c, uint8_t type, const void *pre, size_t prelen, const void *p, size_t n) {
    if (c->dead) return;
    unsigned char hdr[5];
    hdr[0] = type;
    put32(hdr + 1, (uint32_t)(prelen + n));
    struct iovec iov[3] = {{hdr, 5}, {(void *)pre, prelen}, {(void *)p, n}};
    size_t total = 5 + prelen + n, done = 0;
    if (c->out.len == 0) {
        ssize_t w = writev(c->fd, iov, 3);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            c->dead = 1;
            return;
        }
        done = w > 0 ? (size_t)w : 0;
    }
    if (done == total) return;
    for (int i = 0; i < 3; i++) {
        if (done >= iov[i].iov_len) {
            done -= iov[i].iov_len;
            continue;
        }
        if (outq_push(&c->out, (char *)iov[i].iov_base + done, iov[i].iov_len - done) < 0) c->dead = 1;
        done = 0;
    }
    if (c->out.len > MAX_BACKLOG) c->dead = 1;
}

static void send_error(struct client *c, const char *msg) { send_frame(c, R_ERROR, NULL, 0, msg, strlen(msg)); }

static void client_write(struct client *c);

/* Sends replay chunks until the client's socket is full or the replay has caught up. */
static void replay_now(struct client *c) {
    while (c->replay_fd >= 0 && c->out.len == 0 && !c->dead) client_write(c);
}

/* ---- output.log ---- */

/* Keep the newer half: copy it to a temp file and rename it over the log. */
static void log_rotate(size_t incoming) {
    off_t keep = S.conf.log_max / 2;
    if ((long long)(keep + (off_t)incoming) > S.conf.log_max) keep = S.conf.log_max - (off_t)incoming;
    if (keep > S.log_size) keep = S.log_size;
    off_t from = S.log_size - keep;
    /* Replaying clients lose what is dropped; give them as much as they can take first. */
    for (struct client *c = S.clients; c; c = c->next) replay_now(c);
    int src = openat(S.bundle, "output.log", O_RDONLY | O_CLOEXEC);
    int dst = openat(S.bundle, ".output.log.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (src < 0 || dst < 0) goto fail;
    off_t in = from, copied = 0;
    while (copied < keep) {
        ssize_t n = copy_file_range(src, &in, dst, NULL, (size_t)(keep - copied), 0);
        if (n <= 0) goto fail;
        copied += n;
    }
    if (renameat(S.bundle, ".output.log.tmp", S.bundle, "output.log") < 0) goto fail;
    close(src);
    close(S.log_fd);
    S.log_fd = dst;
    S.log_size = keep;
    for (struct client *c = S.clients; c; c = c->next) {
        if (c->replay_fd < 0) continue;
        close(c->replay_fd);
        c->replay_fd = openat(S.bundle, "output.log", O_RDONLY | O_CLOEXEC);
        c->replay_off = c->replay_off > from ? c->replay_off - from : 0;
    }
    return;
fail:
    /* Could not rotate: start over rather than grow without bound. */
    if (src >= 0) close(src);
    if (dst >= 0) close(dst);
    unlinkat(S.bundle, ".output.log.tmp", 0);
    if (ftruncate(S.log_fd, 0) == 0) {
        lseek(S.log_fd, 0, SEEK_SET);
        S.log_size = 0;
    }
}

static void log_append(const char *p, size_t n) {
    if (S.log_fd < 0) return;
    if ((long long)n > S.conf.log_max) {
        p += n - (size_t)S.conf.log_max;
        n = (size_t)S.conf.log_max;
    }
    if (S.log_size + (off_t)n > S.conf.log_max) log_rotate(n);
    if (write_all(S.log_fd, p, n) == (ssize_t)n) S.log_size += (off_t)n;
}

/* ---- task and exec output ---- */

/* Reads what is available; closes the fd at EOF or EIO (pty without slave). `drain` reads
 * up to 1 MiB (a writer that outlives the init, without a pid namespace, may never stop),
 * otherwise a few chunks so no source starves the others. */
static void pump(int *fd, struct execproc *e, int drain) {
    char buf[CHUNK];
    for (int i = 0; *fd >= 0 && i < (drain ? 64 : 4); i++) {
        ssize_t n = read(*fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close(*fd);
            *fd = -1;
            return;
        }
        if (e) {
            if (e->owner) send_frame(e->owner, M_EXEC_OUTPUT, e->id, e->idlen + 1, buf, (size_t)n);
            continue;
        }
        log_append(buf, (size_t)n);
        for (struct client *c = S.clients; c; c = c->next)
            if (c->attached && c->replay_fd < 0) send_frame(c, R_OUTPUT, NULL, 0, buf, (size_t)n);
    }
}

static void flush_stdin(struct outq *q, int *fd, int *close_pending) {
    while (*fd >= 0 && q->len) {
        ssize_t w = write(*fd, q->d, q->len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) return;
        if (w < 0) {
            outq_free(q);
            break;
        }
        outq_drop(q, (size_t)w);
    }
    if (*close_pending && q->len == 0 && *fd >= 0) {
        close(*fd);
        *fd = -1;
        *close_pending = 0;
    }
}

static void finish_init(void) {
    if (S.in_w >= 0) close(S.in_w), S.in_w = -1;
    if (S.master >= 0) close(S.master), S.master = -1;
    if (S.out_r >= 0) close(S.out_r), S.out_r = -1;
    if (S.err_r >= 0) close(S.err_r), S.err_r = -1;
    outq_free(&S.inq);
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d\n", S.status);
    write_file_atomic(S.bundle, "exit", buf, (size_t)n);
    S.exited = 1;
    unsigned char st[4];
    put32(st, (uint32_t)S.status);
    for (struct client *c = S.clients; c; c = c->next)
        if (c->waiting) {
            send_frame(c, R_EXITED, NULL, 0, st, 4);
            c->waiting = 0;
        }
}

static void free_exec(struct execproc *e) {
    int *fds[] = {&e->master, &e->in_w, &e->out_r, &e->err_r};
    for (int i = 0; i < 4; i++)
        if (*fds[i] >= 0) close(*fds[i]);
    outq_free(&e->inq);
    struct execproc **pp = &S.execs;
    while (*pp != e) pp = &(*pp)->next;
    *pp = e->next;
    free(e);
}

static void finish_exec(struct execproc *e) {
    if (e->owner) {
        unsigned char st[4];
        put32(st, (uint32_t)e->status);
        send_frame(e->owner, M_EXEC_EXITED, e->id, e->idlen + 1, st, 4);
    }
    free_exec(e);
}

static void reap(void) {
    struct signalfd_siginfo si;
    while (read(S.sig_fd, &si, sizeof si) > 0) {}
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        if (p == S.init && !S.reaped) {
            S.reaped = 1;
            S.status = code;
            clock_gettime(CLOCK_REALTIME, &S.exited_at);
            S.deadline_ms = now_ms() + DRAIN_MS;
            continue;
        }
        for (struct execproc *e = S.execs; e; e = e->next)
            if (e->pid == p && !e->reaped) {
                e->reaped = 1;
                e->status = code;
                e->deadline_ms = now_ms() + DRAIN_MS;
            }
        /* Anything else is an orphan we adopted as subreaper: nothing to record. */
    }
}

/* Exit records wait for the output to end (EOF/EIO) so clients see all of it first. */
static void check_finished(void) {
    long long now = now_ms();
    if (S.reaped && !S.exited) {
        if (S.master >= 0) pump(&S.master, NULL, 1);
        if (S.out_r >= 0) pump(&S.out_r, NULL, 1);
        if (S.err_r >= 0) pump(&S.err_r, NULL, 1);
        if ((S.master < 0 && S.out_r < 0 && S.err_r < 0) || now >= S.deadline_ms) finish_init();
    }
    for (struct execproc *e = S.execs, *next; e; e = next) {
        next = e->next;
        if (!e->reaped) continue;
        if (e->master >= 0) pump(&e->master, e, 1);
        if (e->out_r >= 0) pump(&e->out_r, e, 1);
        if (e->err_r >= 0) pump(&e->err_r, e, 1);
        if ((e->master < 0 && e->out_r < 0 && e->err_r < 0) || now >= e->deadline_ms) finish_exec(e);
    }
}

/* ---- the container's processes ---- */

static size_t container_pids(pid_t **out) {
    size_t n = 0, cap = 0;
    pid_t *v = NULL;
    char path[4096];
    if (S.conf.cgprocs.n) {
        /* cgroup.procs lists processes (a v1 `tasks` file would list threads). */
        snprintf(path, sizeof path, "%s", S.conf.cgprocs.v[0]);
        char *slash = strrchr(path, '/');
        if (slash) snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path), "cgroup.procs");
        size_t len;
        char *buf = read_whole_file_at(AT_FDCWD, path, &len);
        for (char *p = buf, *end; p && *p; p = end) {
            long pid = strtol(p, &end, 10);
            if (end == p) break;
            if (n == cap && !(v = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v))) break;
            v[n++] = (pid_t)pid;
        }
        free(buf);
    } else if (!S.reaped) {
        /* No cgroup: every process in the init's pid namespace. */
        char want[64], got[64];
        snprintf(path, sizeof path, "/proc/%d/ns/pid", S.init);
        ssize_t wl = readlink(path, want, sizeof want);
        DIR *d = opendir("/proc");
        struct dirent *de;
        while (wl > 0 && d && (de = readdir(d))) {
            if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
            snprintf(path, sizeof path, "/proc/%s/ns/pid", de->d_name);
            ssize_t gl = readlink(path, got, sizeof got);
            if (gl != wl || memcmp(want, got, (size_t)wl)) continue;
            if (n == cap && !(v = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v))) break;
            v[n++] = (pid_t)atoi(de->d_name);
        }
        if (d) closedir(d);
    }
    *out = v;
    return v ? n : 0;
}

static void send_state(struct client *c) {
    char json[256], at[64];
    if (S.exited) {
        rfc3339(&S.exited_at, at, sizeof at);
        snprintf(json, sizeof json, "{\"pid\":%d,\"status\":\"stopped\",\"exitStatus\":%d,\"exitedAt\":\"%s\"}", S.init, S.status, at);
    } else {
        snprintf(json, sizeof json, "{\"pid\":%d,\"status\":\"running\",\"exitStatus\":null,\"exitedAt\":null}", S.init);
    }
    send_frame(c, R_STATE, NULL, 0, json, strlen(json));
}

static struct execproc *find_exec(const unsigned char *p, size_t len, size_t *used) {
    if (!(*used = frame_exec_id(p, len))) return NULL;
    for (struct execproc *e = S.execs; e; e = e->next)
        if (e->idlen == p[0] && !memcmp(e->id + 1, p + 1, p[0])) return e;
    return NULL;
}

static void set_winsize(int fd, const unsigned char *p) {
    struct winsize ws = {.ws_row = (unsigned short)(p[0] | p[1] << 8), .ws_col = (unsigned short)(p[2] | p[3] << 8)};
    if (fd >= 0) ioctl(fd, TIOCSWINSZ, &ws);
}

static void handle(struct client *c, uint8_t type, unsigned char *p, size_t len) {
    static const char veof = 4; /* ^D: end of input on a terminal */
    size_t used;
    struct execproc *e;
    switch (type) {
    case M_ATTACH:
        c->attached = 1;
        c->replay_fd = openat(S.bundle, "output.log", O_RDONLY | O_CLOEXEC);
        c->replay_off = 0;
        replay_now(c);
        break;
    case M_STDIN:
        if (!S.reaped && (S.master >= 0 || S.in_w >= 0)) {
            outq_push(&S.inq, p, len);
            flush_stdin(&S.inq, S.master >= 0 ? &S.master : &S.in_w, &S.close_stdin_pending);
        }
        break;
    case M_RESIZE:
        if (len >= 4) set_winsize(S.master, p);
        break;
    case M_SIGNAL: {
        if (len < 5) return send_error(c, "signal: short payload");
        int sig = (int)get32(p);
        if (S.reaped) return send_error(c, "signal: task is not running");
        if (p[4]) {
            pid_t *pids;
            size_t n = container_pids(&pids);
            for (size_t i = 0; i < n; i++) kill(pids[i], sig);
            free(pids);
            if (!n && kill(S.init, sig) < 0) return send_error(c, "signal: task is not running");
        } else if (kill(S.init, sig) < 0) {
            char m[128];
            snprintf(m, sizeof m, "signal %d: %s", sig, strerror(errno));
            send_error(c, m);
        }
        break;
    }
    case M_CLOSE_STDIN:
        if (S.master >= 0) outq_push(&S.inq, &veof, 1);
        else S.close_stdin_pending = 1;
        flush_stdin(&S.inq, S.master >= 0 ? &S.master : &S.in_w, &S.close_stdin_pending);
        break;
    case M_STATE:
        send_state(c);
        break;
    case M_WAIT:
        if (S.exited) {
            unsigned char st[4];
            put32(st, (uint32_t)S.status);
            send_frame(c, R_EXITED, NULL, 0, st, 4);
        } else {
            c->waiting = 1;
        }
        break;
    case M_EXEC: {
        char err[1200];
        if (S.reaped) return send_error(c, "exec: task is not running");
        e = start_exec(c, (char *)p, len, err, sizeof err);
        if (!e) return send_error(c, err);
        unsigned char pid[4];
        put32(pid, (uint32_t)e->pid);
        send_frame(c, R_EXEC_STARTED, NULL, 0, pid, 4);
        break;
    }
    case M_EXEC_STDIN:
        if (!(e = find_exec(p, len, &used))) return send_error(c, "exec-stdin: no such exec id");
        /* An empty exec-stdin closes the process's stdin. */
        if (len == used) {
            if (e->master >= 0) outq_push(&e->inq, &veof, 1);
            else e->close_stdin_pending = 1;
        } else {
            outq_push(&e->inq, p + used, len - used);
        }
        flush_stdin(&e->inq, e->master >= 0 ? &e->master : &e->in_w, &e->close_stdin_pending);
        break;
    case M_EXEC_RESIZE:
        if (!(e = find_exec(p, len, &used)) || len < used + 4) return send_error(c, "exec-resize: no such exec id");
        set_winsize(e->master, p + used);
        break;
    case M_SHUTDOWN:
        if (!S.exited) return send_error(c, "shutdown: task is running");
        S.shutdown = 1;
        break;
    case M_PIDS: {
        pid_t *pids;
        size_t n = container_pids(&pids);
        unsigned char *out = malloc(n * 4 + 1);
        for (size_t i = 0; out && i < n; i++) put32(out + 4 * i, (uint32_t)pids[i]);
        send_frame(c, R_PIDS, NULL, 0, out, out ? n * 4 : 0);
        free(out);
        free(pids);
        break;
    }
    default: {
        char m[64];
        snprintf(m, sizeof m, "unknown message type %u", type);
        send_error(c, m);
    }
    }
}

/* ---- clients ---- */

static void client_read(struct client *c) {
    unsigned char buf[CHUNK];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0 || outq_push(&c->in, buf, (size_t)n) < 0) {
        c->dead = 1;
        return;
    }
    struct frame f;
    int r;
    while (!c->dead && (r = frame_next(c->in.d, c->in.len, &f)) != 0) {
        if (r < 0) {
            c->dead = 1;
            return;
        }
        handle(c, f.type, c->in.d + FRAME_HEADER, f.len);
        outq_drop(&c->in, f.size);
    }
}

static void client_write(struct client *c) {
    while (c->out.len) {
        ssize_t w = write(c->fd, c->out.d, c->out.len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) return;
        if (w < 0) {
            c->dead = 1;
            return;
        }
        outq_drop(&c->out, (size_t)w);
    }
    if (c->replay_fd >= 0) {
        char buf[CHUNK];
        ssize_t n = pread(c->replay_fd, buf, sizeof buf, c->replay_off);
        if (n > 0) {
            c->replay_off += n;
            send_frame(c, R_OUTPUT, NULL, 0, buf, (size_t)n);
        } else {
            /* Caught up: everything later arrives live. */
            close(c->replay_fd);
            c->replay_fd = -1;
        }
    }
}

static void accept_clients(void) {
    for (;;) {
        int fd = accept4(S.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        struct client *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->replay_fd = -1;
        c->next = S.clients;
        S.clients = c;
    }
}

static void drop_dead_clients(void) {
    for (struct client **pp = &S.clients; *pp;) {
        struct client *c = *pp;
        if (!c->dead) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        for (struct execproc *e = S.execs; e; e = e->next)
            if (e->owner == c) e->owner = NULL;
        close(c->fd);
        if (c->replay_fd >= 0) close(c->replay_fd);
        outq_free(&c->in);
        outq_free(&c->out);
        free(c);
    }
}

/* ---- the loop ---- */

enum kind { K_LISTEN, K_SIGNAL, K_TASK_OUT, K_TASK_IN, K_EXEC_OUT, K_EXEC_IN, K_CLIENT };
struct slot {
    enum kind kind;
    int *fd;
    void *obj;
};

void serve(void) {
    struct pollfd *pfd = NULL;
    struct slot *slots = NULL;
    size_t cap = 0;
    for (;;) {
        check_finished();
        drop_dead_clients();
        if (S.exited && (S.shutdown || !S.clients)) break;
        size_t n = 0, want = 8;
        for (struct client *c = S.clients; c; c = c->next) want++;
        for (struct execproc *e = S.execs; e; e = e->next) want += 4;
        if (want > cap) {
            cap = want * 2;
            pfd = realloc(pfd, cap * sizeof *pfd);
            slots = realloc(slots, cap * sizeof *slots);
            if (!pfd || !slots) _exit(1);
        }
#define ADD(k, fdp, o, ev) do { pfd[n] = (struct pollfd){*(fdp), (ev), 0}; slots[n++] = (struct slot){k, fdp, o}; } while (0)
        ADD(K_LISTEN, &S.listen_fd, NULL, POLLIN);
        ADD(K_SIGNAL, &S.sig_fd, NULL, POLLIN);
        /* A pty master carries both directions. */
        if (S.master >= 0) ADD(K_TASK_OUT, &S.master, NULL, POLLIN | (S.inq.len ? POLLOUT : 0));
        if (S.out_r >= 0) ADD(K_TASK_OUT, &S.out_r, NULL, POLLIN);
        if (S.err_r >= 0) ADD(K_TASK_OUT, &S.err_r, NULL, POLLIN);
        if (S.inq.len && S.in_w >= 0) ADD(K_TASK_IN, &S.in_w, NULL, POLLOUT);
        for (struct execproc *e = S.execs; e; e = e->next) {
            if (e->master >= 0) ADD(K_EXEC_OUT, &e->master, e, POLLIN | (e->inq.len ? POLLOUT : 0));
            if (e->out_r >= 0) ADD(K_EXEC_OUT, &e->out_r, e, POLLIN);
            if (e->err_r >= 0) ADD(K_EXEC_OUT, &e->err_r, e, POLLIN);
            if (e->inq.len && e->in_w >= 0) ADD(K_EXEC_IN, &e->in_w, e, POLLOUT);
        }
        for (struct client *c = S.clients; c; c = c->next)
            ADD(K_CLIENT, &c->fd, c, POLLIN | (c->out.len || c->replay_fd >= 0 ? POLLOUT : 0));
#undef ADD
        int timeout = -1;
        long long now = now_ms();
        if (S.reaped && !S.exited) timeout = (int)(S.deadline_ms > now ? S.deadline_ms - now : 0);
        for (struct execproc *e = S.execs; e; e = e->next)
            if (e->reaped) {
                int t = (int)(e->deadline_ms > now ? e->deadline_ms - now : 0);
                if (timeout < 0 || t < timeout) timeout = t;
            }
        if (poll(pfd, n, timeout) < 0 && errno != EINTR) _exit(1);
        for (size_t i = 0; i < n; i++) {
            short re = pfd[i].revents;
            if (!re) continue;
            struct slot *s = &slots[i];
            switch (s->kind) {
            case K_LISTEN: accept_clients(); break;
            case K_SIGNAL: reap(); break;
            case K_TASK_OUT:
                if ((re & POLLOUT) && s->fd == &S.master) flush_stdin(&S.inq, &S.master, &S.close_stdin_pending);
                if (re & (POLLIN | POLLHUP | POLLERR)) pump(s->fd, NULL, 0);
                break;
            case K_TASK_IN: flush_stdin(&S.inq, &S.in_w, &S.close_stdin_pending); break;
            case K_EXEC_OUT: {
                struct execproc *e = s->obj;
                if ((re & POLLOUT) && s->fd == &e->master) flush_stdin(&e->inq, &e->master, &e->close_stdin_pending);
                if (re & (POLLIN | POLLHUP | POLLERR)) pump(s->fd, e, 0);
                break;
            }
            case K_EXEC_IN: {
                struct execproc *e = s->obj;
                flush_stdin(&e->inq, &e->in_w, &e->close_stdin_pending);
                break;
            }
            case K_CLIENT: {
                struct client *c = s->obj;
                if (re & (POLLIN | POLLHUP | POLLERR)) client_read(c);
                if (!c->dead && (re & POLLOUT)) client_write(c);
                break;
            }
            }
        }
    }
    unlinkat(S.bundle, "shim.sock", 0);
    _exit(0);
}
