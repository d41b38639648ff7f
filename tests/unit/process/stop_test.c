/*
 * stop_test.c - stopping is bounded whatever a report does. A lock-mode
 * report that blocks (until the very end of the test) must not keep
 * extatus_process_stop() or extatus_shutdown() from returning within
 * twice the deadline; a deregistration waiting for that report returns
 * too; the library is then initialised and used again; and when the
 * stuck report finally returns, its thread touches nothing freed (ASan,
 * valgrind).
 *
 * Each stop runs on a helper thread so that a stop that never returns
 * fails the test instead of hanging it.
 */
#include "process_helpers.h"

#include <stdio.h>

#include "core/internal.h" /* the scheduler, to show it is not starved */

#define PERIOD   50 /* ms; the deadline is the period */
#define DEADLINE PERIOD
/* The documented bound is 2 x deadline; the rest is slack for a loaded machine. */
#define STOP_BOUND_MS (2 * DEADLINE + 1500)
#define WAIT          2000 /* ms */

/* A lock-mode worker whose report blocks until released. */
typedef struct stuck_worker {
    const char *name;
    pthread_mutex_t lock;      /* the worker's mutex, held by the library during report */
    pthread_mutex_t gate_lock; /* guards released */
    pthread_cond_t gate;       /* signalled on release */
    bool released;             /* the report may return */
    atomic_int entered;        /* report calls started */
    atomic_int returned;       /* report calls that returned */
} stuck_worker;

static const char *stuck_name(void *state)
{
    return ((stuck_worker *)state)->name;
}

static void stuck_report(void *state)
{
    stuck_worker *w = state;
    atomic_fetch_add(&w->entered, 1);
    pthread_mutex_lock(&w->gate_lock);
    while (!w->released)
        pthread_cond_wait(&w->gate, &w->gate_lock);
    pthread_mutex_unlock(&w->gate_lock);
    atomic_fetch_add(&w->returned, 1); /* no library call: the library may be shut down */
}

static const extatus_worker_ops stuck_ops = {EXTATUS_WORKER_OPS_VERSION, stuck_name, stuck_report};

static void stuck_init(stuck_worker *w, const char *name)
{
    memset(w, 0, sizeof(*w));
    w->name = name;
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->gate_lock, NULL);
    pthread_cond_init(&w->gate, NULL);
}

static extatus_worker *stuck_register(stuck_worker *w)
{
    extatus_worker_options options = EXTATUS_WORKER_OPTIONS_INIT;
    options.mode = EXTATUS_WORKER_LOCK;
    options.lock = &w->lock;
    options.watch_thread = 0;
    extatus_worker *handle;
    assert_ok(extatus_process_register(&handle, &stuck_ops, w, &options));
    int64_t until = now_ms() + WAIT;
    while (atomic_load(&w->entered) == 0 && now_ms() < until)
        sleep_ms(2);
    assert_int_equal(atomic_load(&w->entered), 1); /* now stuck in its report */
    return handle;
}

static void stuck_release(stuck_worker *w)
{
    pthread_mutex_lock(&w->gate_lock);
    w->released = true;
    pthread_cond_broadcast(&w->gate);
    pthread_mutex_unlock(&w->gate_lock);
}

/* ---- a call on a helper thread, with a bound ---------------------------------------- */

typedef enum call_kind { CALL_STOP, CALL_SHUTDOWN, CALL_DEREGISTER } call_kind;

typedef struct timed_call {
    call_kind kind;
    extatus_worker *worker; /* CALL_DEREGISTER */
    atomic_int finished;
    int rc;
    int64_t took_ms;
    pthread_t thread;
} timed_call;

static void *timed_call_main(void *arg)
{
    timed_call *call = arg;
    int64_t started = now_ms();
    if (call->kind == CALL_STOP)
        call->rc = extatus_process_stop();
    else if (call->kind == CALL_SHUTDOWN)
        extatus_shutdown();
    else
        call->rc = extatus_process_deregister(call->worker, EXTATUS_REASON_NORMAL);
    call->took_ms = now_ms() - started;
    atomic_store(&call->finished, 1);
    return NULL;
}

