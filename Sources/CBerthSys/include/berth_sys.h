#ifndef BERTH_SYS_H
#define BERTH_SYS_H
/* Thin wrappers over syscalls and macros Swift cannot call directly
 * (variadic ioctl, raw syscalls without a glibc wrapper). Each helper
 * returns -1 and leaves errno set on failure, like the call it wraps. */
#include <stdint.h>
#include <sys/types.h>

/* openat2(2) with RESOLVE_* flags; -1/ENOSYS on kernels without it. */
int berth_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
#define BERTH_RESOLVE_NO_XDEV      0x01
#define BERTH_RESOLVE_NO_MAGICLINKS 0x02
#define BERTH_RESOLVE_NO_SYMLINKS  0x04
#define BERTH_RESOLVE_BENEATH      0x08
#define BERTH_RESOLVE_IN_ROOT      0x10

/* Terminal window size on a tty fd. */
int berth_set_winsize(int fd, unsigned short rows, unsigned short cols);
int berth_get_winsize(int fd, unsigned short *rows, unsigned short *cols);

/* Whether fd refers to a terminal with a usable size. */
int berth_isatty(int fd);

#endif
