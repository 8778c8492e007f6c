/* How a child (a new init or exec'd process, before its execve) reports that it cannot go on:
 * "<exit code>\t<message>" on its CLOEXEC error pipe, which the shim reads back and passes on
 * to berth. Apart from the set-up steps that use it (spawn.c, rootfs.c, security.c), so that
 * none of them depends on another for it. */
#include "shim.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void child_fail(const struct spawn *s, int code, const char *fmt, ...) {
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "%d\t", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    write_all(s->err_fd, msg, strlen(msg));
    _exit(code);
}
