/*
 * pool.c - the threads that run lock-mode reports.
 *
 * The handler must never wait for one worker: taking a worker's mutex can
 * block until the deadline and its report may be slow. So the handler
 * only queues a job per lock-mode worker and round, and a small pool of
 * threads (grown on demand up to extatus_process_options.lock_threads)
 * takes the mutex with pthread_mutex_timedlock and the job's deadline,
 * runs the report and records the answer.
 *
 * Two rules keep one bad worker from delaying the others:
 *   - a worker has at most one job in flight: while its report (or its
 *     wait for the mutex) goes on, later rounds do not queue another, so a
 *     stuck worker ties up at most one thread and the queue stays bounded
 *     by the number of lock-mode workers;
 *   - a job taken from the queue after its deadline is dropped unrun (the
 *     worker is idle for that round anyway), so a backlog never turns into
 *     reports run late.
 * A worker whose report never returns holds one thread for good; with
 * `lock_threads` such workers every other lock-mode worker shows idle.
 *
 * The same jobs answer for a checkpoint-mode worker that waits in
 * extatus_worker_wait(): the job takes the mutex the worker waits with,
 * and runs the report only if the worker is still inside the wait (it
 * cannot leave pthread_cond_timedwait without that mutex, so its state
 * stands still while the report reads it).
 *
 * Stopping is bounded: extatus__pool_stop() waits for the threads until
 * a given instant, then detaches the ones still in a job. Such a thread
 * keeps its worker record alive (the record is freed by whoever lets go
 * of it last, see `orphan`) and, when its report finally returns, ends
 * without touching anything else of the pool (see `generation`).
 */
#include "process/process_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

extatus__pool_state extatus__pool = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

extatus_worker *extatus__worker_alloc(void)
{
    return calloc(1, sizeof(extatus_worker));
}

void extatus__worker_free(extatus_worker *worker)
{
    free(worker);
}

/* Record that `worker` answered `round`; never moves the answer back. */
static void answer(extatus_worker *worker, uint64_t round)
{
    uint64_t seen = atomic_load_explicit(&worker->answered, memory_order_relaxed);
    while (seen < round &&
           !atomic_compare_exchange_weak_explicit(&worker->answered, &seen, round,
                                                  memory_order_release, memory_order_relaxed))
        ;
}

/* The mutex a job for `worker` must hold to report; NULL: nothing to report under. */
static pthread_mutex_t *job_mutex(extatus_worker *worker)
{
    if (worker->mode == EXTATUS_WORKER_LOCK)
        return worker->lock;
    return atomic_load(&worker->parked); /* left the wait meanwhile: it answers itself */
}

/* Take the mutex before the deadline and report; true if the worker answered. */
static bool run_job(extatus_worker *worker, uint64_t round, int64_t deadline_ns)
{
    int64_t left = deadline_ns - extatus__now_monotonic_ns();
    if (left <= 0 || atomic_load_explicit(&worker->ending, memory_order_acquire))
        return false;
    pthread_mutex_t *mutex = job_mutex(worker);
    if (!mutex)
        return false;
    /* pthread_mutex_timedlock wants a CLOCK_REALTIME instant. */
    int64_t at = extatus__now_realtime_ns() + left;
    struct timespec until = {(time_t)(at / 1000000000), (long)(at % 1000000000)};
    if (pthread_mutex_timedlock(mutex, &until) != 0) {
        /* ETIMEDOUT: busy or stuck; EINVAL, EDEADLK...: cannot answer. */
        atomic_store(&worker->mutex_busy_round, round); /* a waiting worker is unreachable too */
        return false;
    }
    bool answered = false;
    /*
     * A waiting worker is reported on only while it is still parked on
     * this mutex: holding it, we know it sits inside its wait.
     */
    bool reportable = worker->mode == EXTATUS_WORKER_LOCK || atomic_load(&worker->parked) == mutex;
    if (reportable && !atomic_load_explicit(&worker->ending, memory_order_acquire)) {
        if (atomic_load_explicit(&worker->answered, memory_order_acquire) < round &&
            worker->ops.report) {
            extatus__in_callback = 1;
            worker->ops.report(worker->state);
            extatus__in_callback = 0;
        }
        answered = true;
    }
    pthread_mutex_unlock(mutex);
    if (answered)
        answer(worker, round);
    return answered;
}

