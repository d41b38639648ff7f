/*
 * spiral_test.c - the spiral entry: option validation, datapoints, the
 * sliding window and the lifetime total, refusals through update, reset,
 * setopts, concurrent adds and the exposition (src/entries/spiral.c).
 */
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
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

static extatus_value read_point(const char *metric, const char *datapoint)
{
    extatus_value value;
    const char *names[] = {datapoint};
    assert_ok(extatus_get_value(NULL, metric, EXTATUS_NO_LABELS, names, 1, &value));
    return value;
}

static int64_t read_int(const char *metric, const char *datapoint)
{
    extatus_value value = read_point(metric, datapoint);
    assert_int_equal(value.kind, EXTATUS_VALUE_INT);
    return value.integer;
}

static void sleep_ms(long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static double now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

/* A spiral in the default registry with the given window. */
static extatus_spiral *new_spiral(const char *name, double time_span, double slots)
{
    extatus_option options[] = {EXTATUS_OPT_NUMBER("time_span", time_span),
                                EXTATUS_OPT_NUMBER("slots", slots)};
    extatus_family *family;
    extatus_spiral *spiral;
    assert_ok(extatus_family_new(&family, NULL, name, "spiral", options, 2));
    assert_ok(extatus_spiral_get(&spiral, family, EXTATUS_NO_LABELS));
    return spiral;
}

static void test_options_validation(void **state)
{
    static const struct {
        const char *name;      /* metric name */
        extatus_option option; /* the bad option */
        const char *message;   /* expected in the error message */
    } cases[] = {
        {"sp_span0", EXTATUS_OPT_NUMBER("time_span", 0),
         "'time_span' must be > 0 and <= 1e+10 ms, got 0"},
        {"sp_span_neg", EXTATUS_OPT_NUMBER("time_span", -5), "got -5"},
        {"sp_span_nan", EXTATUS_OPT_NUMBER("time_span", NAN), "got nan"},
        {"sp_span_str", EXTATUS_OPT_STRING("time_span", "60000"), "'time_span' must be a number"},
        {"sp_slots0", EXTATUS_OPT_NUMBER("slots", 0),
         "'slots' must be an integer in [1, 3600], got 0"},
        {"sp_slots_big", EXTATUS_OPT_NUMBER("slots", 3601), "got 3601"},
        {"sp_slots_frac", EXTATUS_OPT_NUMBER("slots", 1.5), "got 1.5"},
        {"sp_short", EXTATUS_OPT_NUMBER("time_span", 10), "shorter than 1 ms"}, /* 60 slots */
        {"sp_unknown", EXTATUS_OPT_NUMBER("max_age", 1), "unknown option 'max_age'"},
    };
    extatus_family *family;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_extatus(EXTATUS_ERR_OPTION,
                       extatus_new(NULL, cases[i].name, "spiral", &cases[i].option, 1));
        if (strstr(extatus_error_last(), cases[i].message) == NULL)
            fail_msg("case %s: message '%s' lacks '%s'", cases[i].name, extatus_error_last(),
                     cases[i].message);
        assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_family_lookup(&family, NULL, cases[i].name));
    }
    new_spiral("sp_one_slot", 1000, 1);
    new_spiral("sp_many_slots", 3600000, 3600);
}

