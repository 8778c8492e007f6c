/* Seccomp filters: the `seccomp-*` records of a conf compiled to classic BPF with libseccomp,
 * in the shim before it forks the process that loads them. Compiling Docker's profile would
 * be a large part of the start of every task, so the program is kept in a cache directory
 * (the task's `seccomp-cache` record): one file per profile, named by a hash and holding the
 * whole key (kernel release, libseccomp version, every record) before the program, so that
 * a file is only used for exactly the input it was compiled from. */
#include "shim.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static int parse_action(const char *name, int err, uint32_t *out) {
    if (!strcmp(name, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
    else if (!strcmp(name, "SCMP_ACT_ERRNO")) *out = SCMP_ACT_ERRNO((uint32_t)err);
    else if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL;
    else if (!strcmp(name, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
    else if (!strcmp(name, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
    else if (!strcmp(name, "SCMP_ACT_TRACE")) *out = SCMP_ACT_TRACE((uint32_t)err);
    else if (!strcmp(name, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
    else return -1;
    return 0;
}

static int parse_op(const char *op, enum scmp_compare *out) {
    static const struct { const char *n; enum scmp_compare v; } ops[] = {
        {"NE", SCMP_CMP_NE}, {"LT", SCMP_CMP_LT}, {"LE", SCMP_CMP_LE}, {"EQ", SCMP_CMP_EQ},
        {"GE", SCMP_CMP_GE}, {"GT", SCMP_CMP_GT}, {"MASKED_EQ", SCMP_CMP_MASKED_EQ},
    };
    if (!strncmp(op, "SCMP_CMP_", 9)) op += 9;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcmp(op, ops[i].n)) { *out = ops[i].v; return 0; }
    return -1;
}

/* One `seccomp-syscall` record: `name action[ errno][ |argIndex op value valueTwo]...` */
static int add_rule(scmp_filter_ctx ctx, uint32_t def, const char *rec, char *err, size_t errlen) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", rec);
    char *save, *head = strtok_r(copy, "|", &save);
    char name[128], action[64];
    int e = EPERM;
    int n = head ? sscanf(head, "%127s %63s %d", name, action, &e) : 0;
    if (n < 2) return snprintf(err, errlen, "invalid seccomp-syscall record: %s", rec), -1;
    uint32_t act;
    if (parse_action(action, e, &act) < 0) return snprintf(err, errlen, "seccomp: unknown action %s", action), -1;
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return 0; /* not on this kernel/arch */
    struct scmp_arg_cmp args[6];
    unsigned nargs = 0;
    for (char *cond = strtok_r(NULL, "|", &save); cond; cond = strtok_r(NULL, "|", &save)) {
        unsigned idx;
        char op[32];
        unsigned long long a = 0, b = 0;
        if (nargs == 6 || sscanf(cond, "%u %31s %llu %llu", &idx, op, &a, &b) < 3 || idx > 5)
            return snprintf(err, errlen, "invalid seccomp argument in %s", rec), -1;
        enum scmp_compare cmp;
        if (parse_op(op, &cmp) < 0) return snprintf(err, errlen, "seccomp: unknown operator %s", op), -1;
        args[nargs++] = (struct scmp_arg_cmp){.arg = idx, .op = cmp, .datum_a = a, .datum_b = b};
    }
    if (act == def) return 0; /* libseccomp refuses rules that repeat the default */
    int rc = seccomp_rule_add_array(ctx, act, nr, nargs, args);
    if (rc == -EINVAL && nargs > 1) {
        /* Several conditions on one argument cannot share a rule: add one rule each (runc). */
        rc = 0;
        for (unsigned i = 0; i < nargs && rc == 0; i++) rc = seccomp_rule_add_array(ctx, act, nr, 1, &args[i]);
    }
    if (rc < 0) return snprintf(err, errlen, "seccomp rule for %s: %s", name, strerror(-rc)), -1;
    return 0;
}

/* Reads all of fd from offset 0 into a malloc'd buffer. */
static unsigned char *slurp(int fd, size_t *len) {
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (1 << 22)) return NULL;
    unsigned char *b = malloc((size_t)st.st_size);
    if (!b) return NULL;
    if (pread(fd, b, (size_t)st.st_size, 0) != st.st_size) return free(b), NULL;
    *len = (size_t)st.st_size;
    return b;
}

/* Compiles the records with libseccomp; the program is malloc'd into out. */
static int compile(const struct conf *c, struct sock_fprog *out, char *err, size_t errlen) {
    uint32_t def;
    if (parse_action(c->seccomp_default ? c->seccomp_default : "SCMP_ACT_ALLOW", c->seccomp_default_errno, &def) < 0)
        return snprintf(err, errlen, "seccomp: unknown default action %s", c->seccomp_default), -1;
    scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx) return snprintf(err, errlen, "seccomp_init failed"), -1;
    int rc = -1, mfd = -1;
    /* no_new_privs is the process's own setting, not libseccomp's. */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) {
        snprintf(err, errlen, "seccomp: cannot clear NNP attribute");
        goto out;
    }
    /* A binary tree of syscall numbers instead of libseccomp's default linear list: the same
     * decisions, but the kernel (which runs a new filter once per syscall number when it is
     * loaded) and every syscall walk a few instructions instead of hundreds. A libseccomp
     * older than 2.5 lacks the attribute and keeps the list. */
    (void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    for (size_t i = 0; i < c->seccomp.n; i++)
        if (add_rule(ctx, def, c->seccomp.v[i], err, errlen) < 0) goto out;
    mfd = memfd_create("seccomp", MFD_CLOEXEC);
    int e = mfd < 0 ? errno : -seccomp_export_bpf(ctx, mfd);
    if (e) {
        snprintf(err, errlen, "compile seccomp filter: %s", strerror(e));
        goto out;
    }
    size_t len = 0;
    unsigned char *prog = slurp(mfd, &len);
    if (!prog || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        free(prog);
        snprintf(err, errlen, "compile seccomp filter: unexpected program of %zu bytes", len);
        goto out;
    }
    out->filter = (struct sock_filter *)prog;
    out->len = (unsigned short)(len / sizeof(struct sock_filter));
    rc = 0;
out:
    if (mfd >= 0) close(mfd);
    seccomp_release(ctx);
    return rc;
}

/* The cache key: everything the compiled program depends on. */
static char *cache_key(const struct conf *c, size_t *len) {
    struct utsname u;
    uname(&u);
    const struct scmp_version *v = seccomp_version();
    size_t n = 256 + strlen(u.release) + strlen(u.machine);
    for (size_t i = 0; i < c->seccomp.n; i++) n += strlen(c->seccomp.v[i]) + 1;
    char *k = malloc(n);
    if (!k) return NULL;
    size_t off = (size_t)snprintf(k, n, "berth-seccomp 2\nkernel %s %s\nlibseccomp %u.%u.%u\ndefault %s %d\n",
                                  u.release, u.machine, v->major, v->minor, v->micro,
                                  c->seccomp_default ? c->seccomp_default : "SCMP_ACT_ALLOW", c->seccomp_default_errno);
    for (size_t i = 0; i < c->seccomp.n; i++) off += (size_t)snprintf(k + off, n - off, "%s\n", c->seccomp.v[i]);
    *len = off + 1; /* the NUL ends the key in the file */
    return k;
}

static void cache_name(const char *key, size_t len, char *out, size_t outlen) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: a file name, not a check (the key is) */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    snprintf(out, outlen, "%016llx.bpf", (unsigned long long)h);
}

static int cache_load(int dir, const char *name, const char *key, size_t klen, struct sock_fprog *out) {
    int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t len = 0;
    unsigned char *b = slurp(fd, &len);
    close(fd);
    if (!b) return -1;
    size_t plen = len - klen;
    if (len <= klen || memcmp(b, key, klen) || plen % sizeof(struct sock_filter) ||
        plen / sizeof(struct sock_filter) > BPF_MAXINSNS) {
        free(b);
        return -1;
    }
    memmove(b, b + klen, plen);
    out->filter = (struct sock_filter *)b;
    out->len = (unsigned short)(plen / sizeof(struct sock_filter));
    return 0;
}

/* Best effort: a failure only means the next task compiles again. */
static void cache_store(int dir, const char *name, const char *key, size_t klen, const struct sock_fprog *p) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", name, (int)getpid());
    int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return;
    int ok = write_all(fd, key, klen) >= 0 &&
             write_all(fd, p->filter, p->len * sizeof(struct sock_filter)) >= 0;
    close(fd);
    if (!ok || renameat(dir, tmp, dir, name) < 0) unlinkat(dir, tmp, 0);
}

int seccomp_build(const struct conf *c, const char *cache_dir, struct sock_fprog *out, char *err, size_t errlen) {
    out->filter = NULL;
    out->len = 0;
    if (!c->has_seccomp) return 0;
    int dir = -1;
    if (cache_dir && cache_dir[0]) {
        /* Root's own directory: created private, never followed through a symlink. */
        if (mkdir(cache_dir, 0700) < 0 && errno != EEXIST) cache_dir = NULL;
        else dir = open(cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (dir >= 0 && (fstat(dir, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022))) {
            close(dir);
            dir = -1;
        }
    }
    size_t klen = 0;
    char *key = dir >= 0 ? cache_key(c, &klen) : NULL;
    char name[32];
    if (key) {
        cache_name(key, klen, name, sizeof name);
        if (cache_load(dir, name, key, klen, out) == 0) {
            free(key);
            close(dir);
            return 0;
        }
    }
    int rc = compile(c, out, err, errlen);
    if (rc == 0 && key) cache_store(dir, name, key, klen, out);
    free(key);
    if (dir >= 0) close(dir);
    return rc;
}

void seccomp_free(struct sock_fprog *f) {
    free(f->filter);
    f->filter = NULL;
    f->len = 0;
}
