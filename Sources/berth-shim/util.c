/* Small I/O helpers. */
#include "shim.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

ssize_t write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, c + done, n - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

ssize_t read_full(int fd, void *p, size_t n) {
    char *c = p;
    size_t done = 0;
    while (done < n) {
        ssize_t r = read(fd, c + done, n - done);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

int write_file_at(int dirfd, const char *name, const char *data, size_t len) {
    int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -1;
    int rc = write_all(fd, data, len) < 0 ? -1 : 0;
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

/* temp + rename so readers never see a half-written file. */
int write_file_atomic(int dirfd, const char *name, const char *data, size_t len) {
    char tmp[256];
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return -1;
    if (write_all(fd, data, len) < 0) {
        int saved = errno;
        close(fd);
        unlinkat(dirfd, tmp, 0);
        errno = saved;
        return -1;
    }
    close(fd);
    return renameat(dirfd, tmp, dirfd, name);
}

int set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Reads to EOF (kernel files such as cgroup.procs report size 0). */
char *read_whole_file_at(int dirfd, const char *name, size_t *len) {
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    char *buf = read_whole_fd(fd, len);
    int e = errno;
    close(fd);
    errno = e;
    return buf;
}

/* Everything up to EOF, NUL-terminated (the NUL not counted in *len); NULL on error. */
char *read_whole_fd(int fd, size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *b = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!b) {
                free(buf);
                buf = NULL;
                errno = EFBIG;
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            free(buf);
            buf = NULL;
            break;
        }
        if (r == 0) {
            buf[n] = '\0';
            *len = n;
            break;
        }
        n += (size_t)r;
    }
    return buf;
}

void rfc3339(const struct timespec *ts, char *out, size_t outlen) {
    struct tm tm;
    gmtime_r(&ts->tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%09ldZ", base, ts->tv_nsec);
}

int outq_push(struct outq *q, const void *p, size_t n) {
    if (q->len + n > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < q->len + n) cap *= 2;
        unsigned char *d = realloc(q->d, cap);
        if (!d) return -1;
        q->d = d;
        q->cap = cap;
    }
    memcpy(q->d + q->len, p, n);
    q->len += n;
    return 0;
}

/* Consume n bytes from the front; give memory back once the queue drains. */
void outq_drop(struct outq *q, size_t n) {
    memmove(q->d, q->d + n, q->len - n);
    q->len -= n;
    if (q->len == 0 && q->cap > 65536) outq_free(q);
}

void outq_free(struct outq *q) {
    free(q->d);
    q->d = NULL;
    q->len = q->cap = 0;
}

/* Reads "<code>\t<message>" from a child's error pipe; 0 when it exec'd (EOF). */
int read_child_error(int fd, char *msg, size_t len, int *code) {
    char buf[1100];
    ssize_t n = read_full(fd, buf, sizeof buf - 1);
    if (n <= 0) return 0;
    buf[n] = '\0';
    char *tab = strchr(buf, '\t');
    *code = atoi(buf);
    snprintf(msg, len, "%s", tab ? tab + 1 : buf);
    return -1;
}

long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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

/* A terminal's master travels from the container (where its devpts instance lives) to the
 * shim as SCM_RIGHTS over a socketpair. */
int send_fd(int sock, int fd) {
    char byte = 'm';
    struct iovec iov = {&byte, 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t n;
    do n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

/* The fd sent by send_fd, or -1 when the peer closed without sending one. */
int recv_fd(int sock) {
    char byte;
    struct iovec iov = {&byte, 1};
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t n;
    do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n != 1) return -1;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}
