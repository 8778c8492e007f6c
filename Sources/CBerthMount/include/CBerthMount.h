/* Umbrella header of CBerthMount: list every header here, so adding one changes this file and
 * rebuilds the module instead of leaving a stale cached copy. */
#include "berth_mount.h"
