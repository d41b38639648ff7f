/*
 * events_test.c - the events bus (src/process/events.c): callback and
 * file-descriptor subscribers, order, replay, bounded queues and drops.
 */
#include "process_helpers.h"

#include <poll.h>

#define PERIOD 50
#define WAIT   2000

static int setup(void **state)
{
    (void)state;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_process_stop();
    extatus_shutdown();
    return 0;
}

static bool fd_readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

/* Read every event of `queue` for `name` into `path` ("UIUD"), waiting for `want` of them. */
static void read_path(extatus_subscriber *queue, const char *name, size_t want, char *path,
                      uint64_t *last_sequence)
{
    static const char letters[] = "DIU";
    size_t n = 0;
    int64_t until = now_ms() + 4 * WAIT;
    while (n < want && now_ms() < until) {
        if (!fd_readable(extatus_events_fd(queue), 100))
            continue;
        extatus_process_event events[4];
        int got = extatus_events_read(queue, events, 4); /* small reads: several rounds */
        assert_true(got >= 0);
        for (int i = 0; i < got; i++) {
            assert_true(events[i].sequence > *last_sequence); /* in publication order */
            *last_sequence = events[i].sequence;
            assert_true(events[i].time_ns > 0);
            if (strcmp(events[i].name, name) == 0)
                path[n++] = letters[events[i].state];
        }
    }
    path[n] = '\0';
}

/* A worker goes up, idle, up, down: both kinds of subscriber see exactly that, in order. */
static void test_callback_and_fd_see_transitions_in_order(void **state)
{
    (void)state;
    static recorder rec; /* static: still valid if a failed assertion leaves it subscribed */
    recorder_init(&rec);
    extatus_subscriber *callback, *queue;
    assert_ok(extatus_events_subscribe(&callback, recorder_fn, &rec));
    assert_ok(extatus_events_open(&queue, 64, 0));
    assert_int_equal(extatus_events_fd(callback), -1);
    assert_true(extatus_events_fd(queue) >= 0);
    assert_false(fd_readable(extatus_events_fd(queue), 0)); /* nothing yet */

    start_handler(PERIOD, 0, 5000);
    static test_worker w, other;
    test_worker_init(&w, "ordered", EXTATUS_WORKER_CHECKPOINT);
    test_worker_init(&other, "bystander", EXTATUS_WORKER_LOCK);
    test_worker_start(&w);
    test_worker_start(&other);
    assert_true(recorder_wait(&rec, 0, "ordered", EXTATUS_PROCESS_UP, WAIT) >= 0);
    atomic_store(&w.control, PAUSE);
    assert_true(recorder_wait(&rec, 0, "ordered", EXTATUS_PROCESS_IDLE, WAIT) >= 0);
    atomic_store(&w.control, RUN);
    long up = recorder_wait(&rec, 0, "ordered", EXTATUS_PROCESS_IDLE, WAIT);
    assert_true(recorder_wait(&rec, (size_t)up, "ordered", EXTATUS_PROCESS_UP, WAIT) > up);
    atomic_store(&w.control, DEREG);
    test_worker_join(&w);
    assert_true(recorder_wait(&rec, 0, "ordered", EXTATUS_PROCESS_DOWN, WAIT) >= 0);

    char path[32];
    recorder_path(&rec, "ordered", path, sizeof(path));
    assert_string_equal(path, "UIUD");
    uint64_t last = 0;
    read_path(queue, "ordered", 4, path, &last);
    assert_string_equal(path, "UIUD");
    assert_int_equal(extatus_events_dropped(queue), 0);

    /*
     * Everything read: the fd is quiet again until the next event. On a
     * slow machine (valgrind) the lock-mode bystander may miss a deadline
     * meanwhile; its idle and up are the only events that may still come.
     */
    extatus_process_event spare[8];
    while (extatus_events_read(queue, spare, 8) > 0)
        ;
    while (fd_readable(extatus_events_fd(queue), 0)) {
        int got = extatus_events_read(queue, spare, 8);
        assert_true(got > 0); /* readable only while events wait */
        for (int i = 0; i < got; i++) {
            assert_string_equal(spare[i].name, "bystander");
            assert_int_not_equal(spare[i].state, EXTATUS_PROCESS_DOWN);
        }
    }
    atomic_store(&other.control, DEREG);
    test_worker_join(&other);
    assert_true(fd_readable(extatus_events_fd(queue), WAIT)); /* bystander's down */
    assert_int_equal(extatus_events_read(queue, spare, 8), 1);
    assert_string_equal(spare[0].name, "bystander");
    assert_int_equal(spare[0].state, EXTATUS_PROCESS_DOWN);

    assert_extatus(EXTATUS_ERR_INVALID, extatus_events_read(callback, spare, 8));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_events_read(NULL, spare, 8));
    extatus_events_unsubscribe(callback);
    extatus_events_unsubscribe(queue);
    extatus_events_unsubscribe(NULL);
}

