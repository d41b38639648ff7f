/*
 * process_bench.c - the cost of the process handler: 10,000 registered
 * workers at the default period (1000 ms), half in checkpoint mode and
 * half in lock mode, each reporting one gauge from its state.
 *
 * The 5,000 checkpoint-mode workers are actors hosted by two event-loop
 * threads, each calling extatus_worker_checkpoint() for its 2,500 actors
 * every 10 ms. The 5,000 lock-mode workers guard their state with a mutex
 * that nobody else holds. After a warm-up (the first rounds publish 10,000
 * "up" events) the CPU time of the handler thread and of its lock-mode
 * report threads (extatus_process_stats.cpu_ns) is read over
 * BENCH_HANDLER_SECONDS of wall time. The event-loop threads are the
 * program's own and are not counted; the lock-mode reports, which the
 * library runs, are.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <extatus.h>

#include "bench.h"

#define WORKERS               10000u
#define LOOP_THREADS          2u
#define CHECKPOINT_WORKERS    (WORKERS / 2)
#define LOCK_WORKERS          (WORKERS - CHECKPOINT_WORKERS)
#define WARMUP_SECONDS        3
#define BENCH_HANDLER_SECONDS 10

typedef struct actor {
    char name[24];          /* "actor_00042" */
    pthread_mutex_t lock;   /* lock mode: guards value */
    double value;           /* the state */
    extatus_gauge *gauge;   /* bench_actor_value{name} */
    extatus_worker *handle; /* registration */
} actor;

static actor *actors;
static atomic_int stop_loops;
static atomic_int loops_ready;

static const char *actor_name(void *state)
{
    return ((actor *)state)->name;
}

static void actor_report(void *state)
{
    actor *a = state;
    extatus_gauge_set(a->gauge, a->value);
}

static const extatus_worker_ops actor_ops = {EXTATUS_WORKER_OPS_VERSION, actor_name, actor_report};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void check(int rc, const char *what)
{
    if (rc != EXTATUS_OK)
        bench_fail(what, extatus_error_last());
}

/* An event loop hosting actors [first, first + count) in checkpoint mode. */
static void *event_loop(void *arg)
{
    size_t first = (size_t)(uintptr_t)arg * (CHECKPOINT_WORKERS / LOOP_THREADS);
    size_t count = CHECKPOINT_WORKERS / LOOP_THREADS;
    struct timespec tick = {0, 10 * 1000000};
    for (size_t i = first; i < first + count; i++)
        check(extatus_process_register(&actors[i].handle, &actor_ops, &actors[i], NULL),
              "register a checkpoint-mode actor");
    atomic_fetch_add(&loops_ready, 1);
    while (!atomic_load(&stop_loops)) {
        for (size_t i = first; i < first + count; i++) {
            actors[i].value += 1;
            extatus_worker_checkpoint(actors[i].handle);
        }
        nanosleep(&tick, NULL);
    }
    for (size_t i = first; i < first + count; i++)
        check(extatus_process_deregister(actors[i].handle, EXTATUS_REASON_SHUTDOWN), "deregister");
    return NULL;
}

double bench_handler_cpu_percent(void)
{
    static const char *labels[] = {"name"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Each actor's state."),
        EXTATUS_OPT_STRINGS("labels", labels, 1),
        EXTATUS_OPT_NUMBER("max_series", WORKERS),
    };
    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    extatus_process_stats before, after;
    extatus_family *family;
    pthread_t loops[LOOP_THREADS];
    double start, elapsed, percent;
    unsigned i;

    process.timeout_ms = 1000; /* the default period, whatever EXTATUS_TIMEOUT says */
    check(extatus_process_start(&process), "start the handler");
    check(extatus_family_new(&family, NULL, "bench_actor_value", "gauge", options, 3), "family");
    actors = calloc(WORKERS, sizeof(*actors));
    if (!actors)
        bench_fail("calloc", "actors");
    for (i = 0; i < WORKERS; i++) {
        const char *values[1];
        snprintf(actors[i].name, sizeof(actors[i].name), "actor_%05u", i);
        values[0] = actors[i].name;
        pthread_mutex_init(&actors[i].lock, NULL);
        check(extatus_gauge_get(&actors[i].gauge, family, extatus_labels_of(values, 1)),
              "actor gauge");
    }
    for (i = 0; i < LOOP_THREADS; i++)
        pthread_create(&loops[i], NULL, event_loop, (void *)(uintptr_t)i);
    for (i = CHECKPOINT_WORKERS; i < WORKERS; i++) {
        extatus_worker_options lock_mode = EXTATUS_WORKER_OPTIONS_INIT;
        lock_mode.mode = EXTATUS_WORKER_LOCK;
        lock_mode.lock = &actors[i].lock;
        check(extatus_process_register(&actors[i].handle, &actor_ops, &actors[i], &lock_mode),
              "register a lock-mode actor");
    }
    while (atomic_load(&loops_ready) < (int)LOOP_THREADS)
        nanosleep(&(struct timespec){0, 1000000}, NULL);

    nanosleep(&(struct timespec){WARMUP_SECONDS, 0}, NULL);
    check(extatus_process_get_stats(&before), "stats");
    start = now_seconds();
    nanosleep(&(struct timespec){BENCH_HANDLER_SECONDS, 0}, NULL);
    check(extatus_process_get_stats(&after), "stats");
    elapsed = now_seconds() - start;
    if (after.up != WORKERS)
        fprintf(stderr, "run-bench: handler_10k_workers: only %zu of %u workers up\n", after.up,
                WORKERS);
    percent = (double)(after.cpu_ns - before.cpu_ns) / 1e9 / elapsed * 100.0;
    printf("# handler_10k_workers: %zu workers (%u checkpoint, %u lock), %zu up, %llu polls and "
           "%.3f ms CPU in %.1f s\n",
           after.workers, CHECKPOINT_WORKERS, LOCK_WORKERS, after.up,
           (unsigned long long)(after.polls - before.polls),
           (double)(after.cpu_ns - before.cpu_ns) / 1e6, elapsed);

    atomic_store(&stop_loops, 1);
    for (i = 0; i < LOOP_THREADS; i++)
        pthread_join(loops[i], NULL);
    extatus_process_stop();
    extatus_family_unregister(family);
    extatus_delete(NULL, "extatus_process_activity");
    extatus_delete(NULL, "extatus_process_exits_total");
    extatus_delete(NULL, "extatus_process_events_dropped_total");
    for (i = 0; i < WORKERS; i++)
        pthread_mutex_destroy(&actors[i].lock);
    free(actors);
    return after.up == WORKERS ? percent : -1;
}
