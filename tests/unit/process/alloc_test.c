/*
 * alloc_test.c - the process layer's set-up calls with their 1st, 2nd,
 * ... Nth allocation failing in turn, until the call succeeds. Each
 * failure must return EXTATUS_ERR_NOMEM with a message, leave the layer
 * usable (the same call then succeeds) and leak nothing once the handler
 * is stopped and the library shut down.
 *
 * The handler runs with a one-minute period so that it allocates little
 * of its own while a call is under test, and only the calling thread's
 * allocations are counted and failed: the handler thread a call starts
 * never takes the failure meant for the call.
 */
#include "test_support.h"

#include <stdbool.h>
#include <string.h>

static char worker_state[] = "allocated";

static const char *name_of(void *state)
{
    return state;
}

static const extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};

static extatus_subscriber *subscriber;

static int start_slow_handler(void)
{
    extatus_process_options options = EXTATUS_PROCESS_OPTIONS_INIT;
    options.timeout_ms = 60000;
    return extatus_process_start(&options);
}

static int call_start(void)
{
    int rc = start_slow_handler();
    return rc == EXTATUS_ERR_STATE ? EXTATUS_OK : rc; /* the retry finds it running */
}

static int call_register(void)
{
    extatus_worker *worker;
    return extatus_process_register(&worker, &ops, worker_state, NULL);
}

static int call_register_lock_mode(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    extatus_worker_options options = EXTATUS_WORKER_OPTIONS_INIT;
    options.mode = EXTATUS_WORKER_LOCK;
    options.lock = &lock;
    options.watch_thread = 0;
    extatus_worker *worker;
    return extatus_process_register(&worker, &ops, worker_state, &options);
}

static int call_events_open(void)
{
    if (subscriber)
        return EXTATUS_OK;
    return extatus_events_open(&subscriber, 16, EXTATUS_EVENTS_REPLAY);
}

static void ignore(const extatus_process_event *event, void *user_data)
{
    (void)event;
    (void)user_data;
}

static int call_subscribe(void)
{
    if (subscriber)
        return EXTATUS_OK;
    return extatus_events_subscribe(&subscriber, ignore, NULL);
}

static int call_list(void)
{
    extatus_process_event *list;
    size_t count;
    int rc = extatus_process_list(&list, &count);
    extatus_free(list);
    return rc;
}

typedef struct scenario {
    const char *name;
    bool handler_first; /* start the handler (without failures) before the call */
    bool register_first;
    int (*call)(void);
} scenario;

static const scenario scenarios[] = {
    {"start", false, false, call_start},
    {"register (starts the handler)", false, false, call_register},
    {"register", true, false, call_register},
    {"register lock mode", true, false, call_register_lock_mode},
    {"events_open replay", true, true, call_events_open},
    {"events_subscribe", false, false, call_subscribe},
    {"list", true, true, call_list},
};

static void finish(void)
{
    extatus_process_stop();
    extatus_events_unsubscribe(subscriber);
    subscriber = NULL;
    extatus_shutdown();
    if (test_alloc_live() != 0)
        fail_msg("%ld allocations leaked", test_alloc_live());
}

static void test_every_allocation_fails_once(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        const scenario *s = &scenarios[i];
        unsigned long failures = 0;
        for (unsigned long nth = 1;; nth++) {
            extatus_shutdown();
            test_alloc_install();
            assert_ok(extatus_init());
            if (s->handler_first)
                assert_ok(start_slow_handler());
            if (s->register_first)
                assert_ok(call_register());
            extatus_error_clear();
            test_alloc_fail_at_on_this_thread(nth);
            int rc = s->call();
            test_alloc_fail_at_on_this_thread(0);
            if (rc == EXTATUS_OK) {
                finish();
                break;
            }
            failures++;
            if (rc != EXTATUS_ERR_NOMEM)
                fail_msg("%s, allocation %lu failing: code %d (%s) instead of NOMEM: %s", s->name,
                         nth, rc, extatus_strerror(rc), extatus_error_last());
            if (extatus_error_last()[0] == '\0')
                fail_msg("%s, allocation %lu failing: no error message", s->name, nth);
            rc = s->call();
            if (rc != EXTATUS_OK)
                fail_msg("%s: after a failed allocation %lu the retry failed: %s", s->name, nth,
                         extatus_error_last());
            finish();
            if (nth > 10000)
                fail_msg("%s never succeeds", s->name);
        }
        print_message("%-32s %lu allocation failures survived\n", s->name, failures);
        assert_true(failures > 0); /* every one of these calls allocates */
    }
    extatus_set_allocator(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_fails_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
