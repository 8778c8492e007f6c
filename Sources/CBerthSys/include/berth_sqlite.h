#ifndef BERTH_SQLITE_H
#define BERTH_SQLITE_H

/* Removes the statement authorizer of an SQLite connection (a `sqlite3 *`). */
int berth_sqlite_clear_authorizer(void *connection);

#endif
