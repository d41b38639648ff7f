/*
 * process_stress_test.c - the process layer under ThreadSanitizer
 * (halt_on_error): workers in both modes that register, serve, get busy,
 * deregister or simply exit and come back under the same name, while
 * subscribers (a callback and a polled queue), read-outs and scrapes run
 * at the same time. Any data race fails the test; it also checks that
 * each subscriber saw only transitions, in one order. Then workers of a
 * pool that wait in extatus_worker_wait() while the handler reports on
 * them, and a stop with a report that does not return.
 */
#include "test_support.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define CHECKPOINT_WORKERS 3
#define LOCK_WORKERS       3
#define LIVES              6 /* times each worker thread slot starts a worker */
#define NAMES              (CHECKPOINT_WORKERS + LOCK_WORKERS)

static atomic_int failures;
static atomic_int done;

#define thread_check(call)                                                                         \
    do {                                                                                           \
        int thread_rc_ = (call);                                                                   \
        if (thread_rc_ != EXTATUS_OK) {                                                            \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call, thread_rc_,  \
                    extatus_error_last());                                                         \
            atomic_fetch_add(&failures, 1);                                                        \
        }                                                                                          \
    } while (0)

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

typedef struct worker {
    char name[16]; /* fixed per slot: restarts reuse it */
    extatus_worker_mode mode;
    pthread_mutex_t lock; /* guards value */
    long value;           /* the state */
    extatus_gauge *gauge; /* reported value */
    unsigned seed;        /* per-thread random */
} worker;

static worker workers[NAMES];

static const char *worker_name(void *state)
{
    return ((worker *)state)->name;
}

static void worker_report(void *state)
{
    worker *w = state;
    /* Checkpoint mode: on the worker's thread; lock mode: under its mutex. */
    extatus_gauge_set(w->gauge, (double)w->value);
}

static const extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, worker_name, worker_report};

static unsigned next_random(unsigned *state)
{
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* One life: register, serve (sometimes busy), then deregister or just leave. */
static void *life(void *arg)
{
    worker *w = arg;
    extatus_worker_options options = EXTATUS_WORKER_OPTIONS_INIT;
    options.mode = w->mode;
    options.lock = &w->lock;
    extatus_worker *handle;
    int rc = extatus_process_register(&handle, &ops, w, &options);
    if (rc == EXTATUS_ERR_EXISTS)
        return NULL; /* the previous life is still ending: allowed, try later */
    thread_check(rc);
    if (rc != EXTATUS_OK)
        return NULL;
    int steps = 20 + (int)(next_random(&w->seed) % 60);
    for (int i = 0; i < steps; i++) {
        pthread_mutex_lock(&w->lock);
        w->value++;
        if (next_random(&w->seed) % 16 == 0)
            sleep_ms(25); /* busy while holding the state */
        pthread_mutex_unlock(&w->lock);
        extatus_worker_checkpoint(handle);
        sleep_ms(1);
    }
    if (next_random(&w->seed) % 2)
        thread_check(extatus_process_deregister(handle, EXTATUS_REASON_NORMAL));
    return NULL; /* otherwise: thread exit without deregistering */
}

static void *slot_main(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < LIVES; i++) {
        pthread_t thread;
        pthread_create(&thread, NULL, life, w);
        pthread_join(thread, NULL);
        sleep_ms(5);
    }
    return NULL;
}

/* Callback subscriber: per name, two events in a row never carry the same state. */
static int last_state[NAMES];
static uint64_t last_sequence;
static atomic_int callback_events;

static void on_event(const extatus_process_event *event, void *user_data)
{
    (void)user_data;
    for (int i = 0; i < NAMES; i++) {
        if (strcmp(event->name, workers[i].name) != 0)
            continue;
        if (last_state[i] == (int)event->state) {
            fprintf(stderr, "%s: %s twice in a row\n", event->name,
                    extatus_process_state_name(event->state));
            atomic_fetch_add(&failures, 1);
        }
        last_state[i] = (int)event->state;
    }
    if (event->sequence <= last_sequence)
        atomic_fetch_add(&failures, 1);
    last_sequence = event->sequence;
    atomic_fetch_add(&callback_events, 1);
}

