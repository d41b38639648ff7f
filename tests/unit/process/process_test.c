/*
 * process_test.c - workers, the handler, both modes, down detection,
 * retention and configuration (src/process/process.c, src/process/pool.c).
 *
 * Everything runs on real threads with a 50 ms period; no mocks. Waits
 * are bounded and generous (a noisy 2-core machine), and each assertion
 * checks something that a broken handler would get wrong.
 */
#include "recorder_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* A string literal as a worker's state (the tests' get_name returns it). */
#define STATE(text) ((void *)(uintptr_t)(text))

#define PERIOD 50   /* ms */
#define WAIT   2000 /* ms: longest wait for one expected transition */

/* ---- registration -------------------------------------------------------------- */

static const char *name_of(void *state)
{
    return state;
}

static const char *null_name(void *state)
{
    (void)state;
    return NULL;
}

static void test_register_rejects_bad_input(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 1000);
    extatus_worker *worker = NULL;
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};
    extatus_worker_ops no_name = {EXTATUS_WORKER_OPS_VERSION, NULL, NULL};
    extatus_worker_ops old = {99, name_of, NULL};
    extatus_worker_ops returns_null = {EXTATUS_WORKER_OPS_VERSION, null_name, NULL};
    char too_long[200];
    memset(too_long, 'x', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    char bad_utf8[] = {'a', (char)0xff, 'b', 0};

    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_register(NULL, &ops, STATE("w"), NULL));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_register(&worker, NULL, STATE("w"), NULL));
    assert_extatus(EXTATUS_ERR_INVALID,
                   extatus_process_register(&worker, &no_name, STATE("w"), NULL));
    assert_non_null(strstr(extatus_error_last(), "get_name"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_register(&worker, &old, STATE("w"), NULL));
    assert_extatus(EXTATUS_ERR_CALLBACK,
                   extatus_process_register(&worker, &returns_null, STATE("w"), NULL));
    assert_extatus(EXTATUS_ERR_LABEL, extatus_process_register(&worker, &ops, STATE(""), NULL));
    assert_extatus(EXTATUS_ERR_LABEL, extatus_process_register(&worker, &ops, too_long, NULL));
    assert_non_null(strstr(extatus_error_last(), "199 bytes"));
    assert_extatus(EXTATUS_ERR_LABEL, extatus_process_register(&worker, &ops, bad_utf8, NULL));
    assert_non_null(strstr(extatus_error_last(), "UTF-8"));

    extatus_worker_options lock_without_mutex = EXTATUS_WORKER_OPTIONS_INIT;
    lock_without_mutex.mode = EXTATUS_WORKER_LOCK;
    assert_extatus(EXTATUS_ERR_INVALID,
                   extatus_process_register(&worker, &ops, STATE("locky"), &lock_without_mutex));
    assert_non_null(strstr(extatus_error_last(), "'locky'"));
    extatus_worker_options bad_mode = EXTATUS_WORKER_OPTIONS_INIT;
    bad_mode.mode = (extatus_worker_mode)7;
    assert_extatus(EXTATUS_ERR_INVALID,
                   extatus_process_register(&worker, &ops, STATE("m"), &bad_mode));
    assert_null(worker);

    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.workers, 0); /* nothing half-registered */
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_deregister(NULL, EXTATUS_REASON_NORMAL));
}

static void test_register_twice_and_duplicate_name(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 1000);
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};
    char first_state[] = "dup";
    char second_state[] = "dup";
    extatus_worker *first, *again, *other = NULL;
    assert_ok(extatus_process_register(&first, &ops, first_state, NULL));
    assert_ok(extatus_process_register(&again, &ops, first_state, NULL));
    assert_ptr_equal(first, again); /* the existing registration */
    assert_extatus(EXTATUS_ERR_EXISTS, extatus_process_register(&other, &ops, second_state, NULL));
    assert_null(other);
    assert_non_null(strstr(extatus_error_last(), "'dup'"));

    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.workers, 1);
    assert_true(activity_of("dup") == 2); /* registered: up before its first poll */

    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_deregister(first, EXTATUS_REASON_ANSWERED));
    assert_extatus(EXTATUS_ERR_INVALID,
                   extatus_process_deregister(first, EXTATUS_REASON_THREAD_EXIT));
    assert_ok(extatus_process_deregister(first, EXTATUS_REASON_NORMAL));
    /* The name is free again at once: a restart may take it. */
    assert_ok(extatus_process_register(&other, &ops, second_state, NULL));
    assert_ok(extatus_process_deregister(other, EXTATUS_REASON_ERROR));
}

