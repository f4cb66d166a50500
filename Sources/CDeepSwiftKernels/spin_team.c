// A small team of worker threads for short, frequent parallel regions (one per time step of a
// recurrent layer: ~100 µs of work each). Waking a sleeping thread costs tens of microseconds on
// a virtual machine, so after a job the workers spin for a while (~0.2 ms) before they sleep.
#include "deepswift_kernels.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define PAUSE() _mm_pause()
#else
#define PAUSE() ((void)0)
#endif

#define MAX_WORKERS 63
#define SPIN_ROUNDS (1 << 12)

static pthread_mutex_t team_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t team_wake = PTHREAD_COND_INITIALIZER;
static _Atomic uint64_t generation = 0;
static _Atomic long remaining = 0;
static _Atomic int sleepers = 0;
static _Atomic int busy = 0;
static _Atomic int resting = 0;
static long worker_count = 0;          // guarded by team_lock (grows only)
static ds_team_task job_fn;
static void *job_ctx;
static long job_parts;
// The generation each worker has already seen when it starts: created before the job that needs
// it is published, a worker must not mistake that job for an old one.
static uint64_t start_generation[MAX_WORKERS];

static void *worker_main(void *arg) {
    const long index = (long)(intptr_t)arg;   // runs part index + 1
    uint64_t seen = start_generation[index];
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&generation, memory_order_acquire) == seen && spins < SPIN_ROUNDS &&
               !atomic_load_explicit(&resting, memory_order_relaxed)) { PAUSE(); spins++; }
        if (atomic_load_explicit(&generation, memory_order_acquire) == seen) {
            pthread_mutex_lock(&team_lock);
            atomic_fetch_add(&sleepers, 1);
            while (atomic_load(&generation) == seen) pthread_cond_wait(&team_wake, &team_lock);
            atomic_fetch_sub(&sleepers, 1);
            pthread_mutex_unlock(&team_lock);
        }
        seen = atomic_load_explicit(&generation, memory_order_acquire);
        if (index + 1 < job_parts) {
            job_fn(job_ctx, index + 1, job_parts);
            atomic_fetch_sub_explicit(&remaining, 1, memory_order_release);
        }
    }
    return NULL;
}

static int ensure_workers(long needed) {
    if (needed > MAX_WORKERS) needed = MAX_WORKERS;
    pthread_mutex_lock(&team_lock);
    while (worker_count < needed) {
        pthread_t thread;
        pthread_attr_t attr;
        start_generation[worker_count] = atomic_load(&generation);
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, worker_main, (void *)(intptr_t)worker_count);
        pthread_attr_destroy(&attr);
        if (failed) break;
        worker_count++;
    }
    long have = worker_count;
    pthread_mutex_unlock(&team_lock);
    return have >= needed;
}

void ds_team_run(ds_team_task fn, void *ctx, long parts) {
    if (parts <= 1) { if (parts == 1) fn(ctx, 0, 1); return; }
    int expected = 0;
    // A nested or concurrent call (or no threads) runs every part on the calling thread.
    if (!atomic_compare_exchange_strong(&busy, &expected, 1) || !ensure_workers(parts - 1)) {
        if (expected == 0) atomic_store(&busy, 0);
        for (long p = 0; p < parts; p++) fn(ctx, p, parts);
        return;
    }
    atomic_store_explicit(&resting, 0, memory_order_relaxed);
    job_fn = fn;
    job_ctx = ctx;
    job_parts = parts;
    atomic_store(&remaining, parts - 1);
    atomic_fetch_add(&generation, 1);   // seq_cst: publishes the job, ordered before the sleeper check
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&team_lock);
        pthread_cond_broadcast(&team_wake);
        pthread_mutex_unlock(&team_lock);
    }
    fn(ctx, 0, parts);
    // Spin briefly, then yield: if a worker was woken onto this CPU, spinning here would keep it
    // from running until the time slice ends.
    for (long spins = 0; atomic_load_explicit(&remaining, memory_order_acquire) > 0; spins++) {
        if (spins < 2048) PAUSE(); else sched_yield();
    }
    atomic_store(&busy, 0);
}

void ds_team_rest(void) { atomic_store_explicit(&resting, 1, memory_order_relaxed); }
