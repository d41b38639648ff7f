/*
 * pool.c - the lock-mode report jobs, run by a pool of core's
 * (core/pool.c).
 *
 * The handler must never wait for one worker: taking a worker's mutex can
 * block until the deadline and its report may be slow. So the handler
 * only queues a job per lock-mode worker and round, and the pool's
 * threads (grown on demand up to extatus_process_options.lock_threads)
 * take the mutex with pthread_mutex_timedlock and the job's deadline,
 * run the report and record the answer.
 *
 * Two rules keep one bad worker from delaying the others:
 *   - a worker has at most one job in flight: while its report (or its
 *     wait for the mutex) goes on, later rounds do not queue another (the
 *     pool refuses a job that is in it already), so a stuck worker ties up
 *     at most one thread and the queue stays bounded by the number of
 *     lock-mode workers;
 *   - a job taken from the queue after its deadline is dropped unrun (the
 *     worker is idle for that round anyway), so a backlog never turns into
 *     reports run late.
 * A worker whose report never returns holds one thread for good; with
 * `lock_threads` such workers every other lock-mode worker shows idle.
 * These threads are not the scheduler's: docs/threading.md says why.
 *
 * The same jobs answer for a checkpoint-mode worker that waits in
 * extatus_worker_wait(): the job takes the mutex the worker waits with,
 * and runs the report only if the worker is still inside the wait (it
 * cannot leave pthread_cond_timedwait without that mutex, so its state
 * stands still while the report reads it).
 *
 * Stopping is bounded: extatus__reports_stop() waits for the threads
 * until a given instant, then leaves behind the ones still in a job. Such
 * a thread keeps its worker record alive (the record is freed by whoever
 * lets go of it last, see `orphan`) and, when its report finally returns,
 * touches nothing of the pool (see core/pool.h).
 */
#include "process/process_internal.h"

#include <stdlib.h>
#include <time.h>

pthread_mutex_t extatus__reports_lock = PTHREAD_MUTEX_INITIALIZER;

/* The threads that run the jobs: core's pool, on extatus__reports_lock. */
static extatus__pool reports = EXTATUS__POOL_INIT(&extatus__reports_lock, "process handler");

static void report_job_run(extatus__job *job);
static void report_job_finished(extatus__job *job, extatus__job_end how);

extatus_worker *extatus__worker_alloc(void)
{
    extatus_worker *worker = calloc(1, sizeof(extatus_worker));
    if (worker) {
        worker->job.run = report_job_run;
        worker->job.finished = report_job_finished;
    }
    return worker;
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

static void report_job_run(extatus__job *job)
{
    extatus_worker *worker = EXTATUS__JOB_OWNER(job, extatus_worker, job);
    run_job(worker, worker->job_round, job->deadline_ns);
}

/* The pool let go of the job (ran, dropped, or returned after a stop). */
static void report_job_finished(extatus__job *job, extatus__job_end how)
{
    (void)how;
    extatus__worker_free_if_unheld_locked(EXTATUS__JOB_OWNER(job, extatus_worker, job));
}

int extatus__reports_start(unsigned max_threads)
{
    pthread_mutex_lock(&extatus__reports_lock);
    int rc = extatus__pool_start_locked(&reports, max_threads, false);
    pthread_mutex_unlock(&extatus__reports_lock);
    return rc;
}

void extatus__reports_stop(int64_t give_up_ns)
{
    extatus__pool_stop(&reports, give_up_ns);
}

void extatus__reports_submit_locked(extatus_worker *worker, uint64_t round, int64_t deadline_ns)
{
    /* Refused while an earlier round's job is in flight: no answer this round. */
    if (extatus__pool_submit_locked(&reports, &worker->job, deadline_ns))
        worker->job_round = round;
}

void extatus__reports_kick_locked(void)
{
    extatus__pool_kick_locked(&reports);
}

void extatus__reports_wait_idle(extatus_worker *worker)
{
    pthread_mutex_lock(&extatus__reports_lock);
    extatus__pool_wait_job_locked(&reports, &worker->job);
    pthread_mutex_unlock(&extatus__reports_lock);
}

bool extatus__worker_free_if_unheld_locked(extatus_worker *worker)
{
    if (!worker->orphan || worker->waiting || extatus__pool_job_busy_locked(&worker->job))
        return false;
    extatus__worker_free(worker);
    return true;
}

void extatus__reports_release(extatus_worker *worker)
{
    pthread_mutex_lock(&extatus__reports_lock);
    worker->orphan = true; /* the job or the wait frees it when it ends, if either holds it */
    extatus__worker_free_if_unheld_locked(worker);
    pthread_mutex_unlock(&extatus__reports_lock);
}

uint64_t extatus__reports_cpu_ns(void)
{
    return extatus__pool_cpu_ns(&reports);
}
