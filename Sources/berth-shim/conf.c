/* shim.conf parsing: NUL-separated `key\0value\0` records; repeated keys form lists. */
#include "shim.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(struct strv *l, const char *s) {
    const char **v = realloc(l->v, (l->n + 2) * sizeof *v);
    if (!v) return -1;
    v[l->n++] = s;
    v[l->n] = NULL;
    l->v = v;
    return 0;
}

static int parse_num(const char *s, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = v;
    return 0;
}

int conf_parse(char *buf, size_t len, struct conf *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    c->buf = buf;
    c->log_max = 1 << 20;
    c->seccomp_default_errno = EPERM;
    c->cwd = "/";
    if (len && buf[len - 1] != '\0') {
        snprintf(err, errlen, "shim.conf: last record is not NUL-terminated");
        return -1;
    }
    size_t i = 0;
    while (i < len) {
        const char *key = buf + i;
        i += strlen(key) + 1;
        if (i >= len) {
            snprintf(err, errlen, "shim.conf: key %s has no value", key);
            return -1;
        }
        const char *val = buf + i;
        i += strlen(val) + 1;
        long long n = 0;
        int bad = 0, nomem = 0;
        struct { const char *key; struct strv *list; } lists[] = {
            {"arg", &c->args}, {"env", &c->env}, {"additional-gid", &c->gids},
            {"namespace-new", &c->nsnew}, {"cgroup-procs", &c->cgprocs}, {"mount", &c->mounts},
            {"masked", &c->masked}, {"readonly", &c->readonly}, {"rlimit", &c->rlimits},
            {"cap", &c->caps}, {"seccomp-syscall", &c->seccomp}, {"device", &c->devices},
        };
        int matched = 0;
        for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
            if (strcmp(key, lists[k].key) == 0) {
                nomem = push(lists[k].list, val) < 0;
                matched = 1;
                break;
            }
        }
        if (matched) {
            if (!strcmp(key, "seccomp-syscall")) c->has_seccomp = 1;
        } else if (!strcmp(key, "rootfs")) c->rootfs = val;
        else if (!strcmp(key, "cwd")) c->cwd = val;
        else if (!strcmp(key, "hostname")) c->hostname = val;
        else if (!strcmp(key, "exec-id")) c->exec_id = val;
        else if (!strcmp(key, "seccomp-cache")) c->seccomp_cache = val;
        else if (!strcmp(key, "seccomp-default")) { c->seccomp_default = val; c->has_seccomp = 1; }
        else if (!strcmp(key, "seccomp-default-errno")) { bad = parse_num(val, &n); c->seccomp_default_errno = (int)n; }
        else if (!strcmp(key, "readonly-rootfs")) c->readonly_rootfs = !strcmp(val, "1");
        else if (!strcmp(key, "terminal")) c->terminal = !strcmp(val, "1");
        else if (!strcmp(key, "no-new-privs")) c->no_new_privs = !strcmp(val, "1");
        else if (!strcmp(key, "uid")) { bad = parse_num(val, &n) || n < 0; c->uid = (uid_t)n; }
        else if (!strcmp(key, "gid")) { bad = parse_num(val, &n) || n < 0; c->gid = (gid_t)n; }
        else if (!strcmp(key, "log-max")) { bad = parse_num(val, &n) || n < 4096; c->log_max = n; }
        /* Unknown keys are ignored so that either side can add optional records. */
        if (nomem) {
            snprintf(err, errlen, "shim.conf: out of memory");
            return -1;
        }
        if (bad) {
            snprintf(err, errlen, "shim.conf: invalid value for %s: %s", key, val);
            return -1;
        }
    }
    if (c->args.n == 0) {
        snprintf(err, errlen, "shim.conf: no arg records (empty command)");
        return -1;
    }
    if (c->cwd[0] != '/') {
        snprintf(err, errlen, "shim.conf: cwd %s is not absolute", c->cwd);
        return -1;
    }
    return 0;
}

void conf_free(struct conf *c) {
    struct strv *lists[] = {&c->args, &c->env, &c->gids, &c->nsnew, &c->cgprocs, &c->mounts,
                            &c->masked, &c->readonly, &c->rlimits, &c->caps, &c->seccomp, &c->devices};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) free(lists[k]->v);
    free(c->buf);
    memset(c, 0, sizeof *c);
}

int conf_has_ns(const struct conf *c, const char *name) {
    for (size_t i = 0; i < c->nsnew.n; i++)
        if (!strcmp(c->nsnew.v[i], name)) return 1;
    return 0;
}