static atomic_int queue_events;

static void *queue_reader(void *arg)
{
    extatus_subscriber *queue = arg;
    uint64_t last = 0;
    while (!atomic_load(&done)) {
        struct pollfd pfd = {extatus_events_fd(queue), POLLIN, 0};
        if (poll(&pfd, 1, 20) != 1)
            continue;
        extatus_process_event events[16];
        int got = extatus_events_read(queue, events, 16);
        for (int i = 0; i < got; i++) {
            if (events[i].sequence <= last)
                atomic_fetch_add(&failures, 1);
            last = events[i].sequence;
        }
        atomic_fetch_add(&queue_events, got);
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    while (!atomic_load(&done)) {
        extatus_process_event *list;
        size_t count;
        extatus_process_stats stats;
        extatus_buf text = EXTATUS_BUF_INIT;
        thread_check(extatus_process_list(&list, &count));
        extatus_free(list);
        thread_check(extatus_process_get_stats(&stats));
        thread_check(extatus_expose(&text, NULL, 0, NULL));
        extatus_buf_dispose(&text);
        sleep_ms(3);
    }
    return NULL;
}

static void test_process_stress(void **state)
{
    (void)state;
    static const char *label[] = {"label"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", label, 1)};
    extatus_family *family;
    assert_ok(extatus_family_new(&family, NULL, "instrument_gauge", "gauge", options, 1));

    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = 20;
    process.deadline_ms = 10;
    process.retention_ms = 50;
    assert_ok(extatus_process_start(&process));
    extatus_subscriber *callback, *queue;
    assert_ok(extatus_events_subscribe(&callback, on_event, NULL));
    assert_ok(extatus_events_open(&queue, 4096, EXTATUS_EVENTS_REPLAY));

    pthread_t slots[NAMES], queue_thread, reader_thread;
    for (int i = 0; i < NAMES; i++) {
        worker *w = &workers[i];
        snprintf(w->name, sizeof(w->name), "%s%d", i < CHECKPOINT_WORKERS ? "loop" : "locked", i);
        w->mode = i < CHECKPOINT_WORKERS ? EXTATUS_WORKER_CHECKPOINT : EXTATUS_WORKER_LOCK;
        w->seed = 2654435761u * (unsigned)(i + 1);
        last_state[i] = -1;
        pthread_mutex_init(&w->lock, NULL);
        const char *values[] = {w->name};
        assert_ok(extatus_gauge_get(&w->gauge, family, extatus_labels_of(values, 1)));
    }
    pthread_create(&queue_thread, NULL, queue_reader, queue);
    pthread_create(&reader_thread, NULL, reader, NULL);
    for (int i = 0; i < NAMES; i++)
        pthread_create(&slots[i], NULL, slot_main, &workers[i]);
    for (int i = 0; i < NAMES; i++)
        pthread_join(slots[i], NULL);
    sleep_ms(100); /* the last downs are published */
    atomic_store(&done, 1);
    pthread_join(queue_thread, NULL);
    pthread_join(reader_thread, NULL);

    assert_ok(extatus_process_stop());
    assert_int_equal(atomic_load(&failures), 0);
    assert_true(atomic_load(&callback_events) >= NAMES * 2); /* at least up and down each */
    assert_true(atomic_load(&queue_events) > 0);
    assert_int_equal(extatus_events_dropped(queue), 0);
    for (int i = 0; i < NAMES; i++)
        assert_int_equal(last_state[i], EXTATUS_PROCESS_DOWN); /* every life ended down */
    extatus_process_stats stats;
    assert_ok(extatus_process_get_stats(&stats));
    assert_int_equal(stats.workers, 0);
    extatus_events_unsubscribe(queue);
    extatus_events_unsubscribe(callback);
    extatus_shutdown();
}

/* ---- extatus_worker_wait against the handler ---------------------------------------- */

#define POOL_WORKERS 4
#define POOL_JOBS    400

/* One queue served by POOL_WORKERS workers that wait in extatus_worker_wait(). */
typedef struct pool_queue {
    pthread_mutex_t lock; /* guards jobs and stop */
    pthread_cond_t more;  /* jobs arrived, or stop */
    int jobs;             /* waiting jobs */
    bool stop;            /* the workers leave */
} pool_queue;

typedef struct pool_worker {
    char name[16];
    pool_queue *queue;
    long done;            /* the state: written outside the mutex, read by report */
    long snapshot;        /* what the last report read */
    extatus_gauge *gauge; /* reported value */
} pool_worker;

static pool_queue pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER};
static pool_worker pool_workers[POOL_WORKERS];
static atomic_int pool_reports;
static atomic_int pool_taken_down; /* waits that returned EXTATUS_ERR_STATE */

static const char *pool_name(void *state)
{
    return ((pool_worker *)state)->name;
}

/*
 * Runs on the worker's thread entering or leaving the wait, or on a
 * library thread during the wait; with the queue's mutex held every time,
 * so it may read the queue too.
 */
static void pool_report(void *state)
{
    pool_worker *w = state;
    w->snapshot = w->done;
    extatus_gauge_set(w->gauge, (double)w->done + (double)w->queue->jobs);
    atomic_fetch_add(&pool_reports, 1);
}

static const extatus_worker_ops pool_ops = {EXTATUS_WORKER_OPS_VERSION, pool_name, pool_report};

static void *pool_worker_main(void *arg)
{
    pool_worker *w = arg;
    extatus_worker *self;
    thread_check(extatus_process_register(&self, &pool_ops, w, NULL));
    pthread_mutex_lock(&w->queue->lock);
    for (;;) {
        if (w->queue->stop)
            break;
        if (w->queue->jobs == 0) {
            int rc = extatus_worker_wait(self, &w->queue->more, &w->queue->lock, NULL);
            if (rc == EXTATUS_ERR_STATE) { /* the handler stopped: the handle is gone */
                self = NULL;
                break;
            }
            thread_check(rc == EXTATUS_WAIT_TIMEDOUT ? EXTATUS_OK : rc);
            continue;
        }
        w->queue->jobs--;
        pthread_mutex_unlock(&w->queue->lock);
        w->done++; /* outside the mutex: the report reads it only while we wait */
        if (w->done % 16 == 0)
            sleep_ms(25); /* now and then stuck outside the wait past a deadline */
        pthread_mutex_lock(&w->queue->lock);
    }
    pthread_mutex_unlock(&w->queue->lock);
    if (self)
        thread_check(extatus_process_deregister(self, EXTATUS_REASON_NORMAL));
    else
        atomic_fetch_add(&pool_taken_down, 1);
    return NULL;
}

static void test_wait_against_handler(void **state)
{
    (void)state;
    static const char *label[] = {"label"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", label, 1)};
    extatus_family *family;
    assert_ok(extatus_family_new(&family, NULL, "pool_gauge", "gauge", options, 1));
    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = 5; /* many rounds, many reports during waits */
    assert_ok(extatus_process_start(&process));
    atomic_store(&pool_reports, 0);
    pthread_t threads[POOL_WORKERS];
    for (int i = 0; i < POOL_WORKERS; i++) {
        pool_worker *w = &pool_workers[i];
        snprintf(w->name, sizeof(w->name), "pool%d", i);
        w->queue = &pool;
        assert_ok(extatus_gauge_get(&w->gauge, family, EXTATUS_LABELS(w->name)));
        pthread_create(&threads[i], NULL, pool_worker_main, w);
    }
    for (int job = 0; job < POOL_JOBS; job++) {
        pthread_mutex_lock(&pool.lock);
        pool.jobs++;
        pthread_cond_signal(&pool.more);
        pthread_mutex_unlock(&pool.lock);
        if (job % 8 == 0)
            sleep_ms(3);
    }
    sleep_ms(100);
    pthread_mutex_lock(&pool.lock);
    pool.stop = true;
    pthread_cond_broadcast(&pool.more);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < POOL_WORKERS; i++)
        pthread_join(threads[i], NULL);
    long total = 0;
    for (int i = 0; i < POOL_WORKERS; i++)
        total += pool_workers[i].done;
    assert_int_equal(total, POOL_JOBS);
    assert_true(atomic_load(&pool_reports) > 20);
    assert_int_equal(atomic_load(&failures), 0);
    assert_int_equal(atomic_load(&pool_taken_down), 0);

    /* Stop while a second round of waiters sleeps: each wait returns EXTATUS_ERR_STATE. */
    pool.stop = false;
    for (int i = 0; i < POOL_WORKERS; i++)
        pthread_create(&threads[i], NULL, pool_worker_main, &pool_workers[i]);
    sleep_ms(300);
    assert_ok(extatus_process_stop());
    for (int i = 0; i < POOL_WORKERS; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&pool_taken_down), POOL_WORKERS);
    assert_int_equal(atomic_load(&failures), 0);
    extatus_shutdown();
}

