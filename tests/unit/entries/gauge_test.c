/*
 * gauge_test.c - the gauge entry (src/entries/gauge.c).
 */
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <time.h>

static int setup(void **state)
{
    (void)state;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

static void test_set_inc_dec_add_sub(void **state)
{
    extatus_gauge *gauge;
    (void)state;
    assert_ok(extatus_gauge_new(&gauge, NULL, "queue_depth", "Items waiting."));
    assert_true(extatus_gauge_value(gauge) == 0);
    extatus_gauge_set(gauge, 10);
    extatus_gauge_inc(gauge);
    extatus_gauge_dec(gauge);
    extatus_gauge_dec(gauge);
    extatus_gauge_add(gauge, 2.5);
    extatus_gauge_sub(gauge, 0.5);
    assert_true(extatus_gauge_value(gauge) == 11);
    extatus_gauge_add(gauge, -20); /* gauges may go down through add */
    assert_true(extatus_gauge_value(gauge) == -9);
    extatus_gauge_set(gauge, NAN);
    assert_true(isnan(extatus_gauge_value(gauge)));
}

static void test_set_to_current_time(void **state)
{
    extatus_gauge *gauge;
    (void)state;
    assert_ok(extatus_gauge_new(&gauge, NULL, "last_run_seconds", NULL));
    /*
     * Bracket with the same clock the gauge reads (CLOCK_REALTIME): time()
     * reads the coarse seconds, which can run a tick ahead of it.
     */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double before = (double)now.tv_sec;
    extatus_gauge_set_to_current_time(gauge);
    clock_gettime(CLOCK_REALTIME, &now);
    double after = (double)now.tv_sec + 1;
    assert_true(extatus_gauge_value(gauge) >= before && extatus_gauge_value(gauge) <= after);
}

static void test_update_sets_and_reset_zeroes(void **state)
{
    extatus_gauge *gauge;
    extatus_value value;
    const char *datapoint[] = {"value"};
    (void)state;
    assert_ok(extatus_gauge_new(&gauge, NULL, "by_name", NULL));
    assert_ok(extatus_update(NULL, "by_name", EXTATUS_NO_LABELS, -3.25));
    assert_true(extatus_gauge_value(gauge) == -3.25);
    assert_ok(extatus_get_value(NULL, "by_name", EXTATUS_NO_LABELS, datapoint, 1, &value));
    assert_int_equal(value.kind, EXTATUS_VALUE_DOUBLE);
    assert_true(value.number == -3.25);
    assert_ok(extatus_reset(NULL, "by_name", EXTATUS_ALL_SERIES));
    assert_true(extatus_gauge_value(gauge) == 0);
    extatus_option option[] = {EXTATUS_OPT_NUMBER("anything", 1)};
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "by_name", EXTATUS_ALL_SERIES, option, 1));
}

#define THREADS    4
#define PER_THREAD 50000

static void *add_and_sub(void *arg)
{
    extatus_gauge *gauge = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        extatus_gauge_inc(gauge);
        extatus_gauge_add(gauge, 2);
        extatus_gauge_sub(gauge, 1);
    }
    return NULL;
}

static void test_concurrent_adds(void **state)
{
    extatus_gauge *gauge;
    pthread_t threads[THREADS];
    (void)state;
    assert_ok(extatus_gauge_new(&gauge, NULL, "contended", NULL));
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, add_and_sub, gauge), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    assert_true(extatus_gauge_value(gauge) == 2.0 * THREADS * PER_THREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_set_inc_dec_add_sub, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_to_current_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_sets_and_reset_zeroes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_adds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
