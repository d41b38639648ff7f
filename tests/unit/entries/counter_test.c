/*
 * counter_test.c - the counter entry: increments, refusals, reset,
 * datapoints and per-thread shards (src/entries/counter.c).
 */
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void test_integer_and_float_adds(void **state)
{
    extatus_counter *counter;
    (void)state;
    assert_ok(extatus_counter_new(&counter, NULL, "events_total", "Events."));
    assert_true(extatus_counter_value(counter) == 0);
    extatus_counter_inc(counter);
    extatus_counter_add(counter, 41);
    assert_true(extatus_counter_value(counter) == 42);
    assert_ok(extatus_counter_add_float(counter, 0.5));
    assert_ok(extatus_counter_add_float(counter, 2)); /* whole: integer path */
    assert_true(extatus_counter_value(counter) == 44.5);
}

static void test_negative_and_nan_refused(void **state)
{
    extatus_counter *counter;
    (void)state;
    assert_ok(extatus_counter_new(&counter, NULL, "refusals_total", NULL));
    extatus_counter_add(counter, 7);
    assert_extatus(EXTATUS_ERR_RANGE, extatus_counter_add_float(counter, -1));
    assert_non_null(strstr(extatus_error_last(), "-1"));
    assert_extatus(EXTATUS_ERR_RANGE, extatus_counter_add_float(counter, NAN));
    assert_extatus(EXTATUS_ERR_RANGE,
                   extatus_update(NULL, "refusals_total", EXTATUS_NO_LABELS, -0.25));
    assert_non_null(strstr(extatus_error_last(), "refusals_total"));
    assert_true(extatus_counter_value(counter) == 7);
    assert_ok(extatus_update(NULL, "refusals_total", EXTATUS_NO_LABELS, 3));
    assert_true(extatus_counter_value(counter) == 10);
}

static void test_datapoints(void **state)
{
    extatus_counter *counter;
    const extatus_datapoint *datapoints;
    size_t count;
    (void)state;
    assert_ok(extatus_counter_new(&counter, NULL, "dp_total", NULL));
    extatus_counter_add(counter, 5);
    assert_ok(extatus_get_datapoints(NULL, "dp_total", EXTATUS_NO_LABELS, &datapoints, &count));
    assert_int_equal(count, 3);
    assert_string_equal(datapoints[0].name, "value");
    assert_int_equal(datapoints[0].role, EXTATUS_SAMPLE_VALUE);
    assert_string_equal(datapoints[1].name, "ms_since_reset");
    assert_string_equal(datapoints[2].name, "created");
    assert_int_equal(datapoints[2].role, EXTATUS_SAMPLE_CREATED);

    const char *wanted[] = {"value", "nonsense", "ms_since_reset"};
    extatus_value values[3];
    assert_ok(extatus_get_value(NULL, "dp_total", EXTATUS_NO_LABELS, wanted, 3, values));
    assert_int_equal(values[0].kind, EXTATUS_VALUE_INT);
    assert_int_equal(values[0].integer, 5);
    assert_int_equal(values[1].kind, EXTATUS_VALUE_UNDEFINED);
    assert_true(isnan(extatus_value_to_double(&values[1])));
    assert_int_equal(values[2].kind, EXTATUS_VALUE_INT);
    assert_true(values[2].integer >= 0 && values[2].integer < 60000);

    extatus_value all[3];
    assert_ok(extatus_get_value(NULL, "dp_total", EXTATUS_NO_LABELS, NULL, 3, all));
    assert_int_equal(all[0].integer, 5);
    assert_int_equal(all[2].kind, EXTATUS_VALUE_DOUBLE);
    assert_true(all[2].number > 1.6e9); /* epoch seconds */
    /* Reading all needs exactly the number of datapoints. */
    assert_extatus(EXTATUS_ERR_INVALID,
                   extatus_get_value(NULL, "dp_total", EXTATUS_NO_LABELS, NULL, 2, all));
}

