/*
 * scheduler.c - the library's one clock, whose runs go to a pool.
 *
 * Every periodic job of the library (a probe's sample, a reporter's
 * interval) is a task: a function, its argument and an interval. One
 * clock thread keeps the due times on CLOCK_MONOTONIC; when a task is due
 * its job is submitted to the scheduler's pool (core/pool.c, up to four
 * threads, started on demand), and the next due time moves on by one
 * interval. A task whose previous run is still queued or running when its
 * turn comes is skipped (and the skip counted), never stacked: the pool
 * refuses a job that is already in it. So a slow task costs only itself:
 * the other threads keep serving the rest.
 *
 * The clock and the pool start with the first task and stop in
 * extatus_shutdown(). One mutex guards the tasks and the pool (the pool
 * runs on it); runs happen outside it.
 */
#include "core/internal.h"
#include "core/pool.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define POOL_THREADS 4

struct extatus__task {
    extatus__job job;    /* its run in the pool */
    extatus__task_fn fn; /* what to run */
    void *arg;           /* its argument */
    int64_t interval_ns; /* period; 0: never by itself */
    int64_t due_ns;      /* next turn on CLOCK_MONOTONIC */
    uint64_t runs;       /* completed runs */
    uint64_t skips;      /* turns skipped because the last run had not finished */
    bool free_when_done; /* removed from inside its own run: freed when that ends */
    extatus__task *next; /* list of live tasks */
};

static pthread_mutex_t sched_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
    pthread_cond_t clock_wake; /* tasks changed, or stopping */
    bool cond_ready;           /* clock_wake initialised (on CLOCK_MONOTONIC) */
    bool started;              /* clock and pool running */
    bool stopping;             /* the clock is asked to end */
    pthread_t clock;           /* the clock thread */
    extatus__task *tasks;      /* live tasks */
    extatus__pool pool;        /* runs the due tasks */
} sched = {.pool = EXTATUS__POOL_INIT(&sched_lock, "scheduler")};

/* The task the calling thread is running (NULL outside a run). */
static __thread extatus__task *current_task;

extatus__task *extatus__sched_current(void)
{
    return current_task;
}

static void task_run(extatus__job *job)
{
    extatus__task *task = EXTATUS__JOB_OWNER(job, extatus__task, job);
    current_task = task;
    task->fn(task->arg);
    current_task = NULL;
}

static void task_finished(extatus__job *job, extatus__job_end how)
{
    extatus__task *task = EXTATUS__JOB_OWNER(job, extatus__task, job);
    if (how == EXTATUS__JOB_RAN)
        task->runs++;
    if (task->free_when_done)
        extatus__free(task);
}

static void *clock_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&sched_lock);
    while (!sched.stopping) {
        int64_t now = extatus__now_monotonic_ns();
        int64_t earliest = INT64_MAX;
        bool submitted = false;
        for (extatus__task *task = sched.tasks; task; task = task->next) {
            if (task->interval_ns <= 0)
                continue;
            if (task->due_ns <= now) {
                if (extatus__pool_submit_locked(&sched.pool, &task->job, 0))
                    submitted = true;
                else
                    task->skips++; /* its last run is still queued or running */
                task->due_ns += task->interval_ns;
                if (task->due_ns <= now) /* fell behind: no burst of catch-up runs */
                    task->due_ns = now + task->interval_ns;
            }
            if (task->due_ns < earliest)
                earliest = task->due_ns;
        }
        if (submitted)
            extatus__pool_kick_locked(&sched.pool);
        if (earliest == INT64_MAX) {
            pthread_cond_wait(&sched.clock_wake, &sched_lock);
        } else {
            struct timespec until = {(time_t)(earliest / 1000000000),
                                     (long)(earliest % 1000000000)};
            pthread_cond_timedwait(&sched.clock_wake, &sched_lock, &until);
        }
    }
    pthread_mutex_unlock(&sched_lock);
    return NULL;
}

static int init_conditions_locked(void)
{
    if (sched.cond_ready)
        return EXTATUS_OK;
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return EXTATUS_ERR_SYSTEM;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int failed = pthread_cond_init(&sched.clock_wake, &attr);
    pthread_condattr_destroy(&attr);
    if (failed)
        return EXTATUS_ERR_SYSTEM;
    sched.cond_ready = true;
    return EXTATUS_OK;
}

/* Stop and join the clock and the pool; call with the lock held, returns with it held. */
static void stop_threads_locked(void)
{
    if (!sched.started)
        return;
    sched.stopping = true;
    pthread_cond_broadcast(&sched.clock_wake);
    pthread_mutex_unlock(&sched_lock);
    pthread_join(sched.clock, NULL);
    /* Runs in progress are library code that returns: wait for them all. */
    extatus__pool_stop(&sched.pool, INT64_MAX); /* queued runs are dropped; tasks stay */
    pthread_mutex_lock(&sched_lock);
    sched.started = false;
    sched.stopping = false;
}

