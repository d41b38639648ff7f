/*
 * scheduler.c - the library's one clock and its small worker pool.
 *
 * Every periodic job of the library (a probe's sample, a reporter's
 * interval, later the worker-status handler) is a task: a function, its
 * argument and an interval. One clock thread keeps the due times on
 * CLOCK_MONOTONIC; when a task is due it is queued for the pool, and the
 * next due time moves on by one interval. A task whose previous run is
 * still queued or running when its turn comes is skipped (and the skip
 * counted), never stacked, so a slow task costs only itself: the other
 * workers keep serving the rest.
 *
 * The threads start with the first task and stop in extatus_shutdown().
 * Everything is guarded by one mutex; runs happen outside it.
 */
#include "core/internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define WORKER_COUNT 4

struct extatus__task {
    extatus__task_fn fn;       /* what to run */
    void *arg;                 /* its argument */
    int64_t interval_ns;       /* period; 0: only extatus__sched_run_now */
    int64_t due_ns;            /* next turn on CLOCK_MONOTONIC */
    uint64_t runs;             /* completed runs */
    uint64_t skips;            /* turns skipped because the last run had not finished */
    pthread_t runner;          /* thread running it, valid while running */
    bool queued;               /* waiting in the work queue */
    bool running;              /* a worker is running it */
    bool removed;              /* extatus__sched_remove was called */
    bool free_when_done;       /* removed from inside its own run: the worker frees it */
    extatus__task *next;       /* list of live tasks */
    extatus__task *queue_next; /* work queue */
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t clock_wake; /* tasks changed, or stopping */
    pthread_cond_t work_wake;  /* work queued, or stopping */
    pthread_cond_t run_done;   /* a run finished */
    bool cond_ready;           /* conditions initialised (clock_wake on CLOCK_MONOTONIC) */
    bool started;              /* threads running */
    bool stopping;             /* threads asked to end */
    pthread_t clock;           /* the clock thread */
    pthread_t workers[WORKER_COUNT];
    unsigned worker_count; /* workers started */
    extatus__task *tasks;  /* live tasks */
    extatus__task *head;   /* work queue, oldest first */
    extatus__task *tail;   /* work queue end */
} sched = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The task the calling worker is running (NULL outside a run). */
static __thread extatus__task *current_task;

extatus__task *extatus__sched_current(void)
{
    return current_task;
}

static void queue_push(extatus__task *task)
{
    task->queued = true;
    task->queue_next = NULL;
    if (sched.tail)
        sched.tail->queue_next = task;
    else
        sched.head = task;
    sched.tail = task;
    pthread_cond_signal(&sched.work_wake);
}

static void queue_unlink(extatus__task *task)
{
    extatus__task **link = &sched.head;
    extatus__task *prev = NULL;
    while (*link && *link != task) {
        prev = *link;
        link = &(*link)->queue_next;
    }
    if (!*link)
        return;
    *link = task->queue_next;
    if (sched.tail == task)
        sched.tail = prev;
    task->queued = false;
}

static void *clock_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&sched.lock);
    while (!sched.stopping) {
        int64_t now = extatus__now_monotonic_ns();
        int64_t earliest = INT64_MAX;
        for (extatus__task *task = sched.tasks; task; task = task->next) {
            if (task->interval_ns <= 0)
                continue;
            if (task->due_ns <= now) {
                if (task->queued || task->running)
                    task->skips++;
                else
                    queue_push(task);
                task->due_ns += task->interval_ns;
                if (task->due_ns <= now) /* fell behind: no burst of catch-up runs */
                    task->due_ns = now + task->interval_ns;
            }
            if (task->due_ns < earliest)
                earliest = task->due_ns;
        }
        if (earliest == INT64_MAX) {
            pthread_cond_wait(&sched.clock_wake, &sched.lock);
        } else {
            struct timespec until = {(time_t)(earliest / 1000000000),
                                     (long)(earliest % 1000000000)};
            pthread_cond_timedwait(&sched.clock_wake, &sched.lock, &until);
        }
    }
    pthread_mutex_unlock(&sched.lock);
    return NULL;
}

static void *worker_main(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&sched.lock);
    for (;;) {
        while (!sched.head && !sched.stopping)
            pthread_cond_wait(&sched.work_wake, &sched.lock);
        if (sched.stopping)
            break;
        extatus__task *task = sched.head;
        queue_unlink(task);
        task->running = true;
        task->runner = pthread_self();
        pthread_mutex_unlock(&sched.lock);
        current_task = task;
        task->fn(task->arg);
        current_task = NULL;
        pthread_mutex_lock(&sched.lock);
        task->running = false;
        task->runs++;
        if (task->free_when_done)
            extatus__free(task);
        pthread_cond_broadcast(&sched.run_done);
    }
    pthread_mutex_unlock(&sched.lock);
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
    if (pthread_cond_init(&sched.work_wake, NULL) != 0) {
        pthread_cond_destroy(&sched.clock_wake);
        return EXTATUS_ERR_SYSTEM;
    }
    if (pthread_cond_init(&sched.run_done, NULL) != 0) {
        pthread_cond_destroy(&sched.clock_wake);
        pthread_cond_destroy(&sched.work_wake);
        return EXTATUS_ERR_SYSTEM;
    }
    sched.cond_ready = true;
    return EXTATUS_OK;
}

