#include "berth_sqlite.h"
#include <sqlite3.h>
#include <stddef.h>

int berth_sqlite_clear_authorizer(void *connection) {
    return sqlite3_set_authorizer((sqlite3 *)connection, NULL, NULL);
}

static int remember_wal_frames(void *frames, sqlite3 *db, const char *name, int count) {
    (void)db; (void)name;
    __atomic_store_n((int *)frames, count, __ATOMIC_RELAXED);
    return SQLITE_OK;
}

void berth_sqlite_defer_checkpoints(void *connection, int *frames) {
    sqlite3_wal_hook((sqlite3 *)connection, remember_wal_frames, frames);
}

int berth_sqlite_wal_frames(const int *frames) {
    return __atomic_load_n(frames, __ATOMIC_RELAXED);
}