/* ---- checkpoint mode --------------------------------------------------------------- */

static void test_checkpoint_up_idle_down(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static test_worker w;
    test_worker_init(&w, "counter_server", EXTATUS_WORKER_CHECKPOINT);
    test_worker_start(&w);

    long up = recorder_wait(&rec, 0, "counter_server", EXTATUS_PROCESS_UP, WAIT);
    assert_true(up >= 0);
    assert_true(test_worker_wait_reports(&w, 1, WAIT)); /* and it answered a poll */
    assert_int_equal(rec.events[up].reason, EXTATUS_REASON_ANSWERED);
    assert_true(activity_of("counter_server") == 2);
    assert_int_equal(atomic_load(&w.report_on_worker), 1); /* report ran in the worker's thread */
    assert_true(extatus_gauge_value(w.instrument) > 0);    /* and reported its state */

    atomic_store(&w.control, PAUSE); /* busy: stops calling the checkpoint */
    long idle = recorder_wait(&rec, (size_t)up, "counter_server", EXTATUS_PROCESS_IDLE, WAIT);
    assert_true(idle > up);
    assert_int_equal(rec.events[idle].reason, EXTATUS_REASON_TIMEOUT);
    assert_true(activity_of("counter_server") == 1);

    atomic_store(&w.control, RUN);
    long back = recorder_wait(&rec, (size_t)idle, "counter_server", EXTATUS_PROCESS_UP, WAIT);
    assert_true(back > idle);

    atomic_store(&w.control, DEREG);
    test_worker_join(&w);
    long down = recorder_wait(&rec, (size_t)back, "counter_server", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down > back);
    assert_int_equal(rec.events[down].reason, EXTATUS_REASON_NORMAL);
    assert_true(activity_of("counter_server") == 0);
    assert_true(exits_of("counter_server", "normal") == 1);
    assert_true(exits_of("counter_server", "thread_exit") == -1);

    char path[64];
    recorder_path(&rec, "counter_server", path, sizeof(path));
    assert_string_equal(path, "UIUD"); /* only transitions, in order */
}

static void test_checkpoint_thread_exit_without_deregister(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static test_worker w;
    test_worker_init(&w, "leaver", EXTATUS_WORKER_CHECKPOINT);
    test_worker_start(&w);
    assert_true(recorder_wait(&rec, 0, "leaver", EXTATUS_PROCESS_UP, WAIT) >= 0);

    atomic_store(&w.control, LEAVE); /* the thread returns; nobody deregisters */
    test_worker_join(&w);
    long down = recorder_wait(&rec, 0, "leaver", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down >= 0);
    assert_int_equal(rec.events[down].reason, EXTATUS_REASON_THREAD_EXIT);
    assert_true(activity_of("leaver") == 0);
    assert_true(exits_of("leaver", "thread_exit") == 1);
}

static void test_checkpoint_blocked_forever_others_served(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static test_worker stuck, fine;
    test_worker_init(&stuck, "stuck", EXTATUS_WORKER_CHECKPOINT);
    test_worker_init(&fine, "fine", EXTATUS_WORKER_CHECKPOINT);
    test_worker_start(&stuck);
    test_worker_start(&fine);
    assert_true(recorder_wait(&rec, 0, "stuck", EXTATUS_PROCESS_UP, WAIT) >= 0);

    atomic_store(&stuck.control, BLOCKED); /* never answers again (until released) */
    assert_true(recorder_wait(&rec, 0, "stuck", EXTATUS_PROCESS_IDLE, WAIT) >= 0);
    int before = atomic_load(&fine.reports);
    sleep_ms(20 * PERIOD);
    int served = atomic_load(&fine.reports) - before;
    assert_true(served >= 10); /* about 20 polls answered meanwhile */
    assert_true(served <= 30); /* and only when asked */
    assert_true(activity_of("stuck") == 1);
    assert_true(activity_of("fine") == 2);

    atomic_store(&stuck.release, 1);
    atomic_store(&stuck.control, DEREG);
    atomic_store(&fine.control, DEREG);
    test_worker_join(&stuck);
    test_worker_join(&fine);
}