/* Stop and join whatever threads run; call with the lock held, returns with it held. */
static void stop_threads_locked(void)
{
    if (!sched.started)
        return;
    sched.stopping = true;
    pthread_cond_broadcast(&sched.clock_wake);
    pthread_cond_broadcast(&sched.work_wake);
    pthread_mutex_unlock(&sched.lock);
    pthread_join(sched.clock, NULL);
    for (unsigned i = 0; i < sched.worker_count; i++)
        pthread_join(sched.workers[i], NULL);
    pthread_mutex_lock(&sched.lock);
    sched.worker_count = 0;
    sched.started = false;
    sched.stopping = false;
    /* Queued runs that never started are dropped; their tasks stay registered. */
    while (sched.head)
        queue_unlink(sched.head);
}

static int start_locked(void)
{
    int rc = init_conditions_locked();
    if (rc != EXTATUS_OK)
        return extatus__error(rc, "scheduler: cannot create its condition variables");
    if (sched.started)
        return EXTATUS_OK;
    sched.stopping = false;
    if (pthread_create(&sched.clock, NULL, clock_main, NULL) != 0)
        return extatus__error(EXTATUS_ERR_SYSTEM, "scheduler: cannot start the clock thread: %s",
                              strerror(errno));
    sched.started = true;
    for (unsigned i = 0; i < WORKER_COUNT; i++) {
        if (pthread_create(&sched.workers[i], NULL, worker_main, NULL) != 0)
            break;
        sched.worker_count++;
    }
    if (sched.worker_count == 0) {
        stop_threads_locked();
        return extatus__error(EXTATUS_ERR_SYSTEM, "scheduler: cannot start a worker thread");
    }
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
    task->fn = fn;
    task->arg = arg;
    task->interval_ns = interval_ms * 1000000;
    task->due_ns = extatus__now_monotonic_ns() + first_delay_ms * 1000000;
    pthread_mutex_lock(&sched.lock);
    int rc = start_locked();
    if (rc == EXTATUS_OK) {
        /*
         * Publish the handle before the task can run: its first run may
         * start at once on a worker and look at *out (to remove itself,
         * for example); the lock orders this store before that run.
         */
        *out = task;
        task->next = sched.tasks;
        sched.tasks = task;
        pthread_cond_signal(&sched.clock_wake);
    }
    pthread_mutex_unlock(&sched.lock);
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
    pthread_mutex_lock(&sched.lock);
    task->removed = true;
    for (extatus__task **link = &sched.tasks; *link; link = &(*link)->next) {
        if (*link == task) {
            *link = task->next;
            break;
        }
    }
    if (task->queued)
        queue_unlink(task);
    if (task->running && pthread_equal(task->runner, pthread_self())) {
        task->free_when_done = true; /* removed from inside its own run */
        pthread_mutex_unlock(&sched.lock);
        return;
    }
    while (task->running)
        pthread_cond_wait(&sched.run_done, &sched.lock);
    pthread_mutex_unlock(&sched.lock);
    extatus__free(task);
}

void extatus__sched_set_interval(extatus__task *task, int64_t interval_ms)
{
    pthread_mutex_lock(&sched.lock);
    int64_t now = extatus__now_monotonic_ns();
    task->interval_ns = interval_ms > 0 ? interval_ms * 1000000 : 0;
    if (task->interval_ns && task->due_ns > now + task->interval_ns)
        task->due_ns = now + task->interval_ns;
    if (sched.cond_ready)
        pthread_cond_signal(&sched.clock_wake);
    pthread_mutex_unlock(&sched.lock);
}

void extatus__sched_stats(const extatus__task *task, uint64_t *runs, uint64_t *skips)
{
    pthread_mutex_lock(&sched.lock);
    if (runs)
        *runs = task->runs;
    if (skips)
        *skips = task->skips;
    pthread_mutex_unlock(&sched.lock);
}

void extatus__sched_stop(void)
{
    pthread_mutex_lock(&sched.lock);
    stop_threads_locked();
    pthread_mutex_unlock(&sched.lock);
}

void extatus__sched_reset(void)
{
    pthread_mutex_lock(&sched.lock);
    stop_threads_locked();
    /* Tasks whose owners never removed them (none, when every layer tidies up). */
    while (sched.tasks) {
        extatus__task *next = sched.tasks->next;
        extatus__free(sched.tasks);
        sched.tasks = next;
    }
    pthread_mutex_unlock(&sched.lock);
}
