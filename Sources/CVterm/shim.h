#include <vterm.h>

/* Packs a cell's attribute bit-fields into flags: 1 bold, 2 underline, 4 italic, 8 blink,
   16 reverse, 32 strike. */
static inline unsigned berth_vterm_cell_flags(const VTermScreenCell *c) {
    return (c->attrs.bold ? 1u : 0u) | (c->attrs.underline ? 2u : 0u) | (c->attrs.italic ? 4u : 0u) |
           (c->attrs.blink ? 8u : 0u) | (c->attrs.reverse ? 16u : 0u) | (c->attrs.strike ? 32u : 0u);
}

/* A colour as one int: -1 the terminal default, 0...255 a palette index, 0x1000000 | rgb. */
static inline int berth_vterm_color(const VTermColor *col, int foreground) {
    if (foreground ? VTERM_COLOR_IS_DEFAULT_FG(col) : VTERM_COLOR_IS_DEFAULT_BG(col)) return -1;
    if (VTERM_COLOR_IS_INDEXED(col)) return col->indexed.idx;
    return 0x1000000 | (col->rgb.red << 16) | (col->rgb.green << 8) | col->rgb.blue;
}

static inline int berth_vterm_cell_fg(const VTermScreenCell *c) { return berth_vterm_color(&c->fg, 1); }
static inline int berth_vterm_cell_bg(const VTermScreenCell *c) { return berth_vterm_color(&c->bg, 0); }