static void test_report_cannot_deregister_itself(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static test_worker w;
    test_worker_init(&w, "selfish", EXTATUS_WORKER_CHECKPOINT);
    w.report_deregisters = true;
    atomic_store(&w.deregister_rc, 1);
    test_worker_start(&w);
    assert_true(recorder_wait(&rec, 0, "selfish", EXTATUS_PROCESS_UP, WAIT) >= 0);
    assert_true(test_worker_wait_reports(&w, 1, WAIT));
    assert_int_equal(atomic_load(&w.deregister_rc), EXTATUS_ERR_STATE);
    atomic_store(&w.control, DEREG);
    test_worker_join(&w);
    assert_true(recorder_wait(&rec, 0, "selfish", EXTATUS_PROCESS_DOWN, WAIT) >= 0);
}

/* ---- lock mode ------------------------------------------------------------------- */

static void test_lock_up_idle_down(void **state)
{
    (void)state;
    start_handler(PERIOD, 30, 5000);
    static test_worker w;
    test_worker_init(&w, "guarded", EXTATUS_WORKER_LOCK);
    test_worker_start(&w);

    long up = recorder_wait(&rec, 0, "guarded", EXTATUS_PROCESS_UP, WAIT);
    assert_true(up >= 0);
    assert_true(test_worker_wait_reports(&w, 1, WAIT));
    assert_int_equal(atomic_load(&w.report_on_worker), 0); /* ran in the library */
    assert_int_equal(atomic_load(&w.report_had_lock), 1);  /* under the worker's mutex */
    assert_true(extatus_gauge_value(w.instrument) > 0);

    pthread_mutex_lock(&w.lock); /* the worker is busy with its state */
    long idle = recorder_wait(&rec, (size_t)up, "guarded", EXTATUS_PROCESS_IDLE, WAIT);
    int reports = atomic_load(&w.reports);
    sleep_ms(3 * PERIOD);
    assert_int_equal(atomic_load(&w.reports), reports); /* no report without the lock */
    pthread_mutex_unlock(&w.lock);
    assert_true(idle > up);
    assert_int_equal(rec.events[idle].reason, EXTATUS_REASON_TIMEOUT);

    long back = recorder_wait(&rec, (size_t)idle, "guarded", EXTATUS_PROCESS_UP, WAIT);
    assert_true(back > idle);
    atomic_store(&w.control, LEAVE);
    test_worker_join(&w);
    long down = recorder_wait(&rec, (size_t)back, "guarded", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down > back);
    assert_int_equal(rec.events[down].reason, EXTATUS_REASON_THREAD_EXIT);
    assert_true(exits_of("guarded", "thread_exit") == 1);
}

/* A lock-mode worker whose report registers metrics of its own as it goes. */
typedef struct registering_worker {
    pthread_mutex_t lock; /* guards value */
    int value;            /* the state */
    atomic_int reports;   /* report calls */
    atomic_int failures;  /* registrations that failed */
} registering_worker;

static const char *registering_name(void *state)
{
    (void)state;
    return "registrar";
}

static void registering_report(void *state)
{
    registering_worker *self = state;
    int n = atomic_fetch_add(&self->reports, 1);
    char name[32];
    snprintf(name, sizeof name, "dynamic_metric_%d", n % 3); /* new, then the same again */
    extatus_gauge *gauge;
    if (extatus_gauge_new(&gauge, NULL, name, "Registered by a report.") != EXTATUS_OK)
        atomic_fetch_add(&self->failures, 1);
    else
        extatus_gauge_set(gauge, self->value);
}

