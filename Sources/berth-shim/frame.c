/* The socket protocol's framing (docs/shim-protocol.md): a type byte, the payload's length
 * (u32, little-endian), the payload. Pure functions over bytes, kept apart from the event
 * loop so that they can be fuzzed on their own. */
#include "shim.h"

void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8), p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int frame_next(const unsigned char *buf, size_t len, struct frame *f) {
    if (len < FRAME_HEADER) return 0;
    uint32_t n = get32(buf + 1);
    if (n > MAX_FRAME) return -1;
    if (len - FRAME_HEADER < n) return 0;
    f->type = buf[0];
    f->payload = buf + FRAME_HEADER;
    f->len = n;
    f->size = FRAME_HEADER + (size_t)n;
    return 1;
}

size_t frame_exec_id(const unsigned char *p, size_t len) {
    if (len < 1 || len - 1 < (size_t)p[0]) return 0;
    return 1 + (size_t)p[0];
}
