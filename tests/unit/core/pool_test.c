/*
 * pool_test.c - the library's one thread pool (src/core/pool.c), with
 * real threads: jobs run, the cap holds, a job is never in the pool
 * twice, late jobs are dropped, and a stop with a job stuck in a blocking
 * call ends in bounded time while the stuck thread, when it returns,
 * touches nothing that was freed (the pool itself is freed here; ASan and
 * valgrind run this test too).
 */
#include "test_support.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"
#include "core/pool.h"

/* The owners' mutex: static, as pool.h asks (a left-behind thread takes it). */
static pthread_mutex_t owner_lock = PTHREAD_MUTEX_INITIALIZER;

static int setup(void **state)
{
    (void)state;
    if (extatus_process_collector_set_default(0) != EXTATUS_OK)
        return -1;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0) {
    }
}

static int64_t now_ms(void)
{
    return extatus__now_monotonic_ns() / 1000000;
}

/* Wait (at most 10 s) until *value reaches at least `want`; true if it did. */
static bool wait_for(atomic_int *value, int want)
{
    for (int waited = 0; waited < 10000; waited += 2) {
        if (atomic_load(value) >= want)
            return true;
        sleep_ms(2);
    }
    return false;
}

/*
 * A test job, in static storage: a thread may still hold it after a
 * failed assertion leaves the test function. It blocks in read() on a
 * pipe while `gate` is set, until a byte is written to the pipe.
 */
typedef struct test_job {
    extatus__job job;
    atomic_int runs;     /* `run` calls that returned */
    atomic_int inside;   /* `run` calls in progress */
    atomic_int ran;      /* `finished` told RAN */
    atomic_int dropped;  /* `finished` told DROPPED */
    atomic_int returned; /* `finished` told RETURNED */
    int gate;            /* read end of a pipe to block on, or -1 */
} test_job;

static atomic_int inside_all; /* runs in progress, all jobs */
static atomic_int most_all;   /* most runs in progress at once */

static void test_job_run(extatus__job *job)
{
    test_job *self = EXTATUS__JOB_OWNER(job, test_job, job);
    atomic_fetch_add(&self->inside, 1);
    int now = atomic_fetch_add(&inside_all, 1) + 1;
    int most = atomic_load(&most_all);
    while (now > most && !atomic_compare_exchange_weak(&most_all, &most, now)) {
    }
    if (self->gate >= 0) {
        char byte;
        while (read(self->gate, &byte, 1) < 0) { /* a real blocking call */
        }
    }
    atomic_fetch_sub(&inside_all, 1);
    atomic_fetch_sub(&self->inside, 1);
    atomic_fetch_add(&self->runs, 1);
}

static void test_job_finished(extatus__job *job, extatus__job_end how)
{
    test_job *self = EXTATUS__JOB_OWNER(job, test_job, job);
    if (how == EXTATUS__JOB_RAN)
        atomic_fetch_add(&self->ran, 1);
    else if (how == EXTATUS__JOB_DROPPED)
        atomic_fetch_add(&self->dropped, 1);
    else
        atomic_fetch_add(&self->returned, 1);
}

static void job_reset(test_job *job, int gate)
{
    memset(job, 0, sizeof(*job));
    job->job.run = test_job_run;
    job->job.finished = test_job_finished;
    job->gate = gate;
}

static bool submit(extatus__pool *pool, test_job *job, int64_t deadline_ns)
{
    pthread_mutex_lock(&owner_lock);
    bool queued = extatus__pool_submit_locked(pool, &job->job, deadline_ns);
    extatus__pool_kick_locked(pool);
    pthread_mutex_unlock(&owner_lock);
    return queued;
}

static void start(extatus__pool *pool, unsigned max_threads)
{
    pthread_mutex_lock(&owner_lock);
    int rc = extatus__pool_start_locked(pool, max_threads, false);
    pthread_mutex_unlock(&owner_lock);
    assert_ok(rc);
}

static void open_gate(int fds[2])
{
    assert_int_equal(pipe(fds), 0);
}

/* Let `count` blocked runs through. */
static void release(int fds[2], int count)
{
    for (int i = 0; i < count; i++)
        assert_int_equal(write(fds[1], "x", 1), 1);
}

static void close_gate(int fds[2])
{
    close(fds[0]);
    close(fds[1]);
}

/* Start a one-thread pool whose thread is held by `blocker` until a byte comes through `gate`. */
static void start_blocked(extatus__pool *pool, test_job *blocker, int gate[2])
{
    open_gate(gate);
    start(pool, 1);
    job_reset(blocker, gate[0]);
    assert_true(submit(pool, blocker, 0));
    assert_true(wait_for(&blocker->inside, 1));
}

/* Every submitted job runs once and is told so. */
static void test_jobs_run(void **state)
{
    (void)state;
    static extatus__pool pool = EXTATUS__POOL_INIT(&owner_lock, "test pool");
    static test_job jobs[20];
    start(&pool, 2);
    for (int i = 0; i < 20; i++) {
        job_reset(&jobs[i], -1);
        assert_true(submit(&pool, &jobs[i], 0));
    }
    for (int i = 0; i < 20; i++)
        assert_true(wait_for(&jobs[i].ran, 1));
    extatus__pool_stop(&pool, INT64_MAX);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(atomic_load(&jobs[i].runs), 1);
        assert_int_equal(atomic_load(&jobs[i].dropped), 0);
    }
}

