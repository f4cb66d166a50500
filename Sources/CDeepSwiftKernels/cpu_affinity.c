// The number of CPUs this process may run on. Launchers restrict it (`mpirun` binds each rank to
// a core by default, `taskset`, container CPU sets); the machine's core count would then start
// more threads than cores, and spinning threads on one core slow each other down many times over.
#define _GNU_SOURCE
#include "deepswift_kernels.h"
#include <sched.h>

int ds_affinity_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}
