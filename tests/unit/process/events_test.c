/*
 * events_test.c - the events bus (src/process/events.c): callback and
 * file-descriptor subscribers, order, replay, bounded queues and drops.
 */
#include "process_helpers.h"

#include <poll.h>
#include <stddef.h>

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

/* Read events of `queue` until one for `name` in `want_state` with text `text` (or time out). */
static bool read_until(extatus_subscriber *queue, const char *name,
                       extatus_process_state want_state, const char *text,
                       extatus_process_event *found)
{
    int64_t until = now_ms() + 4 * WAIT;
    while (now_ms() < until) {
        if (!fd_readable(extatus_events_fd(queue), 100))
            continue;
        extatus_process_event events[8];
        int got = extatus_events_read(queue, events, 8);
        assert_true(got >= 0);
        for (int i = 0; i < got; i++) {
            char current[EXTATUS_STATUS_TEXT_MAX + 1];
            if (strcmp(events[i].name, name) != 0 || events[i].state != want_state)
                continue;
            assert_true(extatus_process_status_text(name, current, sizeof(current)) >= 0);
            if (strcmp(current, text) == 0) {
                *found = events[i];
                return true;
            }
        }
    }
    return false;
}

/*
 * The event keeps the size and layout of the first release (ABI): the new
 * fields took the place of reserved zeros.
 */
typedef struct first_release_event {
    char name[EXTATUS_WORKER_NAME_MAX + 1];
    extatus_process_state state;
    extatus_process_reason reason;
    int64_t time_ns;
    uint64_t sequence;
    uint64_t reserved[2];
} first_release_event;
_Static_assert(sizeof(extatus_process_event) == sizeof(first_release_event),
               "extatus_process_event changed size");
_Static_assert(offsetof(extatus_process_event, changes) == offsetof(first_release_event, reserved),
               "extatus_process_event's new fields moved");
_Static_assert(offsetof(extatus_process_event, sequence) == offsetof(first_release_event, sequence),
               "extatus_process_event's fields moved");

/*
 * A status text: set on a worker, published as an event with the same
 * state and count of changes, readable by name, kept after the worker
 * went down; bad texts are refused and the old one stays.
 */
static void test_status_text_changes_and_last_exit(void **state)
{
    (void)state;
    extatus_subscriber *queue;
    assert_ok(extatus_events_open(&queue, 64, 0));
    start_handler(PERIOD, 0, 5000);
    static test_worker w;
    test_worker_init(&w, "texted", EXTATUS_WORKER_LOCK);
    w.watch_thread = 0;
    assert_ok(test_worker_register(&w));
    extatus_process_event event;
    assert_true(read_until(queue, "texted", EXTATUS_PROCESS_UP, "", &event));
    assert_int_equal(event.changes, 1);
    assert_int_equal(event.last_exit, 0);
    assert_int_equal(event.reserved, 0);

    assert_ok(extatus_worker_set_status_text(w.handle, "loading \"db\" 3/10"));
    assert_true(read_until(queue, "texted", EXTATUS_PROCESS_UP, "loading \"db\" 3/10", &event));
    assert_int_equal(event.changes, 1); /* a text is no change of state */
    assert_int_equal(event.reason, EXTATUS_REASON_ANSWERED);

    /* Refused: too long, not UTF-8, no worker; the text stays. */
    char too_long[EXTATUS_STATUS_TEXT_MAX + 2];
    memset(too_long, 'x', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0';
    assert_int_equal(extatus_worker_set_status_text(w.handle, too_long), EXTATUS_ERR_INVALID);
    assert_int_equal(extatus_worker_set_status_text(w.handle, "bad \xff"), EXTATUS_ERR_INVALID);
    assert_int_equal(extatus_worker_set_status_text(NULL, "x"), EXTATUS_ERR_INVALID);
    char text[EXTATUS_STATUS_TEXT_MAX + 1];
    assert_int_equal(extatus_process_status_text("texted", text, sizeof(text)),
                     (int)strlen("loading \"db\" 3/10"));
    assert_string_equal(text, "loading \"db\" 3/10");
    char small[4];
    assert_int_equal(extatus_process_status_text("texted", small, sizeof(small)),
                     EXTATUS_ERR_NOSPACE);
    assert_string_equal(small, "");
    assert_int_equal(extatus_process_status_text("nobody", text, sizeof(text)),
                     EXTATUS_ERR_NOT_FOUND);
    assert_int_equal(extatus_process_status_text(NULL, text, sizeof(text)), EXTATUS_ERR_INVALID);

    /* The longest text fits; then down with a reason: counted, and the text stays. */
    too_long[EXTATUS_STATUS_TEXT_MAX] = '\0';
    assert_ok(extatus_worker_set_status_text(w.handle, too_long));
    assert_ok(extatus_worker_set_status_text(w.handle, "disk full"));
    assert_ok(extatus_process_deregister(w.handle, EXTATUS_REASON_ERROR));
    assert_true(read_until(queue, "texted", EXTATUS_PROCESS_DOWN, "disk full", &event));
    assert_int_equal(event.changes, 2);
    assert_int_equal(event.last_exit, EXTATUS_REASON_ERROR);

    /* The listing carries the same counts. */
    extatus_process_event *list;
    size_t count;
    assert_ok(extatus_process_list(&list, &count));
    assert_int_equal(count, 1);
    assert_int_equal(list[0].changes, 2);
    assert_int_equal(list[0].last_exit, EXTATUS_REASON_ERROR);
    extatus_free(list);
    extatus_events_unsubscribe(queue);
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
        cmocka_unit_test_setup_teardown(test_status_text_changes_and_last_exit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