/*
 * With a cap of 3 and 8 jobs that block, threads grow to exactly 3: three
 * jobs run at once, the others wait, and all run once let through.
 */
static void test_cap_respected(void **state)
{
    (void)state;
    static extatus__pool pool = EXTATUS__POOL_INIT(&owner_lock, "test pool");
    static test_job jobs[8];
    int gate[2];
    open_gate(gate);
    atomic_store(&most_all, 0);
    start(&pool, 3);
    for (int i = 0; i < 8; i++) {
        job_reset(&jobs[i], gate[0]);
        assert_true(submit(&pool, &jobs[i], 0));
    }
    assert_true(wait_for(&inside_all, 3)); /* grown to the cap on demand */
    sleep_ms(100);
    assert_int_equal(atomic_load(&inside_all), 3); /* and not beyond */
    release(gate, 8);
    for (int i = 0; i < 8; i++)
        assert_true(wait_for(&jobs[i].ran, 1));
    assert_int_equal(atomic_load(&most_all), 3);
    extatus__pool_stop(&pool, INT64_MAX);
    close_gate(gate);
}

/* A job queued or running is refused a second time; once finished it may come again. */
static void test_one_in_flight(void **state)
{
    (void)state;
    static extatus__pool pool = EXTATUS__POOL_INIT(&owner_lock, "test pool");
    static test_job blocker, job;
    int gate[2];
    start_blocked(&pool, &blocker, gate);
    job_reset(&job, -1);
    assert_false(submit(&pool, &blocker, 0)); /* running */
    assert_true(submit(&pool, &job, 0));
    assert_false(submit(&pool, &job, 0)); /* queued behind the blocker (one thread) */
    release(gate, 1);
    assert_true(wait_for(&job.ran, 1));
    assert_true(submit(&pool, &job, 0)); /* finished: welcome again */
    assert_true(wait_for(&job.ran, 2));
    extatus__pool_stop(&pool, INT64_MAX);
    assert_int_equal(atomic_load(&job.runs), 2);
    assert_int_equal(atomic_load(&blocker.runs), 1);
    close_gate(gate);
}

/* A job taken from the queue after its deadline is dropped unrun. */
static void test_late_job_dropped(void **state)
{
    (void)state;
    static extatus__pool pool = EXTATUS__POOL_INIT(&owner_lock, "test pool");
    static test_job blocker, late, timely;
    int gate[2];
    start_blocked(&pool, &blocker, gate);
    job_reset(&late, -1);
    job_reset(&timely, -1);
    int64_t now = extatus__now_monotonic_ns();
    assert_true(submit(&pool, &late, now + 50 * 1000000LL));
    assert_true(submit(&pool, &timely, now + 60 * 1000000000LL));
    sleep_ms(100); /* past the first deadline while the only thread is busy */
    release(gate, 1);
    assert_true(wait_for(&late.dropped, 1));
    assert_true(wait_for(&timely.ran, 1));
    extatus__pool_stop(&pool, INT64_MAX);
    assert_int_equal(atomic_load(&late.runs), 0);
    assert_int_equal(atomic_load(&late.ran), 0);
    assert_int_equal(atomic_load(&timely.runs), 1);
    close_gate(gate);
}

/* A queued job can be taken back: it never runs and is not reported finished. */
static void test_cancel(void **state)
{
    (void)state;
    static extatus__pool pool = EXTATUS__POOL_INIT(&owner_lock, "test pool");
    static test_job blocker, job;
    int gate[2];
    start_blocked(&pool, &blocker, gate);
    job_reset(&job, -1);
    assert_true(submit(&pool, &job, 0));
    pthread_mutex_lock(&owner_lock);
    bool cancelled = extatus__pool_cancel_locked(&pool, &job.job);
    bool busy = extatus__pool_job_busy_locked(&job.job);
    bool again = extatus__pool_cancel_locked(&pool, &job.job);
    pthread_mutex_unlock(&owner_lock);
    assert_true(cancelled);
    assert_false(busy);
    assert_false(again);
    release(gate, 1);
    assert_true(wait_for(&blocker.ran, 1));
    extatus__pool_stop(&pool, INT64_MAX);
    assert_int_equal(atomic_load(&job.runs), 0);
    assert_int_equal(atomic_load(&job.ran) + atomic_load(&job.dropped), 0);
    close_gate(gate);
}

/*
 * Stop with one job stuck in read(): the stop returns soon after its
 * bound, the stuck job is marked abandoned (a wait for it returns), a
 * queued job is dropped, idle threads are joined, and the pool's memory
 * is freed at once. When the stuck call returns later, its thread tells
 * the job's owner and ends; under ASan or valgrind a touch of the freed
 * pool fails the test. The pool then starts again in the same storage.
 */