/* A full queue drops (and counts) instead of blocking the handler. */
static void test_full_queue_drops_and_counts(void **state)
{
    (void)state;
    extatus_subscriber *tiny;
    extatus_process_stats stats;
    assert_ok(extatus_events_open(&tiny, 2, 0));
    start_handler(PERIOD, 0, 5000);
    assert_ok(extatus_process_get_stats(&stats));
    uint64_t published_before = stats.events; /* counts since the process began */
    uint64_t dropped_before = stats.events_dropped;
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, test_worker_name, NULL};
    static test_worker workers[6];
    static const char *names[] = {"q0", "q1", "q2", "q3", "q4", "q5"};
    for (int i = 0; i < 6; i++) {
        workers[i].name = names[i];
        assert_ok(extatus_process_register(&workers[i].handle, &ops, &workers[i], NULL));
    }
    /*
     * Each starts up (six events), nobody answers: each goes idle at the
     * first verdict, six more.
     */
    int64_t until = now_ms() + WAIT;
    do {
        sleep_ms(10);
        assert_ok(extatus_process_get_stats(&stats));
    } while (stats.events < published_before + 12 && now_ms() < until);
    assert_int_equal(stats.events, published_before + 12);
    assert_int_equal(extatus_events_dropped(tiny), 10);
    assert_int_equal(stats.events_dropped, dropped_before + 10);
    const char *datapoint[] = {"value"};
    extatus_value dropped;
    assert_ok(extatus_get_value(NULL, "extatus_process_events_dropped_total", EXTATUS_NO_LABELS,
                                datapoint, 1, &dropped));
    assert_true(extatus_value_to_double(&dropped) == 10);
    /* The two kept are the oldest, in order: the first two starts. */
    extatus_process_event events[4];
    assert_int_equal(extatus_events_read(tiny, events, 4), 2);
    assert_true(events[0].sequence < events[1].sequence);
    assert_int_equal(events[0].state, EXTATUS_PROCESS_UP);
    assert_string_equal(events[0].name, "q0");
    assert_int_equal(extatus_events_read(tiny, events, 4), 0);
    extatus_events_unsubscribe(tiny);

    assert_extatus(EXTATUS_ERR_INVALID, extatus_events_open(&tiny, 2, 0x80));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_events_open(&tiny, (size_t)1 << 30, 0));
    assert_non_null(strstr(extatus_error_last(), "capacity"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_events_open(NULL, 2, 0));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_events_subscribe(&tiny, NULL, NULL));
    assert_int_equal(extatus_events_dropped(NULL), 0);
}

/* REPLAY: the current state of every worker first, then changes, nothing twice. */
static void test_replay_gives_current_state_then_changes(void **state)
{
    (void)state;
    static recorder rec; /* static: still valid if a failed assertion leaves it subscribed */
    recorder_init(&rec);
    extatus_subscriber *callback;
    assert_ok(extatus_events_subscribe(&callback, recorder_fn, &rec));
    start_handler(PERIOD, 0, 5000);
    static test_worker w;
    test_worker_init(&w, "replayed", EXTATUS_WORKER_CHECKPOINT);
    test_worker_start(&w);
    assert_true(recorder_wait(&rec, 0, "replayed", EXTATUS_PROCESS_UP, WAIT) >= 0);

    extatus_subscriber *queue;
    assert_ok(extatus_events_open(&queue, 0, EXTATUS_EVENTS_REPLAY));
    assert_true(fd_readable(extatus_events_fd(queue), 0));
    extatus_process_event events[8];
    assert_int_equal(extatus_events_read(queue, events, 8), 1);
    assert_string_equal(events[0].name, "replayed");
    assert_int_equal(events[0].state, EXTATUS_PROCESS_UP);
    assert_int_equal(events[0].reason, EXTATUS_REASON_ANSWERED);
    uint64_t last = events[0].sequence;

    atomic_store(&w.control, DEREG);
    test_worker_join(&w);
    char path[8];
    read_path(queue, "replayed", 1, path, &last);
    assert_string_equal(path, "D");
    extatus_events_unsubscribe(queue);
    extatus_events_unsubscribe(callback);
}

/* Unsubscribing from inside a callback takes effect after that call. */
static int self_removing_calls;
static int stop_from_callback_rc = 1;
static extatus_subscriber *self_removing;

static void remove_myself(const extatus_process_event *event, void *user_data)
{
    (void)event;
    (void)user_data;
    self_removing_calls++;
    extatus_events_unsubscribe(self_removing);
    /* Stopping from here would wait for this very thread: refused. */
    stop_from_callback_rc = extatus_process_stop();
}

static void test_unsubscribe_from_inside_the_callback(void **state)
{
    (void)state;
    static recorder rec; /* static: still valid if a failed assertion leaves it subscribed */
    recorder_init(&rec);
    extatus_subscriber *watcher;
    assert_ok(extatus_events_subscribe(&self_removing, remove_myself, NULL));
    assert_ok(extatus_events_subscribe(&watcher, recorder_fn, &rec));
    start_handler(PERIOD, 0, 5000);
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, test_worker_name, NULL};
    static test_worker a, b;
    a.name = "first_event";
    b.name = "second_event";
    assert_ok(extatus_process_register(&a.handle, &ops, &a, NULL));
    assert_true(recorder_wait(&rec, 0, "first_event", EXTATUS_PROCESS_IDLE, WAIT) >= 0);
    assert_ok(extatus_process_register(&b.handle, &ops, &b, NULL));
    assert_true(recorder_wait(&rec, 0, "second_event", EXTATUS_PROCESS_IDLE, WAIT) >= 0);
    assert_int_equal(self_removing_calls, 1); /* called once, then gone */
    assert_int_equal(stop_from_callback_rc, EXTATUS_ERR_STATE);
    extatus_events_unsubscribe(watcher);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_callback_and_fd_see_transitions_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_full_queue_drops_and_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay_gives_current_state_then_changes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unsubscribe_from_inside_the_callback, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
