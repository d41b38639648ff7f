/*
 * report_stress_test.c - reporters delivering on the scheduler while
 * other threads subscribe and unsubscribe, create and delete the metrics
 * they report, read status, and a reporter fails and restarts over and
 * over. Built with ThreadSanitizer (halt_on_error): any data race or
 * lock-order inversion fails the test.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ROUNDS 200

static atomic_int thread_failures;
static atomic_int delivered;
static atomic_int calls;

#define thread_check(call)                                                                         \
    do {                                                                                           \
        int thread_rc_ = (call);                                                                   \
        if (thread_rc_ != EXTATUS_OK) {                                                            \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call, thread_rc_,  \
                    extatus_error_last());                                                         \
            atomic_fetch_add(&thread_failures, 1);                                                 \
        }                                                                                          \
    } while (0)

/*
 * Fails every fifth call: the reporter keeps being restarted. It reads a
 * reporter's status during its delivery, as a reporter that renders the
 * default registry (with the reporters' self-metrics) does: the lock order
 * must allow that while other threads subscribe.
 */
static int flaky_sink(const extatus_report_item *items, size_t count, void *user_data)
{
    (void)user_data;
    extatus_reporter_status status;
    if (extatus_reporter_get_status("sink_a", &status) != EXTATUS_OK)
        atomic_fetch_add(&thread_failures, 1);
    for (size_t i = 0; i < count; i++)
        if (items[i].metric[0] == '\0' || items[i].value.kind == EXTATUS_VALUE_UNDEFINED)
            atomic_fetch_add(&thread_failures, 1);
    atomic_fetch_add(&delivered, (int)count);
    return atomic_fetch_add(&calls, 1) % 5 == 4 ? -1 : 0;
}

static void *subscribe_loop(void *arg)
{
    long id = (long)(intptr_t)arg;
    char name[32];
    for (int round = 0; round < ROUNDS; round++) {
        snprintf(name, sizeof(name), "pushed_%ld_%d", id, round % 3);
        extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
        sub.metric = name;
        sub.interval_ms = 1 + round % 3;
        thread_check(extatus_subscribe(id ? "sink_b" : "sink_a", &sub));
        if (round % 2)
            thread_check(extatus_unsubscribe(id ? "sink_b" : "sink_a", &sub));
        extatus_reporter_status status;
        thread_check(extatus_reporter_get_status("sink_a", &status));
        struct timespec pause = {0, 200000};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

static void *metric_loop(void *arg)
{
    long id = (long)(intptr_t)arg;
    char name[32];
    for (int round = 0; round < ROUNDS; round++) {
        snprintf(name, sizeof(name), "pushed_%ld_%d", id, round % 3);
        thread_check(extatus_new(NULL, name, "gauge", NULL, 0));
        thread_check(extatus_update(NULL, name, EXTATUS_NO_LABELS, round));
        struct timespec pause = {0, 300000};
        nanosleep(&pause, NULL);
        thread_check(extatus_delete(NULL, name));
    }
    return NULL;
}

static void test_reporters_under_churn(void **state)
{
    (void)state;
    assert_ok(extatus_process_collector_set_default(0));
    assert_ok(extatus_init());
    extatus_option options[] = {EXTATUS_OPT_FUNCTION("function", flaky_sink),
                                EXTATUS_OPT_NUMBER("restart_delay", 1)};
    assert_ok(extatus_reporter_add("sink_a", extatus_reporter_callback(), options, 2));
    assert_ok(extatus_reporter_add("sink_b", extatus_reporter_callback(), options, 2));
    pthread_t threads[4];
    for (long i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, subscribe_loop, (void *)(intptr_t)i), 0);
        assert_int_equal(pthread_create(&threads[2 + i], NULL, metric_loop, (void *)(intptr_t)i),
                         0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(threads[i], NULL);
    extatus_reporter_status a, b;
    assert_ok(extatus_reporter_get_status("sink_a", &a));
    assert_ok(extatus_reporter_get_status("sink_b", &b));
    print_message("%d items delivered; sink_a %llu failures %llu restarts\n",
                  atomic_load(&delivered), (unsigned long long)a.failures,
                  (unsigned long long)a.restarts);
    assert_true(atomic_load(&delivered) > 0);
    assert_true(a.failures + b.failures > 0 && a.restarts + b.restarts > 0);
    assert_int_equal(atomic_load(&thread_failures), 0);
    assert_ok(extatus_reporter_remove("sink_a"));
    extatus_shutdown(); /* sink_b and its subscriptions go with it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reporters_under_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
