/*
 * worker_pool.c - four workers serving one job queue, each waiting for
 * work in extatus_worker_wait(). A worker with nothing to do is waiting,
 * not stuck: it stays up (2). pool_worker_4 gets stuck outside its wait
 * for two periods in every eight and shows idle (1) meanwhile.
 *
 * Jobs arrive every three periods. The program watches the workers'
 * status for three cycles of eight periods, prints every change of state
 * as it is published, then what it saw: workers 1 to 3 up in every
 * sample, worker 4 idle only while stuck (or within a period and a half
 * after, the time the handler takes to see it back) and idle in every
 * stuck window. The pool itself is in pool.h, shared with `make demo`.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, clock_gettime */

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <extatus.h>

#include "pool.h"

#define PERIOD_MS 400
#define WORKERS   4
#define CYCLES    3
#define SAMPLES   ((CYCLES * POOL_STUCK_EVERY + 2) * 4) /* four per period, and 2 periods more */

/* Print each change of state of the pool's workers (on the handler thread). */
static void print_event(const extatus_process_event *event, void *user_data)
{
    (void)user_data;
    if (strncmp(event->name, "pool_worker_", 12) == 0)
        printf("  %s %s (%s)\n", event->name, extatus_process_state_name(event->state),
               extatus_process_reason_name(event->reason));
}

/* The published state of every pool worker: states[i] for pool_worker_<i+1>. */
static int read_states(int states[WORKERS])
{
    extatus_process_event *list;
    size_t count;
    if (extatus_process_list(&list, &count) != EXTATUS_OK)
        return -1;
    for (size_t i = 0; i < count; i++) {
        unsigned index;
        if (sscanf(list[i].name, "pool_worker_%u", &index) == 1 && index >= 1 && index <= WORKERS)
            states[index - 1] = (int)list[i].state;
    }
    extatus_free(list);
    return 0;
}

int main(void)
{
    const char *label[] = {"label"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Jobs done by each pool worker"),
        EXTATUS_OPT_STRINGS("labels", label, 1),
    };
    extatus_family *instrument;
    extatus_subscriber *printer;
    static pool workers;
    static int states[SAMPLES][WORKERS];
    static bool stuck[SAMPLES];

    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = PERIOD_MS;
    if (extatus_family_new(&instrument, NULL, "instrument_gauge", "gauge", options, 2) !=
            EXTATUS_OK ||
        extatus_process_start(&process) != EXTATUS_OK ||
        extatus_events_subscribe(&printer, print_event, NULL) != EXTATUS_OK ||
        pool_start(&workers, WORKERS, 4, PERIOD_MS, instrument) != 0) {
        fprintf(stderr, "worker_pool: set-up failed: %s\n", extatus_error_last());
        return 1;
    }
    printf("worker_pool: %d workers on one queue, polled every %d ms\n", WORKERS, PERIOD_MS);

    /* Sample four times a period; a job or two every three periods. */
    for (int i = 0; i < SAMPLES; i++) {
        if (i % 12 == 0)
            pool_push(&workers, 1 + i % 2);
        struct timespec quarter = {0, PERIOD_MS / 4 * 1000000};
        nanosleep(&quarter, NULL);
        for (int w = 0; w < WORKERS; w++)
            states[i][w] = -1;
        stuck[i] = extatus_gauge_value(workers.stuck) == 1;
        if (read_states(states[i]) != 0)
            return 1;
    }
    pool_stop(&workers);
    extatus_process_stop();
    extatus_events_unsubscribe(printer);

    /* What was seen. */
    bool ok = true;
    for (int w = 0; w < WORKERS - 1; w++) {
        int up = 0;
        for (int i = 0; i < SAMPLES; i++)
            up += states[i][w] == EXTATUS_PROCESS_UP;
        printf("%s: %s (%d of %d samples up)\n", workers.workers[w].name,
               up == SAMPLES ? "always up" : "NOT always up", up, SAMPLES);
        ok = ok && up == SAMPLES;
    }
    /* Worker 4: idle only while stuck or within 6 samples (1.5 periods) after. */
    int idle = 0, idle_unexplained = 0, windows = 0, windows_seen_idle = 0;
    for (int i = 0; i < SAMPLES; i++) {
        bool recently_stuck = false;
        for (int j = i; j >= 0 && j >= i - 6; j--)
            recently_stuck = recently_stuck || stuck[j];
        if (states[i][WORKERS - 1] == EXTATUS_PROCESS_IDLE) {
            idle++;
            idle_unexplained += !recently_stuck;
        }
        if (stuck[i] && (i == 0 || !stuck[i - 1])) { /* a stuck window starts */
            windows++;
            bool seen = false;
            for (int j = i; j < SAMPLES && j <= i + POOL_STUCK_LENGTH * 4 + 6; j++)
                seen = seen || states[j][WORKERS - 1] == EXTATUS_PROCESS_IDLE;
            windows_seen_idle += seen;
        }
    }
    printf("pool_worker_4: stuck %d times, idle in %d of them; %d idle samples, %s\n", windows,
           windows_seen_idle, idle,
           idle_unexplained ? "SOME idle while not stuck" : "all while stuck");
    ok = ok && windows >= CYCLES - 1 && windows_seen_idle == windows && idle_unexplained == 0;
    printf("worker_pool: %s\n", ok ? "as expected" : "NOT as expected");
    extatus_shutdown();
    return ok ? 0 : 1;
}