/* ---- a report that never returns, at stop ----------------------------------------------- */

static pthread_mutex_t stuck_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static atomic_int stuck_entered, stuck_returned;

static const char *stuck_name(void *state)
{
    (void)state;
    return "stuck";
}

static void stuck_report(void *state)
{
    (void)state;
    atomic_fetch_add(&stuck_entered, 1);
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        pthread_cond_wait(&gate, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    atomic_fetch_add(&stuck_returned, 1);
}

static const extatus_worker_ops stuck_ops = {EXTATUS_WORKER_OPS_VERSION, stuck_name, stuck_report};

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Stop and shut down with a stuck lock-mode report, start again and use
 * the library, then let the report return: its detached thread must not
 * race with the new handler and pool.
 */
static void test_stuck_report_at_stop(void **state)
{
    (void)state;
    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = 20;
    assert_ok(extatus_process_start(&process));
    extatus_worker_options lock_mode = EXTATUS_WORKER_OPTIONS_INIT;
    lock_mode.mode = EXTATUS_WORKER_LOCK;
    lock_mode.lock = &stuck_lock;
    lock_mode.watch_thread = 0;
    extatus_worker *stuck;
    assert_ok(extatus_process_register(&stuck, &stuck_ops, NULL, &lock_mode));
    while (atomic_load(&stuck_entered) == 0)
        sleep_ms(2);
    int64_t started = monotonic_ms();
    extatus_shutdown(); /* stops the handler: bounded, the report left behind */
    int64_t took = monotonic_ms() - started;
    fprintf(stderr, "extatus_shutdown with a stuck report (TSan): %lld ms\n", (long long)took);
    assert_true(took < 2 * 20 + 2000);

    assert_ok(extatus_process_start(&process));
    extatus_worker *fresh;
    static pool_worker fresh_state = {.name = "fresh"};
    fresh_state.queue = &pool;
    extatus_gauge *gauge;
    assert_ok(extatus_gauge_new(&gauge, NULL, "fresh_gauge", "After the stuck stop."));
    fresh_state.gauge = gauge;
    assert_ok(extatus_process_register(&fresh, &pool_ops, &fresh_state, NULL));
    for (int i = 0; i < 20; i++) {
        extatus_worker_checkpoint(fresh);
        sleep_ms(5);
    }
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate);
    pthread_mutex_unlock(&gate_lock);
    while (atomic_load(&stuck_returned) == 0)
        sleep_ms(2);
    for (int i = 0; i < 20; i++) { /* the new pool keeps running next to the old thread's end */
        extatus_worker_checkpoint(fresh);
        sleep_ms(5);
    }
    assert_ok(extatus_process_deregister(fresh, EXTATUS_REASON_NORMAL));
    assert_ok(extatus_process_stop());
    extatus_shutdown();
    sleep_ms(50); /* the old thread has ended */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_process_stress),
        cmocka_unit_test(test_wait_against_handler),
        cmocka_unit_test(test_stuck_report_at_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
