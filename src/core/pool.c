/*
 * pool.c - the library's one thread pool: a job queue, threads grown on
 * demand up to a cap, and a stop that ends in bounded time (pool.h).
 *
 * Two instances serve the library: the scheduler's (core/scheduler.c:
 * probes' samples and reporters' intervals, library code that always
 * returns) and the worker-status layer's (src/process/pool.c: lock-mode
 * reports, user code that may block for good). docs/threading.md says
 * why they do not share threads.
 *
 * Each thread has a record of its own (plain malloc: a detached thread
 * may outlive extatus_shutdown() and a change of allocator). A stop that
 * gives up on a thread marks its record detached; the thread, when its
 * job returns, sees the mark and ends touching only its record, the
 * owner's mutex and its job.
 */
#include "core/pool.h"

#include "core/internal.h"

#include <stdlib.h>
#include <time.h>

struct extatus__pool_thread {
    extatus__pool *pool;   /* its pool; not touched once `detached` */
    pthread_mutex_t *lock; /* the pool's (owner's) mutex, copied: outlives the pool */
    pthread_t thread;      /* the thread */
    extatus__job *current; /* the job it runs, or NULL */
    bool ended;            /* it left its loop: join it */
    bool detached;         /* a stop let go of it: it frees this record itself */
};

static void queue_append(extatus__pool *pool, extatus__job *job)
{
    job->next = NULL;
    if (pool->tail)
        pool->tail->next = job;
    else
        pool->head = job;
    pool->tail = job;
    pool->queued++;
}

static extatus__job *queue_take(extatus__pool *pool)
{
    extatus__job *job = pool->head;
    pool->head = job->next;
    if (!pool->head)
        pool->tail = NULL;
    pool->queued--;
    job->next = NULL;
    job->queued = false;
    return job;
}

/* The pool lets go of `job`: idle again, then its owner is told (last touch). */
static void finish(extatus__job *job, extatus__job_end how)
{
    job->running = false;
    job->queued = false;
    if (job->finished)
        job->finished(job, how);
}

static void *thread_main(void *arg)
{
    extatus__pool_thread *self = arg;
    pthread_mutex_t *lock = self->lock;
    pthread_mutex_lock(lock);
    extatus__pool *pool = self->pool;
    for (;;) {
        while (!pool->quit && !pool->head) {
            pool->idle++;
            pthread_cond_wait(&pool->work, lock);
            pool->idle--;
        }
        if (pool->quit)
            break; /* what is still queued, the stop drops */
        extatus__job *job = queue_take(pool);
        job->running = true;
        self->current = job;
        pool->busy++;
        bool late = job->deadline_ns != 0 && extatus__now_monotonic_ns() >= job->deadline_ns;
        if (!late) {
            pthread_mutex_unlock(lock);
            job->run(job);
            pthread_mutex_lock(lock);
        }
        if (self->detached) {
            /* Left behind by a stop: the pool may be gone; only the job and this record remain. */
            finish(job, EXTATUS__JOB_RETURNED);
            pthread_mutex_unlock(lock);
            free(self);
            return NULL;
        }
        self->current = NULL;
        pool->busy--;
        finish(job, late ? EXTATUS__JOB_DROPPED : EXTATUS__JOB_RAN);
        pthread_cond_broadcast(&pool->done);
    }
    self->ended = true;
    pool->live--;
    pthread_cond_broadcast(&pool->done);
    pthread_mutex_unlock(lock);
    return NULL;
}

static int start_thread_locked(extatus__pool *pool)
{
    extatus__pool_thread *self = calloc(1, sizeof(*self));
    if (!self)
        return extatus__error(EXTATUS_ERR_NOMEM, "%s: out of memory for a thread", pool->owner);
    self->pool = pool;
    self->lock = pool->lock;
    int rc = pthread_create(&self->thread, NULL, thread_main, self);
    if (rc != 0) {
        free(self);
        return extatus__error(EXTATUS_ERR_SYSTEM,
                              "%s: cannot start a pool thread (pthread_create: %d)", pool->owner,
                              rc);
    }
    pool->threads[pool->thread_count++] = self;
    pool->live++;
    return EXTATUS_OK;
}

/* Wait on `done` until the monotonic instant `until_ns`. */
static void wait_done_until(extatus__pool *pool, int64_t until_ns)
{
    if (until_ns == INT64_MAX) {
        pthread_cond_wait(&pool->done, pool->lock);
        return;
    }
    struct timespec until = {(time_t)(until_ns / 1000000000), (long)(until_ns % 1000000000)};
    pthread_cond_clockwait(&pool->done, pool->lock, CLOCK_MONOTONIC, &until);
}