static void test_report_that_registers_metrics(void **state)
{
    (void)state;
    start_handler(PERIOD, 30, 5000);
    static registering_worker w;
    memset(&w, 0, sizeof w);
    pthread_mutex_init(&w.lock, NULL);
    w.value = 7;
    static const extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, registering_name,
                                           registering_report};
    extatus_worker_options options = EXTATUS_WORKER_OPTIONS_INIT;
    options.mode = EXTATUS_WORKER_LOCK;
    options.lock = &w.lock;
    options.watch_thread = 0;
    extatus_worker *worker = NULL;
    assert_ok(extatus_process_register(&worker, &ops, &w, &options));
    static test_worker other;
    test_worker_init(&other, "bystander", EXTATUS_WORKER_CHECKPOINT);
    test_worker_start(&other);

    long up = recorder_wait(&rec, 0, "registrar", EXTATUS_PROCESS_UP, WAIT);
    assert_true(up >= 0);
    int64_t until = now_ms() + WAIT;
    while (atomic_load(&w.reports) < 4 && now_ms() < until)
        sleep_ms(5);
    assert_true(atomic_load(&w.reports) >= 4);
    assert_int_equal(atomic_load(&w.failures), 0);
    for (int i = 0; i < 3; i++) {
        char name[32];
        extatus_value value;
        const char *datapoint[] = {"value"};
        snprintf(name, sizeof name, "dynamic_metric_%d", i);
        assert_ok(extatus_get_value(NULL, name, EXTATUS_NO_LABELS, datapoint, 1, &value));
        assert_true(value.number == 7);
    }
    assert_true(activity_of("registrar") == 2);
    assert_true(recorder_wait(&rec, 0, "bystander", EXTATUS_PROCESS_UP, WAIT) >= 0);
    assert_true(activity_of("bystander") == 2);
    atomic_store(&other.control, LEAVE);
    test_worker_join(&other);
    assert_ok(extatus_process_deregister(worker, EXTATUS_REASON_NORMAL));
    pthread_mutex_destroy(&w.lock);
}

static void test_lock_deregister_with_error(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static test_worker w;
    test_worker_init(&w, "failing", EXTATUS_WORKER_LOCK);
    w.watch_thread = 0; /* registered here, served by nobody in particular */
    w.thread = pthread_self();
    assert_ok(test_worker_register(&w));
    assert_true(recorder_wait(&rec, 0, "failing", EXTATUS_PROCESS_UP, WAIT) >= 0);
    assert_ok(extatus_process_deregister(w.handle, EXTATUS_REASON_ERROR));
    int reports = atomic_load(&w.reports);
    long down = recorder_wait(&rec, 0, "failing", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down >= 0);
    assert_int_equal(rec.events[down].reason, EXTATUS_REASON_ERROR);
    assert_true(exits_of("failing", "error") == 1);
    sleep_ms(3 * PERIOD);
    assert_int_equal(atomic_load(&w.reports), reports); /* never called after deregister */
}

/* The reasons of a worker standing for an outside process: each is an exit reason, counted. */
static void test_deregister_with_outside_process_reasons(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static const extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};
    extatus_worker_options options = EXTATUS_WORKER_OPTIONS_INIT;
    options.watch_thread = 0;
    static char killed[] = "killed", stopped[] = "stopped", missing[] = "missing";
    char *names[] = {killed, stopped, missing};
    extatus_process_reason reasons[] = {EXTATUS_REASON_SIGNAL, EXTATUS_REASON_STOPPING,
                                        EXTATUS_REASON_ABSENT};
    const char *labels[] = {"signal", "stopping", "absent"};
    for (int i = 0; i < 3; i++) {
        extatus_worker *worker;
        assert_ok(extatus_process_register(&worker, &ops, names[i], &options));
        assert_ok(extatus_process_deregister(worker, reasons[i]));
        long down = recorder_wait(&rec, 0, names[i], EXTATUS_PROCESS_DOWN, WAIT);
        assert_true(down >= 0);
        assert_int_equal(rec.events[down].reason, reasons[i]);
        assert_true(exits_of(names[i], labels[i]) == 1);
        assert_true(activity_of(names[i]) == 0);
        assert_string_equal(extatus_process_reason_name(reasons[i]), labels[i]);
    }
    assert_string_equal(extatus_process_reason_name((extatus_process_reason)10), "unknown");
}

/*
 * One lock-mode worker whose mutex is held forever and one whose report
 * takes twenty periods: the others keep their period. A fast worker that
 * waited for the slow report would miss twenty periods at once; the bound
 * on its longest gap (sixteen) leaves room for a machine that starves the
 * test for a few periods without hiding such a wait.
 */
