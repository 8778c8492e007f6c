/* The shim's side of `exec`: a new process in the running task's namespaces and cgroup,
 * with its own stdio and the same security setup as an init. */
#include "shim.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* First child: joins the cgroups and namespaces, forks the process proper (so it is inside
 * the pid namespace), reports its pid and leaves; the shim adopts it as subreaper. */
static void __attribute__((noreturn)) exec_helper(struct spawn *sp, const int *nsfd, int pid_w) {
    join_cgroups_self(sp);
    for (size_t i = 0; i < NS_KINDS; i++)
        if (nsfd[i] >= 0 && setns(nsfd[i], ns_kinds[i].flag) < 0)
            child_fail(sp, 1, "join %s namespace: %s", ns_kinds[i].name, strerror(errno));
    pid_t p = fork();
    if (p < 0) child_fail(sp, 1, "fork: %s", strerror(errno));
    if (p == 0) {
        close(pid_w);
        child_exec_process(sp);
    }
    write_all(pid_w, &p, sizeof p);
    _exit(0);
}

struct execproc *start_exec(struct client *cl, char *payload, size_t len, char *err, size_t errlen) {
    char *buf = malloc(len + 1);
    if (!buf) {
        snprintf(err, errlen, "exec: out of memory");
        return NULL;
    }
    memcpy(buf, payload, len);
    struct conf c;
    if (conf_parse(buf, len, &c, err, errlen) < 0) {
        conf_free(&c);
        return NULL;
    }
    struct sock_fprog filter = {0};
    struct execproc *e = calloc(1, sizeof *e);
    int nsfd[NS_KINDS] = {-1, -1, -1, -1, -1, -1}, child[3] = {-1, -1, -1}, cons[2] = {-1, -1}, pidp[2] = {-1, -1}, errp[2] = {-1, -1};
    size_t idlen = c.exec_id ? strlen(c.exec_id) : 0;
    if (e) e->master = e->in_w = e->out_r = e->err_r = -1;
    if (!e || idlen == 0 || idlen > 255) {
        snprintf(err, errlen, "exec: %s", e ? "exec-id missing or longer than 255 bytes" : "out of memory");
        goto fail;
    }
    for (struct execproc *o = S.execs; o; o = o->next)
        if (o->idlen == idlen && !memcmp(o->id + 1, c.exec_id, idlen)) {
            snprintf(err, errlen, "exec: id %s is already running", c.exec_id);
            goto fail;
        }
    e->id[0] = (char)idlen;
    memcpy(e->id + 1, c.exec_id, idlen);
    e->idlen = idlen;
    e->owner = cl;
    if (c.terminal ? open_console_socket(cons) < 0 : open_pipes(&e->in_w, &e->out_r, &e->err_r, child) < 0) {
        snprintf(err, errlen, "exec: allocate stdio: %s", strerror(errno));
        goto fail;
    }
    for (size_t i = 0; i < NS_KINDS; i++) {
        if (!conf_has_ns(&S.conf, ns_kinds[i].name)) continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", S.init, ns_kinds[i].proc);
        if ((nsfd[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
            snprintf(err, errlen, "exec: open %s: %s", path, strerror(errno));
            goto fail;
        }
    }
    if (pipe2(pidp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "exec: pipe: %s", strerror(errno));
        goto fail;
    }
    if (seccomp_build(&c, S.conf.seccomp_cache, &filter, err, errlen) < 0) goto fail;
    struct spawn sp = {
        .proc = &c, .task = &S.conf, .stdio = {child[0], child[1], child[2]}, .console = cons[1],
        .err_fd = errp[1], .filter = filter.len ? &filter : NULL,
    };
    pid_t helper = fork();
    if (helper < 0) {
        snprintf(err, errlen, "exec: fork: %s", strerror(errno));
        goto fail;
    }
    if (helper == 0) {
        close(pidp[0]);
        close(errp[0]);
        if (cons[0] >= 0) close(cons[0]);
        exec_helper(&sp, nsfd, pidp[1]);
    }
    close(pidp[1]), pidp[1] = -1;
    close(errp[1]), errp[1] = -1;
    if (cons[1] >= 0) close(cons[1]), cons[1] = -1;
    pid_t pid = 0;
    ssize_t got = read_full(pidp[0], &pid, sizeof pid);
    waitpid(helper, NULL, 0);
    if (cons[0] >= 0 && (e->master = recv_fd(cons[0])) >= 0) set_nonblock(e->master);
    int code = 1;
    if (read_child_error(errp[0], err, errlen, &code) < 0) goto fail;
    if (got != sizeof pid) {
        snprintf(err, errlen, "exec: helper failed");
        goto fail;
    }
    e->pid = pid;
    e->next = S.execs;
    S.execs = e;
    e = NULL;
fail:
    seccomp_free(&filter);
    for (size_t i = 0; i < NS_KINDS; i++)
        if (nsfd[i] >= 0) close(nsfd[i]);
    int fds[] = {child[0], child[1], child[2], cons[0], cons[1], pidp[0], pidp[1], errp[0], errp[1]};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0) close(fds[i]);
    conf_free(&c);
    if (e) {
        int own[] = {e->master, e->in_w, e->out_r, e->err_r};
        for (int i = 0; i < 4; i++)
            if (own[i] >= 0) close(own[i]);
        free(e);
        return NULL;
    }
    return S.execs;
}
