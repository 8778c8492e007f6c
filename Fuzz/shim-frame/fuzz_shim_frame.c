/* The shim's socket protocol (frame_next and frame_exec_id in Sources/berth-shim/frame.c,
 * and conf_parse for exec payloads): a byte stream from a client splits into frames the way
 * the event loop reads it, each frame lies inside the bytes received, an over-long frame is
 * refused, and every payload's exec-id prefix and exec conf parse within the payload. The
 * stream arrives in pieces (the first byte picks their size), as reads from a socket do. */
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

/* What the event loop does with a payload, minus the effects: the exec-id prefix of
 * exec-stdin and exec-resize, the conf of exec (in a buffer of the payload's size). */
static void decode(const struct frame *f) {
    size_t used = frame_exec_id(f->payload, f->len);
    check(used <= f->len, "exec-id prefix longer than its payload");
    char *buf = malloc(f->len ? f->len : 1);
    if (!buf) return;
    memcpy(buf, f->payload, f->len);
    struct conf c;
    char err[1200];
    conf_parse(buf, f->len, &c, err, sizeof err);
    conf_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t piece = (size_t)data[0] + 1;
    data++, size--;
    unsigned char *in = NULL; /* what has arrived and is not yet handled */
    size_t len = 0;
    for (size_t at = 0; at < size;) {
        size_t n = size - at < piece ? size - at : piece;
        unsigned char *grown = realloc(in, len + n);
        if (!grown) break;
        in = grown;
        memcpy(in + len, data + at, n);
        len += n, at += n;
        struct frame f;
        int r;
        while ((r = frame_next(in, len, &f)) > 0) {
            check(f.size == FRAME_HEADER + f.len && f.size <= len && f.payload == in + FRAME_HEADER, "frame outside the bytes received");
            decode(&f);
            memmove(in, in + f.size, len - f.size);
            len -= f.size;
        }
        if (r < 0) {
            check(len >= FRAME_HEADER && get32(in + 1) > MAX_FRAME, "refused a frame of an allowed length");
            break;
        }
        check(len < FRAME_HEADER || get32(in + 1) > len - FRAME_HEADER, "a whole frame was left waiting");
    }
    free(in);
    return 0;
}
