/* Process security, applied last before exec: rlimits, capabilities (libcap), user and
 * groups, no_new_privs, seccomp (the filter compiled by seccomp.c). */
#include "shim.h"
#include <errno.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char *name; int res; } rlimit_names[] = {
    {"RLIMIT_CPU", RLIMIT_CPU}, {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_STACK", RLIMIT_STACK}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC}, {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_LOCKS", RLIMIT_LOCKS}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

void apply_rlimits(const struct spawn *s) {
    const struct strv *l = &s->task->rlimits;
    for (size_t i = 0; i < l->n; i++) {
        char name[32];
        unsigned long long soft, hard;
        if (sscanf(l->v[i], "%31s %llu %llu", name, &soft, &hard) != 3)
            child_fail(s, 1, "invalid rlimit record: %s", l->v[i]);
        int res = -1;
        for (size_t k = 0; k < sizeof rlimit_names / sizeof rlimit_names[0]; k++)
            if (!strcmp(name, rlimit_names[k].name)) res = rlimit_names[k].res;
        if (res < 0) child_fail(s, 1, "unknown rlimit %s", name);
        struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
        if (setrlimit(res, &rl) < 0) child_fail(s, 1, "setrlimit %s: %s", name, strerror(errno));
    }
}

/* Capability values named by `cap` records, skipping ones this kernel does not know. */
static size_t wanted_caps(const struct spawn *s, cap_value_t *out, size_t max) {
    size_t n = 0;
    cap_value_t last = (cap_value_t)cap_max_bits();
    for (size_t i = 0; i < s->proc->caps.n && n < max; i++) {
        cap_value_t v;
        if (cap_from_name(s->proc->caps.v[i], &v) < 0)
            child_fail(s, 1, "unknown capability %s", s->proc->caps.v[i]);
        if (v < last) out[n++] = v;
    }
    return n;
}

static void apply_caps_and_user(const struct spawn *s) {
    const struct conf *c = s->proc;
    cap_value_t keep[64];
    size_t nkeep = wanted_caps(s, keep, 64);
    for (cap_value_t v = 0; v < (cap_value_t)cap_max_bits(); v++) {
        int kept = 0;
        for (size_t i = 0; i < nkeep; i++) kept |= keep[i] == v;
        if (!kept && cap_drop_bound(v) < 0 && errno != EINVAL)
            child_fail(s, 1, "drop capability %s from the bounding set: %s", cap_to_name(v), strerror(errno));
    }
    /* Keep the permitted set across the uid change; effective is set again below. */
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) child_fail(s, 1, "keepcaps: %s", strerror(errno));
    gid_t groups[64];
    size_t ng = 0;
    for (size_t i = 0; i < c->gids.n && ng < 64; i++) groups[ng++] = (gid_t)strtoul(c->gids.v[i], NULL, 10);
    if (setgroups(ng, groups) < 0) child_fail(s, 1, "setgroups: %s", strerror(errno));
    if (setresgid(c->gid, c->gid, c->gid) < 0) child_fail(s, 1, "setgid %u: %s", c->gid, strerror(errno));
    if (setresuid(c->uid, c->uid, c->uid) < 0) child_fail(s, 1, "setuid %u: %s", c->uid, strerror(errno));
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) child_fail(s, 1, "keepcaps: %s", strerror(errno));
    cap_t caps = cap_init();
    if (!caps) child_fail(s, 1, "cap_init: %s", strerror(errno));
    /* Effective and permitted only, as Docker asks of runc: no inheritable set (CVE-2022-24769)
     * and no ambient one, so a non-root user loses them all at exec and holds no capability,
     * while root keeps the bounding set. */
    if (nkeep && (cap_set_flag(caps, CAP_EFFECTIVE, (int)nkeep, keep, CAP_SET) < 0 ||
                  cap_set_flag(caps, CAP_PERMITTED, (int)nkeep, keep, CAP_SET) < 0))
        child_fail(s, 1, "cap_set_flag: %s", strerror(errno));
    if (cap_set_proc(caps) < 0) child_fail(s, 1, "set capabilities: %s", strerror(errno));
    cap_free(caps);
}

/* The filter was compiled by the shim before the fork (seccomp.c); loading it is one call,
 * with libseccomp's default flags (no TSYNC: the process is single-threaded). */
static void load_seccomp(const struct spawn *s) {
    if (!s->filter) return;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, s->filter) < 0)
        child_fail(s, 1, "load seccomp filter: %s", strerror(errno));
}

void apply_security(const struct spawn *s) {
    /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which may be dropped below:
     * load it first then (as runc does); with it, seccomp comes last. */
    int nnp = s->proc->no_new_privs;
    if (!nnp) load_seccomp(s);
    apply_caps_and_user(s);
    if (nnp) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(s, 1, "no_new_privs: %s", strerror(errno));
        load_seccomp(s);
    }
}