/* The argument of a pool thread: its slot and its generation, in one word. */
#define SLOT_BITS 8u
static void *slot_arg(unsigned slot, uint64_t generation)
{
    return (void *)(uintptr_t)((generation << SLOT_BITS) | slot);
}

static void *pool_main(void *arg)
{
    unsigned slot = (unsigned)((uintptr_t)arg & ((1u << SLOT_BITS) - 1));
    uint64_t generation = (uint64_t)((uintptr_t)arg >> SLOT_BITS);
    pthread_mutex_lock(&extatus__pool.lock);
#define MINE() ((extatus__pool.generation & (UINTPTR_MAX >> SLOT_BITS)) == generation)
    for (;;) {
        while (MINE() && extatus__pool.count == 0 && !extatus__pool.quit) {
            extatus__pool.idle++;
            pthread_cond_wait(&extatus__pool.work, &extatus__pool.lock);
            if (MINE())
                extatus__pool.idle--; /* (a stop resets the count of its pool) */
        }
        if (!MINE())
            break; /* left behind by a stop: the pool is not ours any more */
        if (extatus__pool.count == 0)
            break; /* quit with nothing queued */
        extatus_worker *worker = extatus__pool.queue[extatus__pool.head];
        extatus__pool.head = (extatus__pool.head + 1) % extatus__pool.capacity;
        extatus__pool.count--;
        uint64_t round = worker->job_round;
        int64_t deadline = worker->job_deadline_ns;
        if (!extatus__pool.quit) {
            extatus__pool.slots[slot].current = worker;
            pthread_mutex_unlock(&extatus__pool.lock);
            run_job(worker, round, deadline);
            pthread_mutex_lock(&extatus__pool.lock);
            if (MINE())
                extatus__pool.slots[slot].current = NULL;
        }
        worker->inflight = false;
        if (worker->orphan && !worker->waiting)
            extatus__worker_free(worker);
        pthread_cond_broadcast(&extatus__pool.done);
    }
    if (MINE()) {
        extatus__pool.slots[slot].ended = true;
        extatus__pool.live--;
        pthread_cond_broadcast(&extatus__pool.done);
    }
#undef MINE
    pthread_mutex_unlock(&extatus__pool.lock);
    return NULL;
}

static int start_thread_locked(void)
{
    unsigned slot = extatus__pool.thread_count;
    int rc = pthread_create(&extatus__pool.slots[slot].thread, NULL, pool_main,
                            slot_arg(slot, extatus__pool.generation));
    if (rc != 0)
        return extatus__error(EXTATUS_ERR_SYSTEM,
                              "process handler: cannot start a lock-mode "
                              "report thread (pthread_create: %d)",
                              rc);
    extatus__pool.slots[slot].ended = false;
    extatus__pool.slots[slot].current = NULL;
    extatus__pool.thread_count++;
    extatus__pool.live++;
    return EXTATUS_OK;
}

int extatus__pool_start(unsigned max_threads)
{
    pthread_mutex_lock(&extatus__pool.lock);
    extatus__pool.slots = extatus__calloc(max_threads, sizeof(*extatus__pool.slots));
    if (!extatus__pool.slots) {
        pthread_mutex_unlock(&extatus__pool.lock);
        return extatus__error(EXTATUS_ERR_NOMEM, "process handler: out of memory");
    }
    extatus__pool.max_threads = max_threads;
    extatus__pool.thread_count = 0;
    extatus__pool.live = 0;
    extatus__pool.idle = 0;
    extatus__pool.quit = false;
    pthread_mutex_unlock(&extatus__pool.lock);
    return EXTATUS_OK;
}