static int start_locked(void)
{
    int rc = init_conditions_locked();
    if (rc != EXTATUS_OK)
        return extatus__error(rc, "scheduler: cannot create its condition variables");
    if (sched.started)
        return EXTATUS_OK;
    rc = extatus__pool_start_locked(&sched.pool, POOL_THREADS, true);
    if (rc != EXTATUS_OK)
        return rc;
    sched.stopping = false;
    if (pthread_create(&sched.clock, NULL, clock_main, NULL) != 0) {
        int error = errno;
        pthread_mutex_unlock(&sched_lock);
        extatus__pool_stop(&sched.pool, INT64_MAX);
        pthread_mutex_lock(&sched_lock);
        return extatus__error(EXTATUS_ERR_SYSTEM, "scheduler: cannot start the clock thread: %s",
                              strerror(error));
    }
    sched.started = true;
    return EXTATUS_OK;
}

int extatus__sched_add(extatus__task **out, int64_t interval_ms, int64_t first_delay_ms,
                       extatus__task_fn fn, void *arg)
{
    *out = NULL;
    if (interval_ms < 0 || first_delay_ms < 0 || !fn)
        return extatus__error(EXTATUS_ERR_INVALID, "scheduler: bad task (interval %lld ms)",
                              (long long)interval_ms);
    extatus__task *task = extatus__calloc(1, sizeof(*task));
    if (!task)
        return extatus__error(EXTATUS_ERR_NOMEM, "scheduler: out of memory");
    task->job.run = task_run;
    task->job.finished = task_finished;
    task->fn = fn;
    task->arg = arg;
    task->interval_ns = interval_ms * 1000000;
    task->due_ns = extatus__now_monotonic_ns() + first_delay_ms * 1000000;
    pthread_mutex_lock(&sched_lock);
    int rc = start_locked();
    if (rc == EXTATUS_OK) {
        /*
         * Publish the handle before the task can run: its first run may
         * start at once on a pool thread and look at *out (to remove itself,
         * for example); the lock orders this store before that run.
         */
        *out = task;
        task->next = sched.tasks;
        sched.tasks = task;
        pthread_cond_signal(&sched.clock_wake);
    }
    pthread_mutex_unlock(&sched_lock);
    if (rc != EXTATUS_OK) {
        extatus__free(task);
        return rc;
    }
    return EXTATUS_OK;
}

void extatus__sched_remove(extatus__task *task)
{
    if (!task)
        return;
    pthread_mutex_lock(&sched_lock);
    for (extatus__task **link = &sched.tasks; *link; link = &(*link)->next) {
        if (*link == task) {
            *link = task->next;
            break;
        }
    }
    extatus__pool_cancel_locked(&sched.pool, &task->job);
    if (current_task == task) {
        task->free_when_done = true; /* removed from inside its own run */
        pthread_mutex_unlock(&sched_lock);
        return;
    }
    extatus__pool_wait_job_locked(&sched.pool, &task->job);
    pthread_mutex_unlock(&sched_lock);
    extatus__free(task);
}

void extatus__sched_set_interval(extatus__task *task, int64_t interval_ms)
{
    pthread_mutex_lock(&sched_lock);
    int64_t now = extatus__now_monotonic_ns();
    task->interval_ns = interval_ms > 0 ? interval_ms * 1000000 : 0;
    if (task->interval_ns && task->due_ns > now + task->interval_ns)
        task->due_ns = now + task->interval_ns;
    if (sched.cond_ready)
        pthread_cond_signal(&sched.clock_wake);
    pthread_mutex_unlock(&sched_lock);
}

void extatus__sched_stats(const extatus__task *task, uint64_t *runs, uint64_t *skips)
{
    pthread_mutex_lock(&sched_lock);
    if (runs)
        *runs = task->runs;
    if (skips)
        *skips = task->skips;
    pthread_mutex_unlock(&sched_lock);
}

void extatus__sched_stop(void)
{
    pthread_mutex_lock(&sched_lock);
    stop_threads_locked();
    pthread_mutex_unlock(&sched_lock);
}

void extatus__sched_reset(void)
{
    pthread_mutex_lock(&sched_lock);
    stop_threads_locked();
    /* Tasks whose owners never removed them (none, when every layer tidies up). */
    while (sched.tasks) {
        extatus__task *next = sched.tasks->next;
        extatus__free(sched.tasks);
        sched.tasks = next;
    }
    pthread_mutex_unlock(&sched_lock);
}
