#ifndef BERTH_DEVICES_H
#define BERTH_DEVICES_H
/* Device access rules for cgroup v2, which has no devices controller: a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup decides (as runc and crun do). */
#include <stddef.h>
#include <stdint.h>

/* Access bits of a rule, as the kernel passes them to the program. */
#define BERTH_DEVICE_MKNOD 1u
#define BERTH_DEVICE_READ 2u
#define BERTH_DEVICE_WRITE 4u

/* One OCI device cgroup rule (runtime-spec config-linux.md#allowed-device-list). */
struct berth_device_rule {
    int allow;
    char type;      /* 'a' (any), 'b' or 'c' */
    int64_t major;  /* -1: any */
    int64_t minor;  /* -1: any */
    uint32_t access; /* BERTH_DEVICE_* bits */
};

/* Loads a program for `rules` and attaches it to the cgroup v2 directory `cgroup_dir`. The
 * last rule matching an access decides it; an access no rule matches is allowed (a fresh
 * cgroup's default, so rules normally begin with a deny of everything). The program stays
 * until the cgroup is removed. Returns 0, or -1 with errno set. */
int berth_attach_device_rules(const char *cgroup_dir, const struct berth_device_rule *rules, size_t count);

#endif
