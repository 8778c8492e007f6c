/* Process security, applied last before exec: rlimits, capabilities (libcap), user and
 * groups, no_new_privs, seccomp (libseccomp). */
#include "shim.h"
#include <errno.h>
#include <grp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
    if (nkeep && (cap_set_flag(caps, CAP_EFFECTIVE, (int)nkeep, keep, CAP_SET) < 0 ||
                  cap_set_flag(caps, CAP_PERMITTED, (int)nkeep, keep, CAP_SET) < 0 ||
                  cap_set_flag(caps, CAP_INHERITABLE, (int)nkeep, keep, CAP_SET) < 0))
        child_fail(s, 1, "cap_set_flag: %s", strerror(errno));
    if (cap_set_proc(caps) < 0) child_fail(s, 1, "set capabilities: %s", strerror(errno));
    cap_free(caps);
    /* Ambient capabilities carry the set across exec for a non-root user, as runc does; a
     * kernel without ambient support is not an error. */
    if (c->uid != 0)
        for (size_t i = 0; i < nkeep; i++) cap_set_ambient(keep[i], CAP_SET);
}

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
static void add_rule(const struct spawn *s, scmp_filter_ctx ctx, uint32_t def, const char *rec) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", rec);
    char *save, *head = strtok_r(copy, "|", &save);
    char name[128], action[64];
    int err = EPERM;
    int n = head ? sscanf(head, "%127s %63s %d", name, action, &err) : 0;
    if (n < 2) child_fail(s, 1, "invalid seccomp-syscall record: %s", rec);
    uint32_t act;
    if (parse_action(action, err, &act) < 0) child_fail(s, 1, "seccomp: unknown action %s", action);
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return; /* not on this kernel/arch */
    struct scmp_arg_cmp args[6];
    unsigned nargs = 0;
    for (char *cond = strtok_r(NULL, "|", &save); cond; cond = strtok_r(NULL, "|", &save)) {
        unsigned idx;
        char op[32];
        unsigned long long a = 0, b = 0;
        if (nargs == 6 || sscanf(cond, "%u %31s %llu %llu", &idx, op, &a, &b) < 3 || idx > 5)
            child_fail(s, 1, "invalid seccomp argument in %s", rec);
        enum scmp_compare cmp;
        if (parse_op(op, &cmp) < 0) child_fail(s, 1, "seccomp: unknown operator %s", op);
        args[nargs++] = (struct scmp_arg_cmp){.arg = idx, .op = cmp, .datum_a = a, .datum_b = b};
    }
    if (act == def) return; /* libseccomp refuses rules that repeat the default */
    int rc = seccomp_rule_add_array(ctx, act, nr, nargs, args);
    if (rc == -EINVAL && nargs > 1) {
        /* Several conditions on one argument cannot share a rule: add one rule each (runc). */
        rc = 0;
        for (unsigned i = 0; i < nargs && rc == 0; i++) rc = seccomp_rule_add_array(ctx, act, nr, 1, &args[i]);
    }
    if (rc < 0) child_fail(s, 1, "seccomp rule for %s: %s", name, strerror(-rc));
}

static void load_seccomp(const struct spawn *s) {
    const struct conf *c = s->proc;
    if (!c->has_seccomp) return;
    uint32_t def;
    if (parse_action(c->seccomp_default ? c->seccomp_default : "SCMP_ACT_ALLOW", c->seccomp_default_errno, &def) < 0)
        child_fail(s, 1, "seccomp: unknown default action %s", c->seccomp_default);
    scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx) child_fail(s, 1, "seccomp_init failed");
    /* no_new_privs is the process's own setting, not libseccomp's. */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0) child_fail(s, 1, "seccomp: cannot clear NNP attribute");
    for (size_t i = 0; i < c->seccomp.n; i++) add_rule(s, ctx, def, c->seccomp.v[i]);
    int rc = seccomp_load(ctx);
    if (rc < 0) child_fail(s, 1, "load seccomp filter: %s", strerror(-rc));
    seccomp_release(ctx);
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
