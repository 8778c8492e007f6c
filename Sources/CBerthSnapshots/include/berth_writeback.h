#ifndef BERTH_WRITEBACK_H
#define BERTH_WRITEBACK_H

/// Starts writeback of a file's dirty pages without waiting for it
/// (sync_file_range with SYNC_FILE_RANGE_WRITE): a later syncfs or fsync has less to do.
int berth_start_writeback(int fd);

#endif