static void test_stop_leaves_stuck_job_behind(void **state)
{
    (void)state;
    static test_job stuck, queued, quick;
    int gate[2];
    open_gate(gate);
    extatus__pool *pool = malloc(sizeof(*pool));
    assert_non_null(pool);
    *pool = (extatus__pool)EXTATUS__POOL_INIT(&owner_lock, "test pool");
    start(pool, 2);
    job_reset(&stuck, gate[0]);
    job_reset(&queued, gate[0]);
    job_reset(&quick, -1);
    assert_true(submit(pool, &quick, 0));
    assert_true(wait_for(&quick.ran, 1));
    assert_true(submit(pool, &stuck, 0));
    assert_true(wait_for(&stuck.inside, 1));
    /* Hold the other thread too, so that `queued` stays queued. */
    static test_job second;
    job_reset(&second, gate[0]);
    assert_true(submit(pool, &second, 0));
    assert_true(wait_for(&second.inside, 1));
    assert_true(submit(pool, &queued, 0));

    int64_t began = now_ms();
    extatus__pool_stop(pool, extatus__now_monotonic_ns() + 200 * 1000000LL);
    int64_t took = now_ms() - began;
    print_message("stop with two stuck jobs: %lld ms (bound 200 ms)\n", (long long)took);
    assert_true(took >= 195); /* it did wait for the jobs */
    assert_true(took < 2200); /* and gave up on them: bound plus a loaded machine */
    assert_int_equal(atomic_load(&queued.dropped), 1);
    assert_int_equal(atomic_load(&queued.runs), 0);
    pthread_mutex_lock(&owner_lock);
    assert_true(stuck.job.abandoned);
    extatus__pool_wait_job_locked(pool, &stuck.job); /* returns: nobody waits for it */
    bool submitted = extatus__pool_submit_locked(pool, &quick.job, 0);
    pthread_mutex_unlock(&owner_lock);
    assert_false(submitted); /* stopped: takes nothing */
    extatus__pool_dispose(pool);
    free(pool); /* the stuck threads must never touch it again */

    /* A new pool on the same mutex works while the old threads are still out. */
    static extatus__pool again = EXTATUS__POOL_INIT(&owner_lock, "test pool");
    start(&again, 1);
    job_reset(&quick, -1);
    assert_true(submit(&again, &quick, 0));
    assert_true(wait_for(&quick.ran, 1));

    release(gate, 2);
    assert_true(wait_for(&stuck.returned, 1));
    assert_true(wait_for(&second.returned, 1));
    assert_int_equal(atomic_load(&stuck.runs), 1);
    assert_int_equal(atomic_load(&stuck.ran), 0);
    extatus__pool_stop(&again, INT64_MAX);
    close_gate(gate);
    sleep_ms(50); /* let the left-behind threads finish ending before the leak check */
}

/* Spin until the calling thread has used `ms` of CPU time. */
static void spin_cpu_ms(long ms)
{
    struct timespec used;
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &used);
    while ((int64_t)used.tv_sec * 1000 + used.tv_nsec / 1000000 < ms);
}

static atomic_int spun;
static void spin_job_run(extatus__job *job)
{
    (void)job;
    spin_cpu_ms(30);
    atomic_fetch_add(&spun, 1);
}

/* The CPU time of the pool's threads is counted while they live. */
static void test_cpu_time(void **state)
{
    (void)state;
    static extatus__pool pool = EXTATUS__POOL_INIT(&owner_lock, "test pool");
    static extatus__job job = {.run = spin_job_run};
    atomic_store(&spun, 0);
    assert_int_equal(extatus__pool_cpu_ns(&pool), 0); /* never started */
    start(&pool, 1);
    pthread_mutex_lock(&owner_lock);
    assert_true(extatus__pool_submit_locked(&pool, &job, 0));
    extatus__pool_kick_locked(&pool);
    pthread_mutex_unlock(&owner_lock);
    assert_true(wait_for(&spun, 1));
    uint64_t used = extatus__pool_cpu_ns(&pool);
    print_message("pool thread CPU after a 30 ms spin: %llu ns\n", (unsigned long long)used);
    assert_true(used >= 30000000u);
    extatus__pool_stop(&pool, INT64_MAX);
    assert_int_equal(extatus__pool_cpu_ns(&pool), 0); /* no thread left */
}

static void test_bad_start(void **state)
{
    (void)state;
    static extatus__pool pool = EXTATUS__POOL_INIT(&owner_lock, "test pool");
    pthread_mutex_lock(&owner_lock);
    int zero = extatus__pool_start_locked(&pool, 0, false);
    int first = extatus__pool_start_locked(&pool, 2, true);
    int twice = extatus__pool_start_locked(&pool, 2, true);
    pthread_mutex_unlock(&owner_lock);
    assert_int_equal(zero, EXTATUS_ERR_INVALID);
    assert_int_equal(first, EXTATUS_OK);
    assert_int_equal(twice, EXTATUS_ERR_STATE);
    extatus__pool_stop(&pool, INT64_MAX);
    extatus__pool_stop(&pool, INT64_MAX); /* stopping a stopped pool does nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_jobs_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cap_respected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_job_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_leaves_stuck_job_behind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpu_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_start, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
