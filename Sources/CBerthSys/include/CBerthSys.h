/* Umbrella header of CBerthSys: list every header here, so adding one changes this file and
 * rebuilds the module instead of leaving a stale cached copy. */
#include "berth_sys.h"
#include "berth_fs.h"
#include "berth_mount.h"
#include "berth_runtime.h"
#include "berth_tty.h"
#include "berth_writeback.h"
#include "berth_sqlite.h"
#include "berth_signal.h"
#include "berth_devices.h"