/* Join or detach every thread, drop the queue and forget the threads; lock held. */
static void let_go_locked(extatus__pool *pool)
{
    for (unsigned i = 0; i < pool->thread_count; i++) {
        extatus__pool_thread *thread = pool->threads[i];
        if (thread->ended) {
            pthread_join(thread->thread, NULL); /* it returns right after marking itself */
            free(thread);
            continue;
        }
        /* Inside a job that has not returned: leave it behind. */
        pthread_detach(thread->thread);
        thread->detached = true;
        thread->current->abandoned = true; /* nobody waits for it any more */
    }
    while (pool->head)
        finish(queue_take(pool), EXTATUS__JOB_DROPPED);
    extatus__free(pool->threads);
    pool->threads = NULL;
    pool->thread_count = pool->max_threads = 0;
    pool->live = pool->idle = pool->busy = 0;
    pool->running = false;
    pthread_cond_broadcast(&pool->done); /* waiters for an abandoned job */
}

int extatus__pool_start_locked(extatus__pool *pool, unsigned max_threads, bool start_one)
{
    if (max_threads == 0)
        return extatus__error(EXTATUS_ERR_INVALID, "%s: a pool needs at least one thread",
                              pool->owner);
    if (pool->running)
        return extatus__error(EXTATUS_ERR_STATE, "%s: pool already running", pool->owner);
    pool->threads = extatus__calloc(max_threads, sizeof(*pool->threads));
    if (!pool->threads)
        return extatus__error(EXTATUS_ERR_NOMEM, "%s: out of memory", pool->owner);
    pool->max_threads = max_threads;
    pool->quit = false;
    int rc = start_one ? start_thread_locked(pool) : EXTATUS_OK;
    if (rc != EXTATUS_OK) {
        extatus__free(pool->threads); /* no thread started: nothing else to undo */
        pool->threads = NULL;
        pool->max_threads = 0;
        return rc;
    }
    pool->running = true;
    return EXTATUS_OK;
}

void extatus__pool_stop(extatus__pool *pool, int64_t give_up_ns)
{
    pthread_mutex_lock(pool->lock);
    if (!pool->running) {
        pthread_mutex_unlock(pool->lock);
        return;
    }
    pool->quit = true;
    pthread_cond_broadcast(&pool->work);
    while (pool->live > 0 && extatus__now_monotonic_ns() < give_up_ns)
        wait_done_until(pool, give_up_ns);
    /*
     * A thread outside a job needs only the mutex to end: wait for it, so
     * that no detached thread is ever inside the pool's own conditions.
     */
    while (pool->live > pool->busy)
        pthread_cond_wait(&pool->done, pool->lock);
    let_go_locked(pool);
    pthread_mutex_unlock(pool->lock);
}

bool extatus__pool_submit_locked(extatus__pool *pool, extatus__job *job, int64_t deadline_ns)
{
    if (!pool->running || pool->quit || job->queued || job->running)
        return false;
    job->queued = true;
    job->abandoned = false;
    job->deadline_ns = deadline_ns;
    queue_append(pool, job);
    return true;
}

void extatus__pool_kick_locked(extatus__pool *pool)
{
    if (pool->queued == 0)
        return;
    /*
     * More jobs than idle threads (the others run jobs that may be slow):
     * start threads up to the cap, so that a job does not wait behind a
     * slow one while the cap allows another thread.
     */
    unsigned started = 0;
    while (pool->thread_count < pool->max_threads && pool->idle + started < pool->queued &&
           start_thread_locked(pool) == EXTATUS_OK)
        started++;
    pthread_cond_broadcast(&pool->work);
}

bool extatus__pool_cancel_locked(extatus__pool *pool, extatus__job *job)
{
    if (!job->queued)
        return false;
    extatus__job *prev = NULL;
    for (extatus__job *at = pool->head; at; prev = at, at = at->next) {
        if (at != job)
            continue;
        if (prev)
            prev->next = job->next;
        else
            pool->head = job->next;
        if (pool->tail == job)
            pool->tail = prev;
        pool->queued--;
        job->next = NULL;
        job->queued = false;
        return true;
    }
    return false;
}

bool extatus__pool_job_busy_locked(const extatus__job *job)
{
    return job->queued || job->running;
}

void extatus__pool_wait_job_locked(extatus__pool *pool, extatus__job *job)
{
    while ((job->queued || job->running) && !job->abandoned)
        pthread_cond_wait(&pool->done, pool->lock);
}

void extatus__pool_dispose(extatus__pool *pool)
{
    pthread_cond_destroy(&pool->work); /* waits for woken waiters to leave it */
    pthread_cond_destroy(&pool->done);
}

uint64_t extatus__pool_cpu_ns(extatus__pool *pool)
{
    uint64_t total = 0;
    pthread_mutex_lock(pool->lock);
    for (unsigned i = 0; i < pool->thread_count; i++) {
        clockid_t clock;
        struct timespec used;
        if (pool->threads[i]->ended)
            continue; /* joined at stop; its time is lost with it */
        if (pthread_getcpuclockid(pool->threads[i]->thread, &clock) == 0 &&
            clock_gettime(clock, &used) == 0)
            total += (uint64_t)used.tv_sec * 1000000000u + (uint64_t)used.tv_nsec;
    }
    pthread_mutex_unlock(pool->lock);
    return total;
}
