#ifndef BERTH_MOUNT_H
#define BERTH_MOUNT_H
/* Mounting through the new mount API (fsopen/fsconfig/fsmount/move_mount), so an
 * overlay can take any number of lower directories: each goes in with its own
 * "lowerdir+" call instead of one option string bounded by the page size. */
#include <stddef.h>

/* Mount attributes for berth_fsmount (MOUNT_ATTR_RDONLY, _NOSUID, _NODEV, _NOEXEC). */
#define BERTH_MOUNT_RDONLY 0x1u
#define BERTH_MOUNT_NOSUID 0x2u
#define BERTH_MOUNT_NODEV 0x4u
#define BERTH_MOUNT_NOEXEC 0x8u

/* Creates a mount of `fstype` from `source` at `target`. keys[i]/values[i] are the
 * file system parameters in order (values[i] == NULL sets a flag). attrs are the
 * mount's BERTH_MOUNT_* attributes. On failure returns -1 with errno set and, when the
 * kernel logged one, its message in err (always NUL-terminated). */
int berth_fsmount(const char *fstype, const char *source,
                  const char *const *keys, const char *const *values, size_t count,
                  unsigned attrs, const char *target, char *err, size_t errlen);

#endif
