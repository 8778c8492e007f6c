/* Linux namespaces by the names of the OCI runtime specification, which shim.conf and the early
 * shim's command line use: the one place where they become clone flags and /proc/<pid>/ns
 * entries. */
#include "shim.h"
#include <sched.h>
#include <string.h>

/* In the order an exec joins them: the mount namespace last, since once in it the host's
 * /proc is gone. */
const struct ns_kind ns_kinds[NS_KINDS] = {
    {"ipc", CLONE_NEWIPC, "ipc"}, {"uts", CLONE_NEWUTS, "uts"}, {"network", CLONE_NEWNET, "net"},
    {"pid", CLONE_NEWPID, "pid"}, {"cgroup", CLONE_NEWCGROUP, "cgroup"}, {"mount", CLONE_NEWNS, "mnt"},
};

int ns_clone_flags(const struct conf *c) {
    int flags = 0;
    for (size_t i = 0; i < NS_KINDS; i++)
        if (conf_has_ns(c, ns_kinds[i].name)) flags |= ns_kinds[i].flag;
    return flags;
}

int ns_clone_flags_of_list(const char *list) {
    int flags = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        for (; i < NS_KINDS; i++)
            if (strlen(ns_kinds[i].name) == n && !strncmp(p, ns_kinds[i].name, n)) break;
        if (i == NS_KINDS) return -1;
        flags |= ns_kinds[i].flag;
        p += n;
        if (*p == ',') p++;
    }
    return flags;
}
