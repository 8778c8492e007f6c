/* The init's filesystem: mounts resolved inside the rootfs, /dev, pivot_root, masked and
 * read-only paths. Runs in the child, in its new mount namespace. */
#include "shim.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static int openat2_in_root(int rootfd, const char *path, int flags) {
    struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
    return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Create every missing component of `path` inside the rootfs (the last one as a file when
 * `file` is set), following the image's symlinks as if the rootfs were / (as securejoin's
 * MkdirAll does): a symlink's target is walked in place of it, an absolute one from the root.
 * Every step opens its parent with RESOLVE_IN_ROOT, so nothing is ever created outside.
 * Returns an O_PATH fd on the final component. */
static int mkpath_in_root(int rootfd, const char *path, int file) {
    int fd = openat2_in_root(rootfd, path, O_PATH);
    if (fd >= 0 || errno != ENOENT) return fd;
    char todo[4096], done[4096] = "", next[4096];
    if (snprintf(todo, sizeof todo, "%s", path) >= (int)sizeof todo) goto toolong;
    int links = 0;
    for (char *p = todo;;) {
        while (*p == '/') p++;
        if (!*p) break;
        size_t len = strcspn(p, "/");
        char name[256];
        if (len >= sizeof name) goto toolong;
        memcpy(name, p, len);
        name[len] = '\0';
        p += len;
        int last = p[strspn(p, "/")] == '\0';
        if (!strcmp(name, ".")) continue;
        if (!strcmp(name, "..")) {
            char *slash = strrchr(done, '/');
            if (slash) *slash = '\0';
            continue;
        }
        int parent = openat2_in_root(rootfd, done[0] ? done : "/", O_PATH | O_DIRECTORY);
        if (parent < 0) return -1;
        struct stat st;
        int rc = fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW);
        if (rc == 0 && S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
            close(parent);
            if (n < 0) return -1;
            target[n] = '\0';
            if (++links > 40) {
                errno = ELOOP;
                return -1;
            }
            if (snprintf(next, sizeof next, "%s/%s", target, p) >= (int)sizeof next) goto toolong;
            if (target[0] == '/') done[0] = '\0';
            memcpy(todo, next, strlen(next) + 1);
            p = todo;
            continue;
        }
        if (rc < 0 && errno == ENOENT) {
            if (last && file) {
                rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                if (rc >= 0) close(rc);
            } else {
                rc = mkdirat(parent, name, 0755);
            }
            if (rc < 0 && errno == EEXIST) rc = 0;
        }
        int e = errno;
        close(parent);
        if (rc < 0) {
            errno = e;
            return -1;
        }
        size_t dl = strlen(done);
        if (dl + 1 + len >= sizeof done) goto toolong;
        done[dl] = '/';
        memcpy(done + dl + 1, name, len + 1);
    }
    return openat2_in_root(rootfd, done[0] ? done : "/", O_PATH);
toolong:
    errno = ENAMETOOLONG;
    return -1;
}

