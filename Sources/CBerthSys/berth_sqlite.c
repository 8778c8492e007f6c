#include "berth_sqlite.h"
#include <sqlite3.h>
#include <stddef.h>

int berth_sqlite_clear_authorizer(void *connection) {
    return sqlite3_set_authorizer((sqlite3 *)connection, NULL, NULL);
}