static void test_lock_slow_and_stuck_do_not_delay_others(void **state)
{
    (void)state;
    start_handler(PERIOD, 40, 5000);
    static test_worker slow, stuck, fast, fast2, point;
    test_worker_init(&slow, "slow", EXTATUS_WORKER_LOCK);
    test_worker_init(&stuck, "stuck_lock", EXTATUS_WORKER_LOCK);
    test_worker_init(&fast, "fast", EXTATUS_WORKER_LOCK);
    test_worker_init(&fast2, "fast2", EXTATUS_WORKER_LOCK);
    test_worker_init(&point, "point", EXTATUS_WORKER_CHECKPOINT);
    slow.report_sleep_ms = 20 * PERIOD;
    test_worker *all[] = {&slow, &stuck, &fast, &fast2, &point};
    for (int i = 0; i < 5; i++)
        test_worker_start(all[i]);
    pthread_mutex_lock(&stuck.lock); /* never released while measuring */

    assert_true(recorder_wait(&rec, 0, "fast", EXTATUS_PROCESS_UP, WAIT) >= 0);
    assert_true(recorder_wait(&rec, 0, "stuck_lock", EXTATUS_PROCESS_IDLE, WAIT) >= 0);
    assert_true(recorder_wait(&rec, 0, "slow", EXTATUS_PROCESS_IDLE, WAIT) >= 0);
    pthread_mutex_lock(&fast.times_lock);
    size_t from = fast.time_count;
    pthread_mutex_unlock(&fast.times_lock);
    sleep_ms(30 * PERIOD);

    int64_t max_gap, median_gap;
    size_t gaps;
    test_worker_gaps(&fast, from, &max_gap, &median_gap, &gaps);
    print_message("fast worker: %zu periods, median %lld ms, max %lld ms\n", gaps,
                  (long long)median_gap, (long long)max_gap);
    assert_true(gaps >= 15);                                           /* ~30 expected */
    assert_true(median_gap >= PERIOD / 2 && median_gap <= 2 * PERIOD); /* its period */
    assert_true(max_gap < 16 * PERIOD); /* never waited for the slow report (1,000 ms) */
    assert_true(activity_of("fast") == 2);
    assert_true(activity_of("fast2") == 2);
    assert_true(activity_of("point") == 2);
    assert_true(activity_of("stuck_lock") == 1);
    assert_true(activity_of("slow") == 1); /* answers too late: idle */

    pthread_mutex_unlock(&stuck.lock);
    for (int i = 0; i < 5; i++) {
        atomic_store(&all[i]->control, DEREG);
        test_worker_join(all[i]);
    }
}

/* ---- retention and restart ---------------------------------------------------------- */

static void test_retention_and_restart_reuse_the_series(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 400);
    extatus_family *activity;
    assert_ok(extatus_family_lookup(&activity, NULL, "extatus_process_activity"));
    static test_worker w;
    test_worker_init(&w, "phoenix", EXTATUS_WORKER_CHECKPOINT);
    test_worker_start(&w);
    assert_true(recorder_wait(&rec, 0, "phoenix", EXTATUS_PROCESS_UP, WAIT) >= 0);
    atomic_store(&w.control, DEREG);
    test_worker_join(&w);
    long down = recorder_wait(&rec, 0, "phoenix", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down >= 0);
    assert_true(activity_of("phoenix") == 0); /* the 0 stays for the retention */

    /* Restarted under the same name within the retention: same series. */
    atomic_store(&w.control, RUN);
    atomic_store(&w.registered, 0);
    test_worker_start(&w);
    long again = recorder_wait(&rec, (size_t)down, "phoenix", EXTATUS_PROCESS_UP, WAIT);
    assert_true(again > down);
    assert_int_equal(extatus_family_series_count(activity), 1);
    assert_true(activity_of("phoenix") == 2);
    sleep_ms(600); /* longer than the retention: a live worker is never expired */
    assert_true(activity_of("phoenix") == 2);

    atomic_store(&w.control, DEREG);
    test_worker_join(&w);
    assert_true(recorder_wait(&rec, (size_t)again, "phoenix", EXTATUS_PROCESS_DOWN, WAIT) >= 0);
    assert_true(exits_of("phoenix", "normal") == 2);
    int64_t until = now_ms() + WAIT;
    while (activity_of("phoenix") != -1 && now_ms() < until)
        sleep_ms(10);
    assert_true(activity_of("phoenix") == -1); /* removed after the retention */
    assert_true(exits_of("phoenix", "normal") == -1);
    size_t count = 99;
    extatus_process_event *list;
    assert_ok(extatus_process_list(&list, &count));
    assert_int_equal(count, 0);
    assert_null(list);
}