static void test_datapoints(void **state)
{
    extatus_spiral *spiral;
    const extatus_datapoint *points;
    size_t count;
    const char *wanted[] = {"one", "two", "count", "created"};
    extatus_value values[4];
    (void)state;

    assert_ok(extatus_spiral_new(&spiral, NULL, "sp_points", "Events."));
    assert_ok(extatus_get_datapoints(NULL, "sp_points", EXTATUS_NO_LABELS, &points, &count));
    assert_int_equal(count, 3);
    /* As in exometer: "count" is the lifetime total (exposed), "one" the window sum. */
    assert_string_equal(points[0].name, "count");
    assert_int_equal(points[0].role, EXTATUS_SAMPLE_VALUE);
    assert_string_equal(points[1].name, "one");
    assert_int_equal(points[1].role, EXTATUS_SAMPLE_NONE);
    assert_string_equal(points[2].name, "created");
    assert_int_equal(points[2].role, EXTATUS_SAMPLE_CREATED);

    extatus_spiral_add(spiral, 7);
    extatus_spiral_add(spiral, 0);
    assert_ok(extatus_get_value(NULL, "sp_points", EXTATUS_NO_LABELS, wanted, 4, values));
    assert_int_equal(values[0].integer, 7);
    assert_int_equal(values[1].kind, EXTATUS_VALUE_UNDEFINED);
    assert_int_equal(values[2].integer, 7);
    assert_int_equal(values[3].kind, EXTATUS_VALUE_DOUBLE);
    assert_true(values[3].number > 1.6e9);
}

static void test_window_expires_total_stays(void **state)
{
    extatus_spiral *spiral = new_spiral("sp_window", 200, 4);
    (void)state;

    extatus_spiral_add(spiral, 5);
    extatus_spiral_add(spiral, 3);
    assert_int_equal(read_int("sp_window", "one"), 8);
    assert_int_equal(read_int("sp_window", "count"), 8);
    sleep_ms(300); /* longer than time_span plus the coarse clock's tick */
    assert_int_equal(read_int("sp_window", "one"), 0);   /* the window emptied */
    assert_int_equal(read_int("sp_window", "count"), 8); /* the lifetime total stays */
    extatus_spiral_add(spiral, 2);
    assert_int_equal(read_int("sp_window", "one"), 2);
    assert_int_equal(read_int("sp_window", "count"), 10);
}

static void test_window_slides(void **state)
{
    extatus_spiral *spiral = new_spiral("sp_slide", 200, 10);
    double start = now_ms();
    double last_add = start;
    int adds = 0;
    int64_t count;
    (void)state;

    /* One add at least every 20 ms for 0.5 s: slots are reused twice over. */
    while (now_ms() - start < 500) {
        extatus_spiral_add(spiral, 1);
        adds++;
        last_add = now_ms();
        sleep_ms(20);
    }
    count = read_int("sp_slide", "one");
    assert_int_equal(read_int("sp_slide", "count"), adds);
    /* Adds are >= 20 ms apart and the window spans at most 200 ms: at most 11 count. */
    assert_true(count <= 11);
    /* The last add is recent (unless this thread stalled for the whole window). */
    if (now_ms() - last_add < 150)
        assert_true(count >= 1);
    assert_true(count < adds);
}

static void test_update_refusals(void **state)
{
    extatus_spiral *spiral;
    static const double refused[] = {-1, 2.5, NAN, INFINITY, 1e20};
    size_t i;
    (void)state;

    assert_ok(extatus_spiral_new(&spiral, NULL, "sp_update", NULL));
    assert_ok(extatus_update(NULL, "sp_update", EXTATUS_NO_LABELS, 4));
    assert_ok(extatus_update(NULL, "sp_update", EXTATUS_NO_LABELS, 0));
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_extatus(EXTATUS_ERR_RANGE,
                       extatus_update(NULL, "sp_update", EXTATUS_NO_LABELS, refused[i]));
        assert_non_null(strstr(extatus_error_last(), "sp_update"));
        assert_non_null(strstr(extatus_error_last(), "non-negative integer"));
    }
    assert_int_equal(read_int("sp_update", "one"), 4);
    assert_int_equal(read_int("sp_update", "count"), 4);
}

static void test_reset(void **state)
{
    extatus_spiral *spiral;
    double created;
    (void)state;

    assert_ok(extatus_spiral_new(&spiral, NULL, "sp_reset", NULL));
    extatus_spiral_add(spiral, 9);
    created = read_point("sp_reset", "created").number;
    sleep_ms(20);
    assert_ok(extatus_reset(NULL, "sp_reset", EXTATUS_ALL_SERIES));
    assert_int_equal(read_int("sp_reset", "one"), 0);
    assert_int_equal(read_int("sp_reset", "count"), 0);
    assert_true(read_point("sp_reset", "created").number > created);
    extatus_spiral_add(spiral, 2);
    assert_int_equal(read_int("sp_reset", "one"), 2);
    assert_int_equal(read_int("sp_reset", "count"), 2);
}