static void timed_call_start(timed_call *call, call_kind kind, extatus_worker *worker)
{
    memset(call, 0, sizeof(*call));
    call->kind = kind;
    call->worker = worker;
    assert_int_equal(pthread_create(&call->thread, NULL, timed_call_main, call), 0);
}

/* True if the call returned within `bound_ms`; it is joined then, detached otherwise. */
static bool timed_call_finish(timed_call *call, long bound_ms)
{
    int64_t until = now_ms() + bound_ms + 5000; /* how long we are willing to watch */
    while (!atomic_load(&call->finished) && now_ms() < until)
        sleep_ms(2);
    if (!atomic_load(&call->finished)) {
        pthread_detach(call->thread); /* hangs: leave it, fail below */
        return false;
    }
    pthread_join(call->thread, NULL);
    return call->took_ms <= bound_ms;
}

/* Wait until the detached report thread of `w` has returned from the report. */
static void wait_returned(stuck_worker *w, int count)
{
    int64_t until = now_ms() + WAIT;
    while (atomic_load(&w->returned) < count && now_ms() < until)
        sleep_ms(2);
    assert_int_equal(atomic_load(&w->returned), count);
    sleep_ms(50); /* let its thread finish with the worker record and end */
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_stop_with_a_stuck_report_is_bounded(void **state)
{
    (void)state;
    static recorder rec; /* static: still valid if a failed assertion leaves it subscribed */
    recorder_init(&rec);
    extatus_subscriber *subscriber;
    assert_ok(extatus_events_subscribe(&subscriber, recorder_fn, &rec));
    start_handler(PERIOD, 0, 5000);
    static stuck_worker stuck, blocked_deregister;
    stuck_init(&stuck, "stuck_report");
    stuck_init(&blocked_deregister, "stuck_deregistered");
    stuck_register(&stuck);
    extatus_worker *other = stuck_register(&blocked_deregister);

    /* A deregistration waits for the report in progress: it blocks until stop. */
    timed_call deregister;
    timed_call_start(&deregister, CALL_DEREGISTER, other);
    sleep_ms(4 * PERIOD);
    assert_int_equal(atomic_load(&deregister.finished), 0);

    timed_call stop;
    timed_call_start(&stop, CALL_STOP, NULL);
    bool stop_in_time = timed_call_finish(&stop, STOP_BOUND_MS);
    if (atomic_load(&stop.finished))
        printf("extatus_process_stop with two stuck reports: %lld ms (bound %d ms)\n",
               (long long)stop.took_ms, STOP_BOUND_MS);
    else
        printf("extatus_process_stop with two stuck reports: did not return\n");
    assert_true(stop_in_time);
    assert_int_equal(stop.rc, EXTATUS_OK);
    assert_true(stop.took_ms >= 2 * DEADLINE - 5); /* it did give the reports their grace */
    assert_true(timed_call_finish(&deregister, STOP_BOUND_MS));
    assert_int_equal(deregister.rc, EXTATUS_OK);
    long down = recorder_wait(&rec, 0, "stuck_report", EXTATUS_PROCESS_DOWN, 0);
    assert_true(down >= 0); /* taken down before stop returned */
    assert_int_equal(rec.events[down].reason, EXTATUS_REASON_SHUTDOWN);
    assert_true(recorder_wait(&rec, 0, "stuck_deregistered", EXTATUS_PROCESS_DOWN, 0) >= 0);
    extatus_events_unsubscribe(subscriber);

    /* The library starts again and works, the old reports still stuck. */
    start_handler(PERIOD, 0, 5000);
    static test_worker fresh;
    test_worker_init(&fresh, "fresh_after_stop", EXTATUS_WORKER_LOCK);
    test_worker_start(&fresh);
    assert_true(test_worker_wait_reports(&fresh, 3, WAIT));
    assert_true(activity_of("fresh_after_stop") == 2);
    atomic_store(&fresh.control, DEREG);
    test_worker_join(&fresh);

    /* And extatus_shutdown() with another stuck report is bounded too. */
    static stuck_worker late;
    stuck_init(&late, "stuck_at_shutdown");
    stuck_register(&late);
    timed_call shutdown;
    timed_call_start(&shutdown, CALL_SHUTDOWN, NULL);
    bool shutdown_in_time = timed_call_finish(&shutdown, STOP_BOUND_MS);
    if (atomic_load(&shutdown.finished))
        printf("extatus_shutdown with a stuck report: %lld ms (bound %d ms)\n",
               (long long)shutdown.took_ms, STOP_BOUND_MS);
    else
        printf("extatus_shutdown with a stuck report: did not return\n");
    assert_true(shutdown_in_time);

    /* Re-initialise and use the library while three reports are still stuck. */
    assert_ok(extatus_init());
    extatus_counter *counter;
    assert_ok(extatus_counter_new(&counter, NULL, "after_stuck_total", "Counted after."));
    extatus_counter_inc(counter);
    assert_true(extatus_counter_value(counter) == 1);
    start_handler(PERIOD, 0, 5000);
    static test_worker again;
    test_worker_init(&again, "again_after_shutdown", EXTATUS_WORKER_CHECKPOINT);
    test_worker_start(&again);
    assert_true(test_worker_wait_reports(&again, 3, WAIT));
    atomic_store(&again.control, DEREG);
    test_worker_join(&again);
    assert_ok(extatus_process_stop());

    /* The stuck reports return now: their threads end without touching freed memory. */
    stuck_release(&stuck);
    stuck_release(&blocked_deregister);
    stuck_release(&late);
    wait_returned(&stuck, 1);
    wait_returned(&blocked_deregister, 1);
    wait_returned(&late, 1);
    extatus_shutdown();
}

static atomic_int ticks;
static void tick(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ticks, 1);
}

