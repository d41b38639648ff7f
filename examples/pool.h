/*
 * pool.h - a pool of workers serving one job queue, each waiting for work
 * in extatus_worker_wait(), so that a worker with nothing to do is up (2)
 * like a GenServer waiting in `receive`. One worker of the pool may be
 * made to get stuck outside its wait for two periods in every eight: it
 * shows idle (1) meanwhile, the others stay up.
 *
 * Shared by examples/worker_pool.c and the `make demo` program
 * (examples/demo.c); it uses the public API only. Workers are named
 * pool_worker_1, pool_worker_2, ... and report the jobs they did as
 * instrument_gauge{label="pool_worker_<n>"}; the gauge pool_stuck is 1
 * while the stuck worker is stuck.
 */
#ifndef EXTATUS_EXAMPLE_POOL_H
#define EXTATUS_EXAMPLE_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <extatus.h>

#define POOL_MAX          16
#define POOL_STUCK_EVERY  8 /* periods: the stuck worker's cycle */
#define POOL_STUCK_AT     6 /* periods into the cycle where it gets stuck */
#define POOL_STUCK_LENGTH 2 /* periods it stays stuck */

typedef struct pool pool;

typedef struct pool_worker {
    char name[32];        /* pool_worker_<index> */
    unsigned index;       /* 1, 2, ... */
    pool *pool;           /* its queue */
    long done;            /* the state: jobs done, written outside the queue's mutex */
    extatus_gauge *gauge; /* instrument_gauge{label=name} */
    pthread_t thread;     /* the worker */
    bool started;         /* thread created */
} pool_worker;

struct pool {
    pthread_mutex_t lock;  /* guards jobs */
    pthread_cond_t more;   /* jobs arrived, or stop (CLOCK_MONOTONIC) */
    int jobs;              /* jobs waiting */
    atomic_bool stop;      /* the workers leave */
    unsigned period_ms;    /* the handler's period: the unit of the schedule */
    int64_t started_ms;    /* monotonic start of the schedule */
    unsigned stuck_worker; /* index of the worker that gets stuck; 0: none */
    extatus_gauge *stuck;  /* pool_stuck */
    unsigned count;        /* workers */
    pool_worker workers[POOL_MAX];
};

static int64_t pool_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timespec pool_instant(int64_t monotonic_ms)
{
    struct timespec ts = {(time_t)(monotonic_ms / 1000), (long)(monotonic_ms % 1000) * 1000000};
    return ts;
}

static const char *pool_worker_name(void *state)
{
    return ((pool_worker *)state)->name;
}

/*
 * Runs on the worker's thread as it enters or leaves its wait, or on a
 * library thread while it is inside the wait; the queue's mutex is held
 * every time, so `done` and the queue stand still.
 */
static void pool_worker_report(void *state)
{
    pool_worker *worker = state;
    extatus_gauge_set(worker->gauge, (double)worker->done);
}

static const extatus_worker_ops pool_worker_ops = {
    .version = EXTATUS_WORKER_OPS_VERSION,
    .get_name = pool_worker_name,
    .report = pool_worker_report,
};

/* Stuck outside the wait until `until_ms` (or stop): no answer meanwhile. */
static void pool_get_stuck(pool *p, int64_t until_ms)
{
    extatus_gauge_set(p->stuck, 1);
    while (pool_now_ms() < until_ms && !atomic_load(&p->stop)) {
        struct timespec slice = {0, 10 * 1000000};
        nanosleep(&slice, NULL);
    }
    extatus_gauge_set(p->stuck, 0);
}

static void *pool_worker_main(void *arg)
{
    pool_worker *worker = arg;
    pool *p = worker->pool;
    int64_t period = p->period_ms;
    bool sticks = worker->index == p->stuck_worker;
    int64_t next_stuck = p->started_ms + POOL_STUCK_AT * period;
    extatus_worker *self;
    if (extatus_process_register(&self, &pool_worker_ops, worker, NULL) != EXTATUS_OK) {
        fprintf(stderr, "%s: %s\n", worker->name, extatus_error_last());
        return NULL;
    }
    pthread_mutex_lock(&p->lock);
    while (!atomic_load(&p->stop)) {
        if (sticks && pool_now_ms() >= next_stuck) {
            pthread_mutex_unlock(&p->lock);
            pool_get_stuck(p, next_stuck + POOL_STUCK_LENGTH * period);
            next_stuck += POOL_STUCK_EVERY * period;
            pthread_mutex_lock(&p->lock);
            continue;
        }
        if (p->jobs == 0) {
            /* Nothing to do: wait, up all the while. The stuck one wakes for its schedule. */
            struct timespec until = pool_instant(next_stuck);
            int rc = extatus_worker_wait(self, &p->more, &p->lock, sticks ? &until : NULL);
            if (rc == EXTATUS_ERR_STATE) {
                self = NULL; /* the handler stopped: the handle is gone */
                break;
            }
            continue; /* woken, timed out or spurious: look again */
        }
        p->jobs--;
        pthread_mutex_unlock(&p->lock);
        struct timespec job = {0, (long)(period / 20 + 1) * 1000000}; /* a short job */
        nanosleep(&job, NULL);
        worker->done++; /* outside the mutex: report reads it only while we wait */
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    if (self)
        extatus_process_deregister(self, EXTATUS_REASON_SHUTDOWN);
    return NULL;
}

/*
 * Start `count` workers on one queue; `stuck_worker` (1-based, 0: none)
 * gets stuck outside its wait for two periods in every eight, counted from
 * now. `instrument` is a gauge family with one label.
 */
static int pool_start(pool *p, unsigned count, unsigned stuck_worker, unsigned period_ms,
                      extatus_family *instrument)
{
    pthread_condattr_t attr;
    if (count > POOL_MAX)
        return -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->more, &attr);
    pthread_condattr_destroy(&attr);
    p->jobs = 0;
    atomic_store(&p->stop, false);
    p->period_ms = period_ms;
    p->started_ms = pool_now_ms();
    p->stuck_worker = stuck_worker;
    p->count = count;
    if (extatus_gauge_new(&p->stuck, NULL, "pool_stuck",
                          "1 while a pool worker is stuck outside its wait.") != EXTATUS_OK)
        return -1;
    for (unsigned i = 0; i < count; i++) {
        pool_worker *worker = &p->workers[i];
        snprintf(worker->name, sizeof(worker->name), "pool_worker_%u", i + 1);
        worker->index = i + 1;
        worker->pool = p;
        worker->done = 0;
        if (extatus_gauge_get(&worker->gauge, instrument, EXTATUS_LABELS(worker->name)) !=
            EXTATUS_OK)
            return -1;
        worker->started = pthread_create(&worker->thread, NULL, pool_worker_main, worker) == 0;
        if (!worker->started)
            return -1;
    }
    return 0;
}

/* Queue `jobs` jobs and wake as many workers. */
static void pool_push(pool *p, int jobs)
{
    pthread_mutex_lock(&p->lock);
    p->jobs += jobs;
    for (int i = 0; i < jobs; i++)
        pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->lock);
}

/* Let the workers leave (each deregisters) and join them. */
static void pool_stop(pool *p)
{
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, true);
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->count; i++)
        if (p->workers[i].started)
            pthread_join(p->workers[i].thread, NULL);
}

#endif /* EXTATUS_EXAMPLE_POOL_H */