static const struct { const char *name; int clear; unsigned long flag; } mount_flags[] = {
    {"ro", 0, MS_RDONLY}, {"rw", 1, MS_RDONLY}, {"nosuid", 0, MS_NOSUID}, {"suid", 1, MS_NOSUID},
    {"nodev", 0, MS_NODEV}, {"dev", 1, MS_NODEV}, {"noexec", 0, MS_NOEXEC}, {"exec", 1, MS_NOEXEC},
    {"sync", 0, MS_SYNCHRONOUS}, {"async", 1, MS_SYNCHRONOUS}, {"dirsync", 0, MS_DIRSYNC},
    {"mand", 0, MS_MANDLOCK}, {"nomand", 1, MS_MANDLOCK}, {"noatime", 0, MS_NOATIME},
    {"atime", 1, MS_NOATIME}, {"nodiratime", 0, MS_NODIRATIME}, {"diratime", 1, MS_NODIRATIME},
    {"relatime", 0, MS_RELATIME}, {"norelatime", 1, MS_RELATIME},
    {"strictatime", 0, MS_STRICTATIME}, {"nostrictatime", 1, MS_STRICTATIME},
    {"bind", 0, MS_BIND}, {"rbind", 0, MS_BIND | MS_REC}, {"remount", 0, MS_REMOUNT},
};
static const struct { const char *name; unsigned long flag; } propagation_flags[] = {
    {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC}, {"shared", MS_SHARED},
    {"rshared", MS_SHARED | MS_REC}, {"slave", MS_SLAVE}, {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

struct mount_opts {
    unsigned long flags, propagation;
    char data[1024];
};

static void parse_options(char *opts, struct mount_opts *m) {
    m->flags = m->propagation = 0;
    m->data[0] = '\0';
    for (char *save, *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        int known = 0;
        for (size_t i = 0; i < sizeof mount_flags / sizeof mount_flags[0]; i++)
            if (!strcmp(o, mount_flags[i].name)) {
                if (mount_flags[i].clear) m->flags &= ~mount_flags[i].flag;
                else m->flags |= mount_flags[i].flag;
                known = 1;
            }
        for (size_t i = 0; i < sizeof propagation_flags / sizeof propagation_flags[0]; i++)
            if (!strcmp(o, propagation_flags[i].name)) {
                m->propagation |= propagation_flags[i].flag;
                known = 1;
            }
        if (!known) {
            size_t l = strlen(m->data);
            snprintf(m->data + l, sizeof m->data - l, "%s%s", l ? "," : "", o);
        }
    }
}

static void fdpath(int fd, char *out, size_t len) { snprintf(out, len, "/proc/self/fd/%d", fd); }

/* Flags of the mount at `path` that a bind remount must keep (the kernel refuses to clear
 * locked ones). */
static unsigned long kept_flags(const char *path) {
    struct statvfs sv;
    if (statvfs(path, &sv) < 0) return 0;
    unsigned long f = 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

/* A remount changes only the mount it names: the submounts a recursive bind brought along
 * (`src=/,dst=/host,ro` brings /boot, /home ...) get ro, nosuid, nodev and noexec here too. */
static int set_attrs_recursive(int fd, unsigned long flags) {
    struct mount_attr a = {0};
    if (flags & MS_RDONLY) a.attr_set |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID) a.attr_set |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV) a.attr_set |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC) a.attr_set |= MOUNT_ATTR_NOEXEC;
    if (!a.attr_set) return 0;
    return mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a);
}

/* cgroup v2 when the host has it unified, else a read-only tmpfs placeholder (v1 controllers
 * are not exposed inside containers). */
static int mount_cgroup(const char *target, unsigned long flags) {
    if (mount("cgroup2", target, "cgroup2", flags, NULL) == 0) return 0;
    return mount("tmpfs", target, "tmpfs", flags | MS_RDONLY, "mode=755");
}

static void do_mount(const struct spawn *s, int rootfd, const char *rec) {
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", rec);
    char *fields[4] = {0};
    char *p = copy;
    for (int i = 0; i < 4; i++) {
        fields[i] = p;
        char *tab = p ? strchr(p, '\t') : NULL;
        if (tab) *tab = '\0';
        p = tab ? tab + 1 : NULL;
    }
    const char *type = fields[0], *src = fields[1], *dst = fields[2];
    if (!type || !src || !dst || dst[0] != '/') child_fail(s, 1, "invalid mount record: %s", rec);
    struct mount_opts m;
    parse_options(fields[3] ? fields[3] : (char[]){""}, &m);
    int bind = (m.flags & MS_BIND) || !strcmp(type, "bind");
    int file = 0;
    if (bind) {
        struct stat st;
        if (stat(src, &st) < 0) child_fail(s, 1, "mount %s to %s: %s", src, dst, strerror(errno));
        file = !S_ISDIR(st.st_mode);
    }
    int fd = mkpath_in_root(rootfd, dst, file);
    if (fd < 0) child_fail(s, 1, "mount %s to %s: create destination: %s", src, dst, strerror(errno));
    char target[64];
    fdpath(fd, target, sizeof target);
    int rc;
    unsigned long rest = m.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (bind) {
        rc = mount(src, target, NULL, MS_BIND | (m.flags & MS_REC), NULL);
    } else if (!strcmp(type, "cgroup") || !strcmp(type, "cgroup2")) {
        rc = mount_cgroup(target, rest);
    } else {
        rc = mount(src, target, type, rest, m.data[0] ? m.data : NULL);
    }
    if (rc < 0) child_fail(s, 1, "mount %s to %s: %s", src, dst, strerror(errno));
    close(fd);
    /* Re-open: the old fd names the directory under the new mount, not the mount itself. */
    if ((bind && rest) || m.propagation) {
        fd = openat2_in_root(rootfd, dst, O_PATH);
        if (fd < 0) child_fail(s, 1, "mount %s to %s: reopen: %s", src, dst, strerror(errno));
        fdpath(fd, target, sizeof target);
        if (bind && rest && mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | rest | kept_flags(target), NULL) < 0)
            child_fail(s, 1, "remount %s: %s", dst, strerror(errno));
        if (bind && (m.flags & MS_REC) && set_attrs_recursive(fd, rest) < 0)
            child_fail(s, 1, "remount %s and its submounts: %s", dst, strerror(errno));
        if (m.propagation && mount(NULL, target, NULL, m.propagation, NULL) < 0)
            child_fail(s, 1, "set propagation of %s: %s", dst, strerror(errno));
        close(fd);
    }
}

