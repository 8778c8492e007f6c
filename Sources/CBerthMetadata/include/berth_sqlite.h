#ifndef BERTH_SQLITE_H
#define BERTH_SQLITE_H

/* Removes the statement authorizer of an SQLite connection (a `sqlite3 *`). */
int berth_sqlite_clear_authorizer(void *connection);

/* Stops the connection from checkpointing the write-ahead log when a commit leaves it long
 * (SQLite's wal_autocheckpoint, which the hook replaces): each commit stores the log's length,
 * in frames, in `*frames` instead, so that its owner checkpoints when it has time. */
void berth_sqlite_defer_checkpoints(void *connection, int *frames);

/* `*frames` as the last commit left it (0 before the first). */
int berth_sqlite_wal_frames(const int *frames);

#endif
