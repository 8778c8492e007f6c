#ifndef BERTH_SIGNAL_H
#define BERTH_SIGNAL_H

/* Blocks `signals` in the calling thread (and the threads it starts later) and returns a
 * non-blocking signalfd that receives them, or -1. */
int berth_signalfd_for(const int *signals, int count);

/* The next signal waiting on a signalfd, or -1 when none is. */
int berth_signalfd_next(int fd);

#endif