static const struct { const char *name; unsigned maj, min; } devices[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* The standard device nodes and symlinks in a fresh /dev tmpfs. */
static void populate_dev(const struct spawn *s, int rootfd) {
    int dev = openat2_in_root(rootfd, "/dev", O_DIRECTORY | O_RDONLY);
    if (dev < 0) child_fail(s, 1, "open /dev in rootfs: %s", strerror(errno));
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        const char *n = devices[i].name;
        if (mknodat(dev, n, S_IFCHR | 0666, makedev(devices[i].maj, devices[i].min)) == 0) {
            fchmodat(dev, n, 0666, 0);
            continue;
        }
        if (errno == EEXIST) continue;
        /* No mknod (e.g. in a user namespace): bind the host's node. */
        int fd = openat(dev, n, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) child_fail(s, 1, "create /dev/%s: %s", n, strerror(errno));
        char host[64], target[64];
        snprintf(host, sizeof host, "/dev/%s", n);
        fdpath(fd, target, sizeof target);
        if (mount(host, target, NULL, MS_BIND, NULL) < 0)
            child_fail(s, 1, "bind %s: %s", host, strerror(errno));
        close(fd);
    }
    static const char *links[][2] = {
        {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
        {"stderr", "/proc/self/fd/2"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlinkat(links[i][1], dev, links[i][0]) < 0 && errno != EEXIST)
            child_fail(s, 1, "symlink /dev/%s: %s", links[i][0], strerror(errno));
    struct stat st;
    if (fstatat(dev, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        unlinkat(dev, "ptmx", 0);
        if (symlinkat("pts/ptmx", dev, "ptmx") < 0) child_fail(s, 1, "symlink /dev/ptmx: %s", strerror(errno));
    }
    close(dev);
}

/* `device` records (--device): `type major minor mode uid gid path`, each node made beneath
 * the rootfs. An existing entry is kept as it is, as runc keeps it: nothing here may follow
 * a link of the image's to the host. */
static void make_device_nodes(const struct spawn *s, int rootfd) {
    const struct strv *l = &s->task->devices;
    for (size_t i = 0; i < l->n; i++) {
        char type, path[4096];
        unsigned maj, min, mode, uid, gid;
        if (sscanf(l->v[i], "%c %u %u %o %u %u %4095[^\n]", &type, &maj, &min, &mode, &uid, &gid, path) != 7 ||
            (type != 'c' && type != 'b') || path[0] != '/')
            child_fail(s, 1, "invalid device record: %s", l->v[i]);
        char *slash = strrchr(path, '/');
        const char *name = slash + 1;
        if (!*name || !strcmp(name, ".") || !strcmp(name, "..")) child_fail(s, 1, "invalid device path %s", path);
        *slash = '\0';
        int dir = mkpath_in_root(rootfd, path[0] ? path : "/", 0);
        if (dir < 0) child_fail(s, 1, "device %s/%s: create its directory: %s", path, name, strerror(errno));
        if (mknodat(dir, name, (type == 'c' ? S_IFCHR : S_IFBLK) | (mode & 07777), makedev(maj, min)) == 0) {
            if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 || fchmodat(dir, name, mode & 07777, 0) < 0)
                child_fail(s, 1, "device %s/%s: %s", path, name, strerror(errno));
        } else if (errno != EEXIST) {
            child_fail(s, 1, "device %s/%s: mknod: %s", path, name, strerror(errno));
        }
        close(dir);
    }
}

/* As runc: pivot_root(".", ".") stacks the old root over the new one; detach it. */
static void pivot(const struct spawn *s, const char *rootfs) {
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0) child_fail(s, 1, "open rootfs %s: %s", rootfs, strerror(errno));
    if (fchdir(newroot) < 0) child_fail(s, 1, "chdir rootfs: %s", strerror(errno));
    if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(s, 1, "pivot_root %s: %s", rootfs, strerror(errno));
    if (fchdir(oldroot) < 0) child_fail(s, 1, "chdir old root: %s", strerror(errno));
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        child_fail(s, 1, "make old root rslave: %s", strerror(errno));
    if (umount2(".", MNT_DETACH) < 0) child_fail(s, 1, "unmount old root: %s", strerror(errno));
    if (chdir("/") < 0) child_fail(s, 1, "chdir /: %s", strerror(errno));
    close(oldroot);
    close(newroot);
}

static void mask_paths(const struct spawn *s) {
    const struct strv *l = &s->task->masked;
    for (size_t i = 0; i < l->n; i++) {
        struct stat st;
        if (stat(l->v[i], &st) < 0) {
            if (errno == ENOENT) continue;
            child_fail(s, 1, "mask %s: %s", l->v[i], strerror(errno));
        }
        int rc = S_ISDIR(st.st_mode) ? mount("tmpfs", l->v[i], "tmpfs", MS_RDONLY, NULL)
                                     : mount("/dev/null", l->v[i], NULL, MS_BIND, NULL);
        if (rc < 0) child_fail(s, 1, "mask %s: %s", l->v[i], strerror(errno));
    }
}

static void readonly_paths(const struct spawn *s) {
    const struct strv *l = &s->task->readonly;
    for (size_t i = 0; i < l->n; i++) {
        const char *p = l->v[i];
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT) continue;
            child_fail(s, 1, "readonly %s: %s", p, strerror(errno));
        }
        int fd = open(p, O_PATH | O_CLOEXEC);
        if (fd < 0 || set_attrs_recursive(fd, MS_RDONLY) < 0)
            child_fail(s, 1, "remount %s read-only: %s", p, strerror(errno));
        close(fd);
    }
}