static void test_setopts(void **state)
{
    extatus_option same = EXTATUS_OPT_NUMBER("time_span", 1000);
    extatus_option span = EXTATUS_OPT_NUMBER("time_span", 2000);
    extatus_option slots = EXTATUS_OPT_NUMBER("slots", 20);
    (void)state;

    new_spiral("sp_opts", 1000, 10);
    assert_ok(extatus_setopts(NULL, "sp_opts", EXTATUS_ALL_SERIES, &same, 1));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "sp_opts", EXTATUS_ALL_SERIES, &span, 1));
    assert_non_null(strstr(extatus_error_last(), "'time_span' cannot change"));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "sp_opts", EXTATUS_ALL_SERIES, &slots, 1));
    assert_non_null(strstr(extatus_error_last(), "'slots' cannot change"));
}

static void test_type_check(void **state)
{
    extatus_family *family;
    extatus_spiral *spiral;
    (void)state;

    assert_ok(extatus_family_new(&family, NULL, "sp_not_gauge", "gauge", NULL, 0));
    assert_extatus(EXTATUS_ERR_TYPE, extatus_spiral_get(&spiral, family, EXTATUS_NO_LABELS));
    assert_null(spiral);
    assert_non_null(strstr(extatus_error_last(), "sp_not_gauge"));
}

#define ADDERS 4
#define ADDS   100000

static void *add_loop(void *arg)
{
    extatus_spiral *spiral = arg;
    int i;
    for (i = 0; i < ADDS; i++)
        extatus_spiral_add(spiral, (uint64_t)(i % 3));
    return NULL;
}

static void test_concurrent_adds(void **state)
{
    extatus_spiral *spiral;
    pthread_t threads[ADDERS];
    int64_t expected = 0;
    int i;
    (void)state;

    /* A long window: nothing expires during the test, so no add may be lost. */
    spiral = new_spiral("sp_threads", 600000, 60);
    for (i = 0; i < ADDERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, add_loop, spiral), 0);
    for (i = 0; i < ADDERS; i++)
        pthread_join(threads[i], NULL);
    for (i = 0; i < ADDS; i++)
        expected += i % 3;
    assert_int_equal(read_int("sp_threads", "one"), ADDERS * expected);
    assert_int_equal(read_int("sp_threads", "count"), ADDERS * expected);
}

static void test_exposition(void **state)
{
    extatus_spiral *spiral;
    extatus_buf buf = EXTATUS_BUF_INIT;
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    (void)state;

    assert_ok(extatus_spiral_new(&spiral, NULL, "sp_jobs", "Jobs done."));
    extatus_spiral_add(spiral, 12);
    assert_ok(extatus_expose(&buf, NULL, 0, &options));
    /* Exposed as a counter of "count" (the text format names the family with _total). */
    assert_true(strstr(buf.ptr, "# TYPE sp_jobs_total counter\n") != NULL ||
                strstr(buf.ptr, "# TYPE sp_jobs counter\n") != NULL);
    assert_non_null(strstr(buf.ptr, "sp_jobs_total 12\n"));
    extatus_buf_dispose(&buf);

    /* After the window has passed, the exposed counter is still the lifetime total. */
    spiral = new_spiral("sp_short", 100, 2);
    extatus_spiral_add(spiral, 5);
    sleep_ms(200);
    assert_int_equal(read_int("sp_short", "one"), 0);
    assert_ok(extatus_expose(&buf, NULL, 0, &options));
    assert_non_null(strstr(buf.ptr, "sp_short_total 5\n"));
    extatus_buf_dispose(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_options_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datapoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_expires_total_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_slides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setopts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_adds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exposition, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
