/*
 * pool_stress_test.c - the library's one thread pool (src/core/pool.c)
 * under ThreadSanitizer (halt_on_error): threads submit, cancel and wait
 * for jobs while pools are started and stopped with jobs stuck in a
 * blocking read(); each stopped pool is freed at once and its stuck
 * threads return later. Any data race fails the test, and every job
 * accepted by a pool must end exactly once: run, dropped, returned after
 * the stop, or taken back by a cancel.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/pool.h"

#define CYCLES     12
#define SUBMITTERS 3
#define JOBS_EACH  8
#define STUCK_JOBS 2
#define CYCLE_MS   60

static pthread_mutex_t owner_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct stress_job {
    extatus__job job;
    int gate;           /* pipe to block on, or -1 */
    long accepted;      /* submits the pool took (under owner_lock) */
    long cancelled;     /* cancels that took it back (under owner_lock) */
    long ended;         /* `finished` calls (under owner_lock) */
    atomic_long inside; /* runs in progress */
} stress_job;

static stress_job jobs[SUBMITTERS][JOBS_EACH];
static stress_job stuck[STUCK_JOBS];
static extatus__pool *_Atomic current_pool;
static atomic_int stop_submitting;
static atomic_long total_runs;
static int waiters; /* submitters inside a wait on the current pool (under owner_lock) */

static void stress_run(extatus__job *job)
{
    stress_job *self = EXTATUS__JOB_OWNER(job, stress_job, job);
    atomic_fetch_add(&self->inside, 1);
    if (self->gate >= 0) {
        char byte;
        while (read(self->gate, &byte, 1) < 0) {
        }
    }
    atomic_fetch_sub(&self->inside, 1);
    atomic_fetch_add(&total_runs, 1);
}

static void stress_finished(extatus__job *job, extatus__job_end how)
{
    (void)how;
    EXTATUS__JOB_OWNER(job, stress_job, job)->ended++; /* under owner_lock */
}

static void *submitter_main(void *arg)
{
    stress_job *mine = arg;
    unsigned turn = 0;
    while (!atomic_load(&stop_submitting)) {
        stress_job *job = &mine[turn++ % JOBS_EACH];
        pthread_mutex_lock(&owner_lock);
        extatus__pool *pool = atomic_load(&current_pool);
        if (pool) {
            int64_t deadline = turn % 3 ? 0 : extatus__now_monotonic_ns() + 1000000;
            if (extatus__pool_submit_locked(pool, &job->job, deadline))
                job->accepted++;
            extatus__pool_kick_locked(pool);
            if (turn % 5 == 0 && extatus__pool_cancel_locked(pool, &job->job))
                job->cancelled++;
            if (turn % 7 == 0) {
                waiters++; /* the pool's storage must outlive the wait */
                extatus__pool_wait_job_locked(pool, &job->job);
                waiters--;
            }
        }
        pthread_mutex_unlock(&owner_lock);
    }
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0) {
    }
}

static void test_pool_stress(void **state)
{
    (void)state;
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    for (int s = 0; s < SUBMITTERS; s++)
        for (int j = 0; j < JOBS_EACH; j++)
            jobs[s][j] =
                (stress_job){.job = {.run = stress_run, .finished = stress_finished}, .gate = -1};
    for (int j = 0; j < STUCK_JOBS; j++)
        stuck[j] =
            (stress_job){.job = {.run = stress_run, .finished = stress_finished}, .gate = gate[0]};
    pthread_t submitters[SUBMITTERS];
    for (int s = 0; s < SUBMITTERS; s++)
        assert_int_equal(pthread_create(&submitters[s], NULL, submitter_main, jobs[s]), 0);

    int released = 0;
    for (int cycle = 0; cycle < CYCLES; cycle++) {
        extatus__pool *pool = malloc(sizeof(*pool));
        assert_non_null(pool);
        *pool = (extatus__pool)EXTATUS__POOL_INIT(&owner_lock, "stress pool");
        pthread_mutex_lock(&owner_lock);
        assert_int_equal(extatus__pool_start_locked(pool, 4, cycle % 2 == 0), EXTATUS_OK);
        for (int j = 0; j < STUCK_JOBS; j++)
            if (extatus__pool_submit_locked(pool, &stuck[j].job, 0))
                stuck[j].accepted++;
        extatus__pool_kick_locked(pool);
        atomic_store(&current_pool, pool);
        pthread_mutex_unlock(&owner_lock);
        sleep_ms(CYCLE_MS);
        pthread_mutex_lock(&owner_lock);
        atomic_store(&current_pool, NULL);
        pthread_mutex_unlock(&owner_lock);
        extatus__pool_stop(pool, extatus__now_monotonic_ns() + 20 * 1000000LL);
        extatus__pool_dispose(pool);
        free(pool);           /* left-behind threads must not touch it */
        if (cycle % 3 == 2) { /* let the stuck jobs return now and then */
            for (int j = 0; j < STUCK_JOBS; j++)
                assert_int_equal(write(gate[1], "x", 1), 1);
            released += STUCK_JOBS;
        }
    }
    atomic_store(&stop_submitting, 1);
    for (int s = 0; s < SUBMITTERS; s++)
        pthread_join(submitters[s], NULL);
    /* Let every stuck run return, then check the books. */
    for (int i = 0; i < STUCK_JOBS * CYCLES; i++)
        assert_int_equal(write(gate[1], "x", 1), 1);
    for (int waited = 0; waited < 10000; waited += 10) {
        pthread_mutex_lock(&owner_lock);
        bool out = false;
        for (int j = 0; j < STUCK_JOBS; j++)
            out = out || stuck[j].ended < stuck[j].accepted;
        pthread_mutex_unlock(&owner_lock);
        if (!out)
            break;
        sleep_ms(10);
    }
    sleep_ms(20); /* the last left-behind threads free their records and end */
    pthread_mutex_lock(&owner_lock);
    long accepted = 0;
    for (int s = 0; s < SUBMITTERS; s++)
        for (int j = 0; j < JOBS_EACH; j++) {
            stress_job *job = &jobs[s][j];
            assert_int_equal(job->accepted, job->cancelled + job->ended);
            assert_false(extatus__pool_job_busy_locked(&job->job));
            accepted += job->accepted;
        }
    for (int j = 0; j < STUCK_JOBS; j++) {
        assert_int_equal(stuck[j].accepted, stuck[j].ended);
        assert_true(stuck[j].accepted >= 2); /* it came back after returning */
    }
    pthread_mutex_unlock(&owner_lock);
    printf("pool stress: %ld jobs accepted, %ld runs, %d stuck runs let go early\n", accepted,
           atomic_load(&total_runs), released);
    assert_true(atomic_load(&total_runs) > CYCLES);
    close(gate[0]);
    close(gate[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
