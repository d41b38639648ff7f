/*
 * scheduler_test.c - the library's clock and worker pool
 * (src/core/scheduler.c), with real threads and short real intervals.
 */
#include "test_support.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/internal.h"

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
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Wait (at most 5 s) until *value reaches at least `want`; true if it did. */
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
 * Jobs live in static storage: a failed assertion leaves the test
 * function while the scheduler may still run a job, so a job must never
 * live on a test's stack.
 */
typedef struct job {
    atomic_int runs;   /* completed runs */
    atomic_int inside; /* runs in progress right now */
    atomic_int most;   /* most runs in progress at once */
    long sleep_ms;     /* how long one run takes */
} job;

static void job_run(void *arg)
{
    job *self = arg;
    int now = atomic_fetch_add(&self->inside, 1) + 1;
    int most = atomic_load(&self->most);
    while (now > most && !atomic_compare_exchange_weak(&self->most, &most, now)) {
    }
    if (self->sleep_ms)
        sleep_ms(self->sleep_ms);
    atomic_fetch_sub(&self->inside, 1);
    atomic_fetch_add(&self->runs, 1);
}

/* A 20 ms task runs about 15 times in 300 ms, the first at once. */
static void test_runs_at_interval(void **state)
{
    (void)state;
    static job fast;
    memset(&fast, 0, sizeof(fast));
    extatus__task *task = NULL;
    int64_t start = now_ms();
    assert_ok(extatus__sched_add(&task, 20, 0, job_run, &fast));
    assert_true(wait_for(&fast.runs, 8)); /* first at once, then every 20 ms */
    int64_t took = now_ms() - start;
    int runs = atomic_load(&fast.runs);
    extatus__sched_remove(task);
    print_message("20 ms task: %d runs in %lld ms\n", runs, (long long)took);
    assert_true(took >= 7 * 20 - 5);    /* never faster than the interval */
    assert_true(runs <= took / 20 + 2); /* and no bursts */
    int after = atomic_load(&fast.runs);
    sleep_ms(60);
    assert_int_equal(atomic_load(&fast.runs), after); /* removed: no more runs */
}

/*
 * A task that takes 100 ms at a 20 ms interval is skipped, never stacked
 * (at most one run at a time), and the skips are counted; a fast task
 * beside it keeps its pace.
 */
static void test_slow_task_is_skipped_and_delays_no_other(void **state)
{
    (void)state;
    static job slow, fast;
    memset(&slow, 0, sizeof(slow));
    memset(&fast, 0, sizeof(fast));
    slow.sleep_ms = 100;
    extatus__task *slow_task = NULL, *fast_task = NULL;
    int64_t start = now_ms();
    assert_ok(extatus__sched_add(&slow_task, 20, 0, job_run, &slow));
    assert_ok(extatus__sched_add(&fast_task, 20, 0, job_run, &fast));
    assert_true(wait_for(&fast.runs, 12));
    int64_t took = now_ms() - start;
    uint64_t runs = 0, skips = 0;
    extatus__sched_stats(slow_task, &runs, &skips);
    extatus__sched_remove(slow_task);
    extatus__sched_remove(fast_task);
    print_message("fast: 12 runs in %lld ms; slow: %llu runs, %llu skips\n", (long long)took,
                  (unsigned long long)runs, (unsigned long long)skips);
    assert_int_equal(atomic_load(&slow.most), 1); /* never two runs at once */
    assert_true(runs >= 1 && runs <= (uint64_t)(took / 100 + 2));
    assert_true(skips >= 1);
    assert_true(took >= 11 * 20 - 5); /* the fast one at its own pace */
}

/* Removing waits for a run in progress: nothing runs on the argument afterwards. */
static void test_remove_waits_for_run(void **state)
{
    (void)state;
    static job slow;
    memset(&slow, 0, sizeof(slow));
    slow.sleep_ms = 80;
    extatus__task *task = NULL;
    assert_ok(extatus__sched_add(&task, 1000, 0, job_run, &slow));
    assert_true(wait_for(&slow.inside, 1)); /* the run is in progress */
    extatus__sched_remove(task);
    assert_int_equal(atomic_load(&slow.inside), 0);
    assert_int_equal(atomic_load(&slow.runs), 1);
}

typedef struct self_remover {
    extatus__task *task;
    atomic_int runs;
    atomic_int current_ok; /* extatus__sched_current() named the task */
} self_remover;

/* Runs on a worker: no cmocka asserts here, only records. */
static void remove_myself(void *arg)
{
    self_remover *self = arg;
    atomic_store(&self->current_ok, extatus__sched_current() == self->task);
    extatus__sched_remove(self->task); /* from inside its own run: must not wait for itself */
    atomic_fetch_add(&self->runs, 1);
}

static void test_remove_from_inside_run(void **state)
{
    (void)state;
    static self_remover self;
    atomic_store(&self.runs, 0);
    assert_ok(extatus__sched_add(&self.task, 10, 30, remove_myself, &self));
    assert_true(wait_for(&self.runs, 1));
    sleep_ms(60);
    assert_int_equal(atomic_load(&self.runs), 1);
    assert_true(atomic_load(&self.current_ok));
    assert_null(extatus__sched_current()); /* not inside a run here */
}

/* Shutdown stops the threads with tasks still registered; init starts afresh. */
static void test_shutdown_and_again(void **state)
{
    (void)state;
    static job fast;
    memset(&fast, 0, sizeof(fast));
    extatus__task *task = NULL;
    assert_ok(extatus__sched_add(&task, 10, 0, job_run, &fast));
    assert_true(wait_for(&fast.runs, 1));
    extatus_shutdown(); /* stops the threads and frees the task */
    int runs = atomic_load(&fast.runs);
    sleep_ms(30);
    assert_int_equal(atomic_load(&fast.runs), runs);
    assert_ok(extatus_init());
    assert_ok(extatus__sched_add(&task, 10, 0, job_run, &fast));
    assert_true(wait_for(&fast.runs, runs + 1));
    extatus__sched_remove(task);
}

static void test_bad_task(void **state)
{
    (void)state;
    extatus__task *task = (extatus__task *)1;
    assert_extatus(EXTATUS_ERR_INVALID, extatus__sched_add(&task, -1, 0, job_run, NULL));
    assert_null(task);
    assert_extatus(EXTATUS_ERR_INVALID, extatus__sched_add(&task, 10, 0, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_runs_at_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_task_is_skipped_and_delays_no_other, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_remove_waits_for_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_from_inside_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_and_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_task, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
