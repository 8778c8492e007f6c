#define _GNU_SOURCE
#include "berth_runtime.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int berth_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

long berth_fs_magic(const char *path) {
    struct statfs fs;
    if (statfs(path, &fs) != 0) return -1;
    return (long)fs.f_type;
}

int berth_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int berth_open_path_dir(const char *path) { return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC); }

long long berth_mount_id(const char *path) {
#ifdef STATX_MNT_ID
    struct statx st;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &st) != 0) return -1;
    if (!(st.stx_mask & STATX_MNT_ID)) { errno = ENOSYS; return -1; }
    return (long long)st.stx_mnt_id;
#else
    (void)path;
    errno = ENOSYS;
    return -1;
#endif
}

int berth_superblock_alive(unsigned long long dev) {
#ifdef SYS_ustat
    /* Room for struct ustat, which glibc no longer declares. The kernel decodes the device
     * number from the 32-bit form stat's st_dev has for every anonymous device. */
    long buf[8];
    if (dev > 0xffffffffULL) return 1;
    if (syscall(SYS_ustat, (unsigned)dev, buf) == 0) return 1;
    return errno == EINVAL ? 0 : 1;
#else
    (void)dev;
    return 1;
#endif
}

int berth_wait_exit(int pid, int timeout_ms) {
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) return errno == ESRCH ? 1 : -1;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r;
    do r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    errno = e;
    return r < 0 ? -1 : r > 0;
}
