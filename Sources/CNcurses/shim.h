#define _XOPEN_SOURCE_EXTENDED 1
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <ncursesw/curses.h>
#include <ncursesw/panel.h>

/* Macros Swift cannot import. */
static inline int berth_color_pair(int n) { return COLOR_PAIR(n); }
static inline int berth_pair_number(int attrs) { return PAIR_NUMBER(attrs); }
