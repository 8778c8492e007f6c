/* berth-shim: supervises one task. */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    fprintf(stderr, "berth-shim: not started by berth\n");
    return 2;
}