static void test_retain_forever(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, EXTATUS_PROCESS_RETAIN_FOREVER);
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};
    extatus_worker *worker;
    assert_ok(extatus_process_register(&worker, &ops, STATE("kept"), NULL));
    assert_ok(extatus_process_deregister(worker, EXTATUS_REASON_NORMAL));
    assert_true(recorder_wait(&rec, 0, "kept", EXTATUS_PROCESS_DOWN, WAIT) >= 0);
    sleep_ms(5 * PERIOD);
    assert_true(activity_of("kept") == 0);
    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.retained_down, 1);
}

/* ---- configuration, stop, read-outs ----------------------------------------------------- */

static void test_options_and_environment(void **state)
{
    (void)state;
    extatus_process_options options = EXTATUS_PROCESS_OPTIONS_INIT;
    options.timeout_ms = 100;
    options.deadline_ms = 200;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_start(&options));
    assert_non_null(strstr(extatus_error_last(), "deadline_ms 200"));
    options.deadline_ms = 0;
    options.version = 42;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_start(&options));
    options.version = EXTATUS_PROCESS_OPTIONS_VERSION;
    options.lock_threads = 1000;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_start(&options));

    setenv("EXTATUS_TIMEOUT", "soon", 1);
    assert_extatus(EXTATUS_ERR_OPTION, extatus_process_start(NULL));
    assert_non_null(strstr(extatus_error_last(), "EXTATUS_TIMEOUT='soon'"));
    setenv("EXTATUS_TIMEOUT", "0", 1);
    assert_extatus(EXTATUS_ERR_OPTION, extatus_process_start(NULL));
    setenv("EXTATUS_TIMEOUT", "", 1); /* empty counts as unset */
    assert_ok(extatus_process_start(NULL));
    extatus_process_stats defaults;
    assert_ok(extatus_process_get_stats(&defaults));
    assert_int_equal(defaults.timeout_ms, EXTATUS_PROCESS_DEFAULT_TIMEOUT_MS);
    assert_ok(extatus_process_stop());
    setenv("EXTATUS_TIMEOUT", "70", 1);
    assert_ok(extatus_process_start(NULL));
    assert_extatus(EXTATUS_ERR_STATE, extatus_process_start(NULL)); /* already running */
    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.timeout_ms, 70);
    assert_int_equal(stats.deadline_ms, 70);
    assert_ok(extatus_process_stop());
    assert_ok(extatus_process_stop()); /* not running: nothing to do */

    /* An explicit timeout wins over the environment. */
    options.lock_threads = 0;
    options.timeout_ms = 80;
    options.deadline_ms = 20;
    assert_ok(extatus_process_start(&options));
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.timeout_ms, 80);
    assert_int_equal(stats.deadline_ms, 20);
    sleep_ms(300);
    assert_ok(extatus_process_get_stats(&stats));
    assert_true(stats.polls >= 2 && stats.polls <= 5); /* about one per 80 ms */
}

static void test_register_starts_the_handler_with_defaults(void **state)
{
    (void)state;
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};
    extatus_worker *worker;
    unsetenv("EXTATUS_TIMEOUT");
    assert_ok(extatus_process_register(&worker, &ops, STATE("auto"), NULL));
    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.timeout_ms, EXTATUS_PROCESS_DEFAULT_TIMEOUT_MS);
    assert_int_equal(stats.workers, 1);
}