static void test_reset(void **state)
{
    extatus_counter *counter;
    extatus_value created_before, created_after;
    const char *created[] = {"created"};
    (void)state;
    assert_ok(extatus_counter_new(&counter, NULL, "resettable_total", NULL));
    extatus_counter_add(counter, 100);
    assert_ok(extatus_counter_add_float(counter, 0.25));
    assert_ok(extatus_get_value(NULL, "resettable_total", EXTATUS_NO_LABELS, created, 1,
                                &created_before));
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_ok(extatus_reset(NULL, "resettable_total", EXTATUS_ALL_SERIES));
    assert_true(extatus_counter_value(counter) == 0);
    assert_ok(
        extatus_get_value(NULL, "resettable_total", EXTATUS_NO_LABELS, created, 1, &created_after));
    assert_true(created_after.number > created_before.number);
    extatus_counter_inc(counter);
    assert_true(extatus_counter_value(counter) == 1);
    extatus_counter_reset(counter);
    assert_true(extatus_counter_value(counter) == 0);
    /* An infinite total resets to 0, not to Inf - Inf. */
    assert_ok(extatus_counter_add_float(counter, INFINITY));
    assert_true(isinf(extatus_counter_value(counter)));
    extatus_counter_reset(counter);
    assert_true(extatus_counter_value(counter) == 0);
}

static void test_labelled_counters_and_type_check(void **state)
{
    const char *labels[] = {"method", "code"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 2)};
    extatus_family *family, *gauges;
    extatus_counter *get, *post, *again;
    extatus_gauge *gauge;
    (void)state;
    assert_ok(extatus_family_new(&family, NULL, "http_requests_total", "counter", options, 1));
    const char *v_get[] = {"GET", "200"}, *v_post[] = {"POST", "200"};
    assert_ok(extatus_counter_get(&get, family, extatus_labels_of(v_get, 2)));
    assert_ok(extatus_counter_get(&post, family, extatus_labels_of(v_post, 2)));
    assert_ptr_not_equal(get, post);
    extatus_counter_add(get, 3);
    extatus_counter_inc(post);
    assert_ok(extatus_counter_get(&again, family, extatus_labels_of(v_get, 2)));
    assert_ptr_equal(again, get);
    assert_true(extatus_counter_value(again) == 3);
    assert_extatus(EXTATUS_ERR_TYPE,
                   extatus_gauge_get(&gauge, family, extatus_labels_of(v_get, 2)));
    assert_non_null(strstr(extatus_error_last(), "http_requests_total"));
    assert_ok(extatus_family_new(&gauges, NULL, "temperature", "gauge", NULL, 0));
    assert_extatus(EXTATUS_ERR_TYPE, extatus_counter_get(&again, gauges, EXTATUS_NO_LABELS));
}

/* More threads than exclusive shards: some share, and nothing is lost. */
#define THREADS    40
#define PER_THREAD 20000

static void *hammer(void *arg)
{
    extatus_counter *counter = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        extatus_counter_inc(counter);
        if (i % 1000 == 0)
            extatus_counter_add_float(counter, 0.5);
    }
    return NULL;
}

static void test_threads_lose_nothing(void **state)
{
    extatus_counter *counter;
    pthread_t threads[THREADS];
    (void)state;
    assert_ok(extatus_counter_new(&counter, NULL, "threaded_total", NULL));
    for (int round = 0; round < 2; round++) { /* second round reuses released shards */
        for (int i = 0; i < THREADS; i++)
            assert_int_equal(pthread_create(&threads[i], NULL, hammer, counter), 0);
        for (int i = 0; i < THREADS; i++)
            pthread_join(threads[i], NULL);
    }
    double expected = 2.0 * THREADS * (PER_THREAD + (PER_THREAD / 1000) * 0.5);
    assert_true(extatus_counter_value(counter) == expected);
}

/* ---- never backwards at 2^64 ------------------------------------------------ */

#define TWO_POW_64 18446744073709551616.0

/* The counter's value in the text exposition of the default registry, parsed. */
static double exposed_total(const char *name)
{
    extatus_buf buf = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&buf, NULL, 0, NULL));
    char line[128];
    snprintf(line, sizeof line, "\n%s ", name);
    const char *at = strstr(buf.ptr, line);
    assert_non_null(at);
    double value = strtod(at + strlen(line), NULL);
    extatus_buf_dispose(&buf);
    return value;
}

