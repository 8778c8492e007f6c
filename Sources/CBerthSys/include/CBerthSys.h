/* Umbrella header of CBerthSys, the system calls Swift cannot reach directly that more than one
 * module needs: list every header here, so adding one changes this file and rebuilds the module
 * instead of leaving a stale cached copy. */
#include "berth_sys.h"
#include "berth_fs.h"
#include "berth_signal.h"