void setup_rootfs(const struct spawn *s) {
    const struct conf *t = s->task;
    if (!conf_has_ns(t, "mount")) {
        /* Without a mount namespace the init can only be chrooted. */
        if (chroot(t->rootfs) < 0 || chdir("/") < 0) child_fail(s, 1, "chroot %s: %s", t->rootfs, strerror(errno));
        return;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        child_fail(s, 1, "make / rprivate: %s", strerror(errno));
    if (mount(t->rootfs, t->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        child_fail(s, 1, "bind rootfs %s: %s", t->rootfs, strerror(errno));
    int rootfd = open(t->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) child_fail(s, 1, "open rootfs %s: %s", t->rootfs, strerror(errno));
    /* A read-only rootfs is read-only below the mounts it brought along (a host directory's
     * submounts) too: all of it now, its top writable again until the container's own mounts
     * have their destinations (the top is remounted read-only last). */
    struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
    if (t->readonly_rootfs && (set_attrs_recursive(rootfd, MS_RDONLY) < 0 ||
                               mount_setattr(rootfd, "", AT_EMPTY_PATH, &rw, sizeof rw) < 0))
        child_fail(s, 1, "make rootfs %s read-only: %s", t->rootfs, strerror(errno));
    int dev_tmpfs = 0;
    for (size_t i = 0; i < t->mounts.n; i++) {
        do_mount(s, rootfd, t->mounts.v[i]);
        const char *rec = t->mounts.v[i];
        if (!strncmp(rec, "tmpfs\t", 6) && strstr(rec, "\t/dev\t")) dev_tmpfs = 1;
    }
    if (dev_tmpfs) populate_dev(s, rootfd);
    make_device_nodes(s, rootfd);
    close(rootfd);
    pivot(s, t->rootfs);
    mask_paths(s);
    readonly_paths(s);
    if (t->readonly_rootfs &&
        mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | kept_flags("/"), NULL) < 0)
        child_fail(s, 1, "remount rootfs read-only: %s", strerror(errno));
}