static void test_stop_takes_every_worker_down(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    static test_worker a, b;
    test_worker_init(&a, "a", EXTATUS_WORKER_CHECKPOINT);
    test_worker_init(&b, "b", EXTATUS_WORKER_LOCK);
    a.watch_thread = b.watch_thread = 0;
    a.thread = b.thread = pthread_self();
    assert_ok(test_worker_register(&a));
    assert_ok(test_worker_register(&b));
    assert_true(recorder_wait(&rec, 0, "b", EXTATUS_PROCESS_UP, WAIT) >= 0);
    assert_ok(extatus_process_stop());
    long down_a = recorder_wait(&rec, 0, "a", EXTATUS_PROCESS_DOWN, 0);
    long down_b = recorder_wait(&rec, 0, "b", EXTATUS_PROCESS_DOWN, 0);
    assert_true(down_a >= 0 && down_b >= 0); /* published before stop returned */
    assert_int_equal(rec.events[down_a].reason, EXTATUS_REASON_SHUTDOWN);
    assert_true(exits_of("b", "shutdown") == 1);
    assert_true(activity_of("a") == 0);
    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.workers, 0);
    assert_int_equal(stats.timeout_ms, 0);
    /* And it starts again. */
    start_handler(PERIOD, 0, 5000);
    assert_ok(test_worker_register(&b));
    assert_true(recorder_wait(&rec, (size_t)down_b, "b", EXTATUS_PROCESS_UP, WAIT) >= 0);
}

/*
 * Registering is answering: a new worker is 2 from the moment
 * registration returns and its first event is `up`, long before its first
 * poll (the period here is a minute); a restart under a retained name is
 * 2 again at once, after its 0, and publishes `up` after its `down`.
 */
static void test_new_worker_starts_up(void **state)
{
    (void)state;
    start_handler(60000, 0, 60000);
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};
    extatus_worker_options unwatched = EXTATUS_WORKER_OPTIONS_INIT;
    unwatched.watch_thread = 0;
    extatus_worker *worker;
    assert_ok(extatus_process_register(&worker, &ops, STATE("starter"), &unwatched));
    assert_true(activity_of("starter") == 2); /* at once, not 1 */
    extatus_process_event *list;
    size_t count;
    assert_ok(extatus_process_list(&list, &count));
    assert_int_equal(count, 1);
    assert_int_equal(list[0].state, EXTATUS_PROCESS_UP);
    assert_int_equal(list[0].reason, EXTATUS_REASON_ANSWERED);
    extatus_free(list);
    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.up, 1);
    assert_int_equal(stats.idle, 0);
    long up = recorder_wait(&rec, 0, "starter", EXTATUS_PROCESS_UP, WAIT);
    assert_true(up >= 0); /* published without waiting a minute for the first poll */
    assert_int_equal(rec.events[up].reason, EXTATUS_REASON_ANSWERED);
    assert_true(rec.events[up].sequence > 0);

    assert_ok(extatus_process_deregister(worker, EXTATUS_REASON_NORMAL));
    long down = recorder_wait(&rec, (size_t)up, "starter", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down > up);
    assert_true(activity_of("starter") == 0);
    assert_ok(extatus_process_register(&worker, &ops, STATE("starter"), &unwatched));
    assert_true(activity_of("starter") == 2); /* the restart starts up too */
    long again = recorder_wait(&rec, (size_t)down, "starter", EXTATUS_PROCESS_UP, WAIT);
    assert_true(again > down);
    char path[16];
    recorder_path(&rec, "starter", path, sizeof(path));
    assert_string_equal(path, "UDU"); /* never idle at start */
}

/* An event callback that holds the handler for a while on one worker's `up`. */
static void hold_handler(const extatus_process_event *event, void *user_data)
{
    (void)user_data;
    if (strcmp(event->name, "holder") == 0 && event->state == EXTATUS_PROCESS_UP)
        sleep_ms(6 * PERIOD);
}

/*
 * A restart registered before the handler published its predecessor's
 * down: in the one pass that handles both, the name gets `down` (the old
 * worker) and then `up` (the new one), and the gauge ends at 2, not 0.
 */
