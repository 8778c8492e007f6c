/* shim.conf (conf_parse in Sources/berth-shim/conf.c): any bytes parse or fail with an error
 * that names shim.conf; a parsed conf has a command, an absolute cwd, and every string and
 * list it holds lies inside the buffer and is NUL-terminated there. The buffer is exactly the
 * input's size, so AddressSanitizer catches any read past it. */
#include "shim.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "finding: %s\n", what);
        abort();
    }
}

static int inside(const struct conf *c, size_t len, const char *s) {
    return s >= c->buf && s < c->buf + len && memchr(s, '\0', (size_t)(c->buf + len - s)) != NULL;
}

static void check_list(const struct conf *c, size_t len, const struct strv *l) {
    for (size_t i = 0; i < l->n; i++) check(inside(c, len, l->v[i]), "a list entry lies outside the buffer");
    check(l->n == 0 || l->v[l->n] == NULL, "a list is not NULL-terminated");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    struct conf c;
    char err[1200] = "";
    if (conf_parse(buf, size, &c, err, sizeof err) < 0) {
        check(strncmp(err, "shim.conf: ", 11) == 0, "error does not name shim.conf");
    } else {
        check(c.args.n > 0 && c.cwd[0] == '/', "parsed without a command or with a relative cwd");
        const char *strings[] = {c.rootfs, c.hostname, c.exec_id, c.seccomp_default, c.seccomp_cache};
        for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
            check(!strings[i] || inside(&c, size, strings[i]), "a value lies outside the buffer");
        check(!strcmp(c.cwd, "/") || inside(&c, size, c.cwd), "cwd lies outside the buffer");
        const struct strv *lists[] = {&c.args, &c.env, &c.gids, &c.nsnew, &c.cgprocs, &c.mounts,
                                      &c.masked, &c.readonly, &c.rlimits, &c.caps, &c.seccomp};
        for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) check_list(&c, size, lists[i]);
    }
    conf_free(&c);
    return 0;
}