/*
 * Reports stuck for good hold every lock-mode report thread; the
 * scheduler (probes, reporters) runs on threads of its own and keeps its
 * pace meanwhile (docs/threading.md: why the two pools share no thread).
 */
static void test_stuck_reports_leave_the_scheduler_alone(void **state)
{
    (void)state;
    extatus_process_options options = EXTATUS_PROCESS_OPTIONS_INIT;
    options.timeout_ms = PERIOD;
    options.retention_ms = 5000;
    options.lock_threads = 2;
    assert_ok(extatus_process_start(&options));
    static stuck_worker first, second;
    stuck_init(&first, "stuck_first");
    stuck_init(&second, "stuck_second");
    stuck_register(&first);
    stuck_register(&second); /* both report threads are held now */

    atomic_store(&ticks, 0);
    extatus__task *task = NULL;
    int64_t started = now_ms();
    assert_ok(extatus__sched_add(&task, 20, 0, tick, NULL));
    while (atomic_load(&ticks) < 10 && now_ms() - started < 5000)
        sleep_ms(2);
    int64_t took = now_ms() - started;
    extatus__sched_remove(task);
    printf("scheduler beside two stuck reports: %d runs in %lld ms\n", atomic_load(&ticks),
           (long long)took);
    assert_true(atomic_load(&ticks) >= 10); /* about 200 ms; 5 s is a loaded machine's slack */

    timed_call stop;
    timed_call_start(&stop, CALL_STOP, NULL);
    assert_true(timed_call_finish(&stop, STOP_BOUND_MS));
    stuck_release(&first);
    stuck_release(&second);
    wait_returned(&first, 1);
    wait_returned(&second, 1);
    extatus_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_with_a_stuck_report_is_bounded),
        cmocka_unit_test(test_stuck_reports_leave_the_scheduler_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