static void test_restart_before_the_down_is_published(void **state)
{
    (void)state;
    start_handler(60000, 0, 60000);
    extatus_subscriber *holder_subscriber;
    assert_ok(extatus_events_subscribe(&holder_subscriber, hold_handler, NULL));
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};
    extatus_worker_options unwatched = EXTATUS_WORKER_OPTIONS_INIT;
    unwatched.watch_thread = 0;
    extatus_worker *old_worker, *new_worker, *holder;
    assert_ok(extatus_process_register(&old_worker, &ops, STATE("restarted"), &unwatched));
    long first_up = recorder_wait(&rec, 0, "restarted", EXTATUS_PROCESS_UP, WAIT);
    assert_true(first_up >= 0);
    assert_ok(extatus_process_register(&holder, &ops, STATE("holder"), &unwatched));
    sleep_ms(PERIOD); /* the handler is now inside hold_handler */
    assert_ok(extatus_process_deregister(old_worker, EXTATUS_REASON_NORMAL));
    assert_ok(extatus_process_register(&new_worker, &ops, STATE("restarted"), &unwatched));
    long down = recorder_wait(&rec, (size_t)first_up, "restarted", EXTATUS_PROCESS_DOWN, WAIT);
    assert_true(down > first_up);
    long up = recorder_wait(&rec, (size_t)down, "restarted", EXTATUS_PROCESS_UP, WAIT);
    assert_true(up > down);
    assert_true(activity_of("restarted") == 2);
    assert_true(exits_of("restarted", "normal") == 1);
    extatus_events_unsubscribe(holder_subscriber);
}

static void test_list_stats_and_names(void **state)
{
    (void)state;
    start_handler(PERIOD, 0, 5000);
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};
    extatus_worker *first, *second;
    assert_ok(extatus_process_register(&first, &ops, STATE("first"), NULL));
    assert_ok(extatus_process_register(&second, &ops, STATE("second"), NULL));
    extatus_process_event *list;
    size_t count;
    assert_ok(extatus_process_list(&list, &count));
    assert_int_equal(count, 2);
    assert_string_equal(list[0].name, "first"); /* registration order */
    assert_string_equal(list[1].name, "second");
    assert_int_equal(list[0].state, EXTATUS_PROCESS_UP); /* registered: up, not polled yet */
    extatus_free(list);
    /* Answer for `first` from this thread, which registered them, until `second` is idle. */
    int64_t until = now_ms() + WAIT;
    while (recorder_wait(&rec, 0, "second", EXTATUS_PROCESS_IDLE, 0) < 0 && now_ms() < until) {
        extatus_worker_checkpoint(first);
        sleep_ms(2);
    }
    extatus_worker_checkpoint(first);
    assert_true(recorder_wait(&rec, 0, "second", EXTATUS_PROCESS_IDLE, 0) >= 0);
    assert_true(activity_of("first") == 2);
    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.workers, 2);
    assert_int_equal(stats.up, 1);
    assert_int_equal(stats.idle, 1);
    assert_true(stats.polls >= 1);
    assert_true(stats.events >= 2);
    extatus_worker_checkpoint(NULL); /* harmless */
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_list(NULL, &count));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_get_stats(NULL));

    assert_string_equal(extatus_process_state_name(EXTATUS_PROCESS_UP), "up");
    assert_string_equal(extatus_process_state_name(EXTATUS_PROCESS_IDLE), "idle");
    assert_string_equal(extatus_process_state_name(EXTATUS_PROCESS_DOWN), "down");
    assert_string_equal(extatus_process_state_name((extatus_process_state)9), "unknown");
    assert_string_equal(extatus_process_reason_name(EXTATUS_REASON_THREAD_EXIT), "thread_exit");
    assert_string_equal(extatus_process_reason_name(EXTATUS_REASON_SHUTDOWN), "shutdown");
    assert_string_equal(extatus_process_reason_name((extatus_process_reason)0), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_register_rejects_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_twice_and_duplicate_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_up_idle_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_thread_exit_without_deregister, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_blocked_forever_others_served, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_cannot_deregister_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_up_idle_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_deregister_with_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_that_registers_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_slow_and_stuck_do_not_delay_others, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retention_and_restart_reuse_the_series, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retain_forever, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_and_environment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_starts_the_handler_with_defaults, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stop_takes_every_worker_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_stats_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deregister_with_outside_process_reasons, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_new_worker_starts_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_before_the_down_is_published, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
