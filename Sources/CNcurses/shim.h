#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <wchar.h>
#include <ncursesw/curses.h>
#include <ncursesw/panel.h>

/* Macros and globals Swift cannot import (or cannot import safely under strict concurrency). */
static inline int berth_color_pair(int n) { return COLOR_PAIR(n); }
static inline int berth_pair_number(int attrs) { return PAIR_NUMBER(attrs); }
static inline WINDOW *berth_stdscr(void) { return stdscr; }
static inline int berth_lines(void) { return LINES; }
static inline int berth_cols(void) { return COLS; }
static inline int berth_colors(void) { return COLORS; }
static inline int berth_color_pairs(void) { return COLOR_PAIRS; }
static inline int berth_key_f(int n) { return KEY_F(n); }

/* Attribute bits the UI uses, as one small enum-like set of getters. */
static inline attr_t berth_a_bold(void) { return A_BOLD; }
static inline attr_t berth_a_underline(void) { return A_UNDERLINE; }
static inline attr_t berth_a_reverse(void) { return A_REVERSE; }
static inline attr_t berth_a_italic(void) { return A_ITALIC; }
static inline attr_t berth_a_blink(void) { return A_BLINK; }
static inline attr_t berth_a_dim(void) { return A_DIM; }

/* Mouse masks. */
static inline mmask_t berth_mouse_all(void) { return ALL_MOUSE_EVENTS | REPORT_MOUSE_POSITION; }
static inline mmask_t berth_button1_pressed(void) { return BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON1_RELEASED; }
static inline mmask_t berth_button4_pressed(void) { return BUTTON4_PRESSED; }
#ifdef BUTTON5_PRESSED
static inline mmask_t berth_button5_pressed(void) { return BUTTON5_PRESSED; }
#else
static inline mmask_t berth_button5_pressed(void) { return 0; }
#endif

/* One cell with an extended colour pair (pair numbers above 255 need the opts pointer). */
static inline int berth_setcchar(cchar_t *cell, const wchar_t *wch, attr_t attrs, int pair) {
    return setcchar(cell, wch, attrs, (short)(pair > 32767 ? 0 : pair), &pair);
}

/* Writes one wide string at (y, x) with attributes and an extended pair, clipped by the caller. */
static inline int berth_put(WINDOW *w, int y, int x, const wchar_t *s, int n, attr_t attrs, int pair) {
    if (wmove(w, y, x) == ERR) return ERR;
    wattr_set(w, attrs, (short)(pair > 32767 ? 0 : pair), &pair);
    int rc = waddnwstr(w, s, n);
    wattr_set(w, A_NORMAL, 0, NULL);
    return rc;
}

/* Display width of a character (wchar.h declares it only under _XOPEN_SOURCE). */
int wcwidth(wchar_t c);
static inline int berth_wcwidth(wchar_t c) { return wcwidth(c); }
