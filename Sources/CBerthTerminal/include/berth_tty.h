#ifndef BERTH_TTY_H
#define BERTH_TTY_H
#include <sys/types.h>

/* Starts argv[0] (searched in PATH) on a new pty of rows x cols, as the session leader with the
 * pty as its controlling terminal. Returns the child's pid and stores the master fd (CLOEXEC,
 * non-blocking) in *master; -1 with errno set on failure (an exec failure is reported over a
 * CLOEXEC pipe, so the caller sees ENOENT rather than a child that exits 127). */
pid_t berth_pty_spawn(char *const argv[], char *const envp[], unsigned short rows, unsigned short cols, int *master);

/* Signals for a terminal UI: SIGWINCH, and SIGTERM/SIGHUP/SIGINT (quit, so the terminal is
 * restored). The handler (whichever thread takes the signal) sets a flag and writes one byte
 * to wake_fd, so a loop blocked in poll() on it wakes up. */
int berth_watch_sigwinch(int wake_fd);
/* Returns 1 and clears the flag when a SIGWINCH arrived since the last call. */
int berth_sigwinch_take(void);
/* 1 once a SIGTERM, SIGHUP or SIGINT arrived. */
int berth_quit_requested(void);

/* Raw mode on a tty fd (cfmakeraw); the previous settings go to *saved (opaque, 128 bytes). */
int berth_tty_raw(int fd, void *saved, unsigned long saved_size);
int berth_tty_restore(int fd, const void *saved);

#endif
