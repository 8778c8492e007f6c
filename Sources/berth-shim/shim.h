/* berth-shim: shared declarations. The protocol is described in docs/shim-protocol.md. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sock_fprog; /* <linux/filter.h> */

/* A growable list of strings pointing into a conf buffer. */
struct strv {
    const char **v;
    size_t n;
};

/* One parsed shim.conf (or an exec payload). Strings point into `buf`. */
struct conf {
    char *buf;
    const char *rootfs, *cwd, *hostname, *exec_id;
    const char *seccomp_default;
    const char *seccomp_cache; /* directory of compiled filters (task conf only), or NULL */
    int readonly_rootfs, terminal, no_new_privs, has_seccomp;
    int seccomp_default_errno;
    uid_t uid;
    gid_t gid;
    long long log_max;
    struct strv args, env, gids, nsnew, cgprocs, mounts, masked, readonly, rlimits, caps, seccomp, devices;
};

/* conf.c */
int conf_parse(char *buf, size_t len, struct conf *c, char *err, size_t errlen);
void conf_free(struct conf *c);
int conf_has_ns(const struct conf *c, const char *name);

/* ns.c: the namespaces by their OCI names (shim.conf's), with their clone flags and their
 * /proc/<pid>/ns entries, in the order an exec joins them. */
struct ns_kind {
    const char *name;
    int flag;
    const char *proc;
};
#define NS_KINDS 6
extern const struct ns_kind ns_kinds[NS_KINDS];
/* The clone flags of a conf's new namespaces. */
int ns_clone_flags(const struct conf *c);
/* The clone flags of a comma-separated list of names; -1 for an unknown name. */
int ns_clone_flags_of_list(const char *list);

/* frame.c: the socket protocol's framing. */
#define FRAME_HEADER 5
#define MAX_FRAME (16u << 20)
struct frame {
    uint8_t type;
    const unsigned char *payload;
    size_t len;  /* of the payload */
    size_t size; /* of the whole frame */
};
void put32(unsigned char *p, uint32_t v);
uint32_t get32(const unsigned char *p);
/* One whole frame at the start of buf: 1 and *f, 0 while more bytes are needed, -1 when the
 * declared length is over MAX_FRAME. */
int frame_next(const unsigned char *buf, size_t len, struct frame *f);
/* The size of an exec-id prefix (a length byte, the id) at the start of a payload, or 0 when
 * the payload is shorter than the id it announces. */
size_t frame_exec_id(const unsigned char *p, size_t len);

/* Everything a freshly forked child needs to become the task's init or an exec'd process. */
struct spawn {
    const struct conf *proc;   /* the process: args, env, cwd, user, caps, seccomp */
    const struct conf *task;   /* the task: mounts, rlimits, hostname (init: same as proc) */
    int is_init;
    int stdio[3];              /* pipes to place on 0, 1, 2 (no terminal) */
    int console;               /* terminal: socket on which to send the pty master, else -1 */
    int err_fd;                /* CLOEXEC write end: "<exitcode>\t<message>" on failure */
    const struct sock_fprog *filter; /* the process's compiled seccomp filter, or NULL */
    int loopback_is_up;        /* an early init brought lo up while it waited */
};

/* spawn.c: child side. Never returns. */
void join_cgroups_self(const struct spawn *s);
void loopback_up(const struct spawn *s);
void child_init(const struct spawn *s) __attribute__((noreturn));
void child_exec_process(const struct spawn *s) __attribute__((noreturn));
/* child_error.c: the child's report of a failure, then its exit. */
void child_fail(const struct spawn *s, int code, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/* rootfs.c: mount ns setup of the init, before and after pivot_root. */
void setup_rootfs(const struct spawn *s);

/* seccomp.c: compiled in the shim before it forks; the child only loads it. */
int seccomp_build(const struct conf *c, const char *cache_dir, struct sock_fprog *out, char *err, size_t errlen);
void seccomp_free(struct sock_fprog *f);

/* security.c */
void apply_rlimits(const struct spawn *s);
void apply_security(const struct spawn *s);

/* A byte queue (pending output to a client or a process's stdin). */
struct outq {
    unsigned char *d;
    size_t len, cap;
};
int outq_push(struct outq *q, const void *p, size_t n);
void outq_drop(struct outq *q, size_t n);
void outq_free(struct outq *q);

struct client {
    int fd;
    struct outq in, out;
    int attached, waiting, dead;
    int replay_fd;           /* >= 0 while output.log is being replayed */
    off_t replay_off;
    struct client *next;
};

struct execproc {
    char id[256];
    size_t idlen;
    pid_t pid;
    int master, in_w, out_r, err_r;
    struct outq inq;
    int close_stdin_pending;
    int reaped, status;      /* reaped: exit status known, output still draining */
    long long deadline_ms;   /* give up draining output at this time */
    struct client *owner;
    struct execproc *next;
};

/* The whole shim: one task, its stdio, the socket and its clients. */
struct shim {
    struct conf conf;
    int bundle;              /* O_PATH fd of the bundle dir */
    pid_t init;
    int reaped;              /* init reaped, its output still draining */
    long long deadline_ms;
    int exited, status;      /* exited: status recorded in `exit` */
    struct timespec exited_at;
    int master, in_w, out_r, err_r;
    struct outq inq;
    int close_stdin_pending;
    int log_fd;
    off_t log_size;
    int listen_fd, sig_fd;
    struct client *clients;
    struct execproc *execs;
    int shutdown;
};
extern struct shim S;

/* server.c */
void serve(void) __attribute__((noreturn));
/* exec.c (parent side of `exec`) */
struct execproc *start_exec(struct client *cl, char *payload, size_t len, char *err, size_t errlen);
/* util.c */
int open_pipes(int *in_w, int *out_r, int *err_r, int child[3]);
int open_console_socket(int sv[2]);
int send_fd(int sock, int fd);
int recv_fd(int sock);
int read_child_error(int fd, char *msg, size_t len, int *code);
long long now_ms(void);
ssize_t write_all(int fd, const void *p, size_t n);
ssize_t read_full(int fd, void *p, size_t n);
int write_file_at(int dirfd, const char *name, const char *data, size_t len);
int write_file_atomic(int dirfd, const char *name, const char *data, size_t len);
int set_nonblock(int fd);
char *read_whole_file_at(int dirfd, const char *name, size_t *len);
char *read_whole_fd(int fd, size_t *len);
void rfc3339(const struct timespec *ts, char *out, size_t outlen);

/* Exit codes Docker uses for exec failures. */
#define EXIT_NOT_FOUND 127
#define EXIT_CANNOT_EXEC 126

#endif