void extatus__pool_stop(int64_t give_up_ns)
{
    pthread_mutex_lock(&extatus__pool.lock);
    extatus__pool.quit = true;
    pthread_cond_broadcast(&extatus__pool.work);
    /* Wait for the threads to end, until `give_up_ns` at most. */
    for (;;) {
        int64_t left = give_up_ns - extatus__now_monotonic_ns();
        if (extatus__pool.live == 0 || left <= 0)
            break;
        int64_t at = extatus__now_realtime_ns() + left; /* `done` runs on CLOCK_REALTIME */
        struct timespec until = {(time_t)(at / 1000000000), (long)(at % 1000000000)};
        pthread_cond_timedwait(&extatus__pool.done, &extatus__pool.lock, &until);
    }
    /* Join the ended threads; leave the others (stuck in a report) behind. */
    for (unsigned i = 0; i < extatus__pool.thread_count; i++) {
        extatus__pool_slot *slot = &extatus__pool.slots[i];
        if (slot->ended) {
            pthread_join(slot->thread, NULL); /* it returns right after marking itself */
            continue;
        }
        pthread_detach(slot->thread);
        if (slot->current)
            slot->current->abandoned = true; /* nobody waits for its job any more */
    }
    extatus__pool.generation++;
    /* No thread is left to run what is still queued: just let it go. */
    while (extatus__pool.count > 0) {
        extatus_worker *worker = extatus__pool.queue[extatus__pool.head];
        extatus__pool.head = (extatus__pool.head + 1) % extatus__pool.capacity;
        extatus__pool.count--;
        worker->inflight = false;
        if (worker->orphan && !worker->waiting)
            extatus__worker_free(worker);
    }
    extatus__free(extatus__pool.queue);
    extatus__free(extatus__pool.slots);
    extatus__pool.queue = NULL;
    extatus__pool.slots = NULL;
    extatus__pool.capacity = extatus__pool.head = 0;
    extatus__pool.thread_count = 0;
    extatus__pool.live = 0;
    extatus__pool.idle = 0;
    pthread_cond_broadcast(&extatus__pool.done);
    pthread_mutex_unlock(&extatus__pool.lock);
}
/* Make room for one more job; false if memory ran out. */
static bool queue_grow_locked(void)
{
    if (extatus__pool.count < extatus__pool.capacity)
        return true;
    size_t capacity = extatus__pool.capacity ? extatus__pool.capacity * 2 : 64;
    extatus_worker **queue = extatus__calloc(capacity, sizeof(*queue));
    if (!queue)
        return false;
    for (size_t i = 0; i < extatus__pool.count; i++)
        queue[i] = extatus__pool.queue[(extatus__pool.head + i) % extatus__pool.capacity];
    extatus__free(extatus__pool.queue);
    extatus__pool.queue = queue;
    extatus__pool.capacity = capacity;
    extatus__pool.head = 0;
    return true;
}

void extatus__pool_submit_locked(extatus_worker *worker, uint64_t round, int64_t deadline_ns)
{
    if (worker->inflight || extatus__pool.quit || !queue_grow_locked())
        return; /* still busy with an earlier round (or no memory): no answer this round */
    worker->inflight = true;
    worker->job_round = round;
    worker->job_deadline_ns = deadline_ns;
    extatus__pool.queue[(extatus__pool.head + extatus__pool.count) % extatus__pool.capacity] =
        worker;
    extatus__pool.count++;
}

void extatus__pool_kick_locked(void)
{
    if (extatus__pool.count == 0)
        return;
    /*
     * More jobs than idle threads (the others wait for a mutex or run a
     * report): start threads up to the limit, so that a job does not sit
     * behind a worker that is slow to answer.
     */
    unsigned started = 0;
    while (extatus__pool.thread_count < extatus__pool.max_threads &&
           extatus__pool.idle + started < extatus__pool.count &&
           start_thread_locked() == EXTATUS_OK)
        started++;
    pthread_cond_broadcast(&extatus__pool.work);
}

void extatus__pool_wait_idle(extatus_worker *worker)
{
    pthread_mutex_lock(&extatus__pool.lock);
    while (worker->inflight && !worker->abandoned)
        pthread_cond_wait(&extatus__pool.done, &extatus__pool.lock);
    pthread_mutex_unlock(&extatus__pool.lock);
}

void extatus__pool_release(extatus_worker *worker)
{
    pthread_mutex_lock(&extatus__pool.lock);
    if (worker->inflight || worker->waiting)
        worker->orphan = true; /* the job or the wait frees it when it ends */
    else
        extatus__worker_free(worker);
    pthread_mutex_unlock(&extatus__pool.lock);
}

uint64_t extatus__pool_cpu_ns(void)
{
    uint64_t total = 0;
    pthread_mutex_lock(&extatus__pool.lock);
    for (unsigned i = 0; i < extatus__pool.thread_count; i++) {
        clockid_t clock;
        struct timespec used;
        if (extatus__pool.slots[i].ended)
            continue; /* joined soon; its time is lost with it */
        if (pthread_getcpuclockid(extatus__pool.slots[i].thread, &clock) == 0 &&
            clock_gettime(clock, &used) == 0)
            total += (uint64_t)used.tv_sec * 1000000000u + (uint64_t)used.tv_nsec;
    }
    pthread_mutex_unlock(&extatus__pool.lock);
    return total;
}
