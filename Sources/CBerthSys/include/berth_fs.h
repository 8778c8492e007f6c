#ifndef BERTH_FS_H
#define BERTH_FS_H
/* File system calls and constants that Swift's Glibc module does not export
 * (GNU-only flags, xattr calls, function-like macros). */
#include <stddef.h>
#include <sys/types.h>

#define BERTH_O_PATH 010000000

dev_t berth_makedev(unsigned int major, unsigned int minor);
unsigned int berth_major(dev_t dev);
unsigned int berth_minor(dev_t dev);
int berth_syncfs(int fd);
int berth_lsetxattr(const char *path, const char *name, const void *value, size_t size);
int berth_fsetxattr(int fd, const char *name, const void *value, size_t size);
ssize_t berth_llistxattr(const char *path, char *list, size_t size);
int berth_lremovexattr(const char *path, const char *name);
ssize_t berth_lgetxattr(const char *path, const char *name, void *value, size_t size);
/* chmod of `name` in `dirfd` that never follows a symlink: the entry is pinned with
 * O_PATH | O_NOFOLLOW and changed through its /proc/self/fd link, which leads to that inode
 * and no further. A symlink is left as it is (it has no mode of its own): returns 1 for
 * one, 0 when the mode was set, -1 with errno set on failure. */
int berth_lchmodat(int dirfd, const char *name, mode_t mode);

#endif
