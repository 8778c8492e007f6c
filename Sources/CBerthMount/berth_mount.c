#define _GNU_SOURCE
#include "berth_mount.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

_Static_assert(BERTH_MOUNT_RDONLY == MOUNT_ATTR_RDONLY && BERTH_MOUNT_NOSUID == MOUNT_ATTR_NOSUID &&
                   BERTH_MOUNT_NODEV == MOUNT_ATTR_NODEV && BERTH_MOUNT_NOEXEC == MOUNT_ATTR_NOEXEC,
               "BERTH_MOUNT_* are the kernel's MOUNT_ATTR_*");

/* Copies the kernel's messages for the fs context ("e overlayfs: ...") into err. */
static void drain_log(int fsfd, char *err, size_t errlen) {
    char buf[512];
    size_t used = strlen(err);
    for (;;) {
        ssize_t n = read(fsfd, buf, sizeof buf - 1);
        if (n <= 0) break;
        buf[n] = 0;
        if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
        const char *msg = buf;
        if ((msg[0] == 'e' || msg[0] == 'w' || msg[0] == 'i') && msg[1] == ' ') msg += 2;
        size_t len = strlen(msg);
        if (used + len + 3 >= errlen) break;
        if (used > 0) { memcpy(err + used, "; ", 2); used += 2; }
        memcpy(err + used, msg, len);
        used += len;
        err[used] = 0;
    }
}

int berth_fsmount(const char *fstype, const char *source,
                  const char *const *keys, const char *const *values, size_t count,
                  unsigned attrs, const char *target, char *err, size_t errlen) {
    if (errlen > 0) err[0] = 0;
    int fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
    if (fsfd < 0) return -1;
    int saved;
    if (source && fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0) goto fail;
    for (size_t i = 0; i < count; i++) {
        int rc = values[i] ? fsconfig(fsfd, FSCONFIG_SET_STRING, keys[i], values[i], 0)
                           : fsconfig(fsfd, FSCONFIG_SET_FLAG, keys[i], NULL, 0);
        if (rc < 0) goto fail;
    }
    if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) goto fail;
    int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
    if (mfd < 0) goto fail;
    if (move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
        saved = errno;
        close(mfd);
        close(fsfd);
        errno = saved;
        return -1;
    }
    close(mfd);
    close(fsfd);
    return 0;
fail:
    saved = errno;
    if (errlen > 0) drain_log(fsfd, err, errlen);
    close(fsfd);
    errno = saved;
    return -1;
}
