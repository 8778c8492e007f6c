#ifndef BERTH_RUNTIME_H
#define BERTH_RUNTIME_H
/* Helpers for the task runtime: syscalls whose glibc wrappers or constants Swift cannot see. */

/* renameat2(RENAME_NOREPLACE) between two paths; -1/EEXIST when `to` exists. */
int berth_rename_noreplace(const char *from, const char *to);

/* The f_type of the file system holding path (statfs), or -1. */
long berth_fs_magic(const char *path);

/* pipe2(O_CLOEXEC). */
int berth_pipe_cloexec(int fds[2]);

/* open(path, O_PATH|O_DIRECTORY|O_CLOEXEC): a handle for *at() calls and /proc/self/fd paths. */
int berth_open_path_dir(const char *path);

/* The id of the mount holding path (statx STATX_MNT_ID, no symlink follow), or -1. */
long long berth_mount_id(const char *path);

/* Whether the file system whose device number is `dev` (from stat) is still alive anywhere:
 * mounted in some mount namespace or held open, after this process unmounted its own mount
 * of it. ustat(2) finds live superblocks by device number; 1 when it cannot tell. */
int berth_superblock_alive(unsigned long long dev);

/* Waits up to timeout_ms for process pid to exit (a pidfd polled: woken at the exit, not by a
 * timer). 1 when it has exited or is gone, 0 on timeout, -1 with errno when it cannot tell. */
int berth_wait_exit(int pid, int timeout_ms);

#endif
