#define _GNU_SOURCE
#include "berth_fs.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

_Static_assert(BERTH_O_PATH == O_PATH, "O_PATH value");

dev_t berth_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
unsigned int berth_major(dev_t dev) { return major(dev); }
unsigned int berth_minor(dev_t dev) { return minor(dev); }
int berth_syncfs(int fd) { return syncfs(fd); }
int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size) {
    return lsetxattr(path, name, value, size, 0);
}
int berth_fsetxattr(int fd, const char *name, const void *value, size_t size) {
    return fsetxattr(fd, name, value, size, 0);
}
ssize_t berth_llistxattr(const char *path, char *list, size_t size) { return llistxattr(path, list, size); }
int berth_lremovexattr(const char *path, const char *name) { return lremovexattr(path, name); }
ssize_t berth_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return lgetxattr(path, name, value, size);
}

int berth_lchmodat(int dirfd, const char *name, mode_t mode) {
    int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    int rc = fstat(fd, &st);
    if (rc == 0 && S_ISLNK(st.st_mode)) {
        rc = 1;
    } else if (rc == 0) {
        char link[32];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        rc = chmod(link, mode);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