static void test_carry_past_two_pow_64(void **state)
{
    extatus_counter *counter;
    (void)state;
    assert_ok(extatus_counter_new(&counter, NULL, "huge_total", NULL));
    extatus_counter_add(counter, UINT64_MAX);
    assert_true(extatus_counter_value(counter) == 18446744073709551615.0);
    extatus_counter_inc(counter); /* wrapped to 0 before */
    assert_true(extatus_counter_value(counter) == TWO_POW_64);
    assert_true(exposed_total("huge_total") == TWO_POW_64);
    extatus_counter_add(counter, UINT64_MAX); /* 2^65 - 1: one rounding, to nearest */
    assert_true(extatus_counter_value(counter) == 2 * TWO_POW_64);
    assert_ok(extatus_counter_add_float(counter, 8193)); /* whole: integer path; 2^65 + 8192 */
    assert_true(extatus_counter_value(counter) == 2 * TWO_POW_64 + 8192);

    extatus_counter *halves;
    assert_ok(extatus_counter_new(&halves, NULL, "halves_total", NULL));
    extatus_counter_add(halves, UINT64_C(1) << 63);
    extatus_counter_add(halves, UINT64_C(1) << 63); /* read 0 before */
    assert_true(extatus_counter_value(halves) == TWO_POW_64);
    assert_true(exposed_total("halves_total") == TWO_POW_64);

    /* A reset past 2^64 starts again from 0, exactly. */
    extatus_counter_reset(halves);
    assert_true(extatus_counter_value(halves) == 0);
    extatus_counter_add(halves, 7);
    assert_true(extatus_counter_value(halves) == 7);
    assert_true(exposed_total("halves_total") == 7);
}

/*
 * Sharded and shared: more threads than exclusive shards each carry their
 * cell past 2^64 many times while a reader checks the value never goes
 * down; the final total is exact.
 */
#define CARRY_THREADS 40
#define CARRY_ADDS    64

static atomic_int carry_writers_done;

static void *carry_writer(void *arg)
{
    extatus_counter *counter = arg;
    for (int i = 0; i < CARRY_ADDS; i++)
        extatus_counter_add(counter, UINT64_C(1) << 62); /* every 4 adds pass 2^64 */
    atomic_fetch_add(&carry_writers_done, 1);
    return NULL;
}

static void *carry_reader(void *arg)
{
    extatus_counter *counter = arg;
    double last = 0;
    long backwards = 0;
    while (atomic_load(&carry_writers_done) < CARRY_THREADS) {
        double now = extatus_counter_value(counter);
        backwards += now < last;
        last = now;
    }
    return (void *)(intptr_t)backwards;
}

static void test_carry_on_shards(void **state)
{
    extatus_counter *counter;
    pthread_t writers[CARRY_THREADS];
    pthread_t reader;
    (void)state;
    assert_ok(extatus_counter_new(&counter, NULL, "sharded_huge_total", NULL));
    atomic_store(&carry_writers_done, 0);
    assert_int_equal(pthread_create(&reader, NULL, carry_reader, counter), 0);
    for (int i = 0; i < CARRY_THREADS; i++)
        assert_int_equal(pthread_create(&writers[i], NULL, carry_writer, counter), 0);
    for (int i = 0; i < CARRY_THREADS; i++)
        pthread_join(writers[i], NULL);
    void *backwards = NULL;
    pthread_join(reader, &backwards);
    assert_int_equal((intptr_t)backwards, 0);
    /* 40 * 64 * 2^62 = 640 * 2^64, exact in a double. */
    assert_true(extatus_counter_value(counter) ==
                (double)CARRY_THREADS * CARRY_ADDS / 4 * TWO_POW_64);
    assert_true(exposed_total("sharded_huge_total") ==
                (double)CARRY_THREADS * CARRY_ADDS / 4 * TWO_POW_64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_integer_and_float_adds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_negative_and_nan_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datapoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labelled_counters_and_type_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_lose_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carry_past_two_pow_64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_carry_on_shards, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
