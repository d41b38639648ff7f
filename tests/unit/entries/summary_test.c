/*
 * summary_test.c - the summary entry: option validation, lifetime
 * count/sum, the quantile error bound on known distributions, window
 * expiry and slice reuse, reset, reads by name, setopts, concurrent
 * observers and the exposition (src/entries/summary.c).
 */
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
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

static double read_double(const char *metric, const char *datapoint)
{
    extatus_value value = read_point(metric, datapoint);
    assert_int_equal(value.kind, EXTATUS_VALUE_DOUBLE);
    return value.number;
}

static void sleep_ms(long ms)
{
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&pause, NULL);
}

static void test_options_validation(void **state)
{
    static const double too_big[] = {0.5, 1.0};
    static const double zero[] = {0.0};
    static const double decreasing[] = {0.9, 0.5};
    static const double not_a_number[] = {NAN};
    static double many[33];
    static const struct {
        const char *name;      /* metric name */
        extatus_option option; /* the bad option */
        const char *message;   /* expected in the error message */
    } cases[] = {
        {"s_big", EXTATUS_OPT_DOUBLES("quantiles", too_big, 2),
         "quantile 1 is 1; it must be in (0, 1)"},
        {"s_zero", EXTATUS_OPT_DOUBLES("quantiles", zero, 1), "quantile 0 is 0;"},
        {"s_order", EXTATUS_OPT_DOUBLES("quantiles", decreasing, 2),
         "quantile 1 (0.5) is not greater than quantile 0 (0.9)"},
        {"s_nan", EXTATUS_OPT_DOUBLES("quantiles", not_a_number, 1), "quantile 0 is nan"},
        {"s_many", EXTATUS_OPT_DOUBLES("quantiles", many, 33), "33 given, at most 32"},
        {"s_kind", EXTATUS_OPT_NUMBER("quantiles", 0.5), "'quantiles' must be a list of doubles"},
        {"s_age0", EXTATUS_OPT_NUMBER("max_age", 0),
         "'max_age' must be > 0 and <= 1e+07 seconds, got 0"},
        {"s_age_neg", EXTATUS_OPT_NUMBER("max_age", -1), "got -1"},
        {"s_age_nan", EXTATUS_OPT_NUMBER("max_age", NAN), "got nan"},
        {"s_age_str", EXTATUS_OPT_STRING("max_age", "60"), "'max_age' must be a number"},
        {"s_buckets0", EXTATUS_OPT_NUMBER("age_buckets", 0),
         "'age_buckets' must be an integer in [1, 60], got 0"},
        {"s_buckets61", EXTATUS_OPT_NUMBER("age_buckets", 61), "got 61"},
        {"s_buckets_frac", EXTATUS_OPT_NUMBER("age_buckets", 2.5), "got 2.5"},
        {"s_unknown", EXTATUS_OPT_NUMBER("buckets", 3), "unknown option 'buckets'"},
    };
    extatus_family *family;
    size_t i;
    (void)state;

    for (i = 0; i < 33; i++)
        many[i] = (double)(i + 1) / 34.0;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_extatus(EXTATUS_ERR_OPTION,
                       extatus_new(NULL, cases[i].name, "summary", &cases[i].option, 1));
        if (strstr(extatus_error_last(), cases[i].message) == NULL)
            fail_msg("case %s: message '%s' lacks '%s'", cases[i].name, extatus_error_last(),
                     cases[i].message);
        assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_family_lookup(&family, NULL, cases[i].name));
    }
    /* Slices shorter than 1 ms. */
    {
        static const double median[] = {0.5};
        extatus_option options[] = {EXTATUS_OPT_DOUBLES("quantiles", median, 1),
                                    EXTATUS_OPT_NUMBER("max_age", 0.01),
                                    EXTATUS_OPT_NUMBER("age_buckets", 20)};
        extatus_summary *summary;
        assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "s_short", "summary", options, 3));
        assert_non_null(strstr(extatus_error_last(), "shorter than 1 ms"));
        assert_extatus(EXTATUS_ERR_OPTION,
                       extatus_summary_new(&summary, NULL, "s_typed", NULL, decreasing, 2));
        assert_null(summary);
        /* The limits themselves are accepted. */
        options[1].number = 60;
        options[2].number = 60;
        assert_ok(extatus_new(NULL, "s_limits", "summary", options, 3));
        options[2].number = 1;
        assert_ok(extatus_new(NULL, "s_one_slice", "summary", options, 3));
    }
}

static void test_plain_summary(void **state)
{
    extatus_summary *summary;
    const extatus_datapoint *points;
    size_t count;
    (void)state;

    assert_ok(extatus_summary_new(&summary, NULL, "s_plain", "Plain.", NULL, 0));
    assert_ok(extatus_get_datapoints(NULL, "s_plain", EXTATUS_NO_LABELS, &points, &count));
    assert_int_equal(count, 3);
    assert_string_equal(points[0].name, "count");
    assert_int_equal(points[0].role, EXTATUS_SAMPLE_COUNT);
    assert_string_equal(points[1].name, "sum");
    assert_int_equal(points[1].role, EXTATUS_SAMPLE_SUM);
    assert_string_equal(points[2].name, "created");
    assert_int_equal(points[2].role, EXTATUS_SAMPLE_CREATED);

    extatus_summary_observe(summary, 1.5);
    extatus_summary_observe(summary, -0.5);
    assert_ok(extatus_update(NULL, "s_plain", EXTATUS_NO_LABELS, 3));
    assert_int_equal(read_int("s_plain", "count"), 3);
    assert_true(read_double("s_plain", "sum") == 4.0);
    assert_int_equal(read_point("s_plain", "0.5").kind, EXTATUS_VALUE_UNDEFINED);

    /* NaN counts and poisons the sum; a reset forgets it. */
    extatus_summary_observe(summary, NAN);
    assert_int_equal(read_int("s_plain", "count"), 4);
    assert_true(isnan(read_double("s_plain", "sum")));
    assert_ok(extatus_reset(NULL, "s_plain", EXTATUS_ALL_SERIES));
    assert_int_equal(read_int("s_plain", "count"), 0);
    assert_true(read_double("s_plain", "sum") == 0.0);
    extatus_summary_observe(summary, INFINITY);
    assert_true(isinf(read_double("s_plain", "sum")));
    extatus_summary_observe(summary, -INFINITY);
    assert_true(isnan(read_double("s_plain", "sum")));
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A uniform double in (0, 1). */
static double uniform(unsigned *seed)
{
    return ((double)rand_r(seed) + 1.0) / ((double)RAND_MAX + 2.0);
}

#define SAMPLES 50000

static const double test_quantiles[] = {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999};
#define TEST_QUANTILES (sizeof(test_quantiles) / sizeof(test_quantiles[0]))

/*
 * Observe `samples` into a fresh summary and check every estimate against
 * the exact sample at rank ceil(q * n): within 1/64 of it, relative.
 */
static void check_distribution(const char *metric, double *samples, size_t n)
{
    extatus_option option = EXTATUS_OPT_DOUBLES("quantiles", test_quantiles, TEST_QUANTILES);
    extatus_family *family;
    extatus_summary *summary;
    extatus_value values[TEST_QUANTILES + 3];
    size_t i;

    assert_ok(extatus_family_new(&family, NULL, metric, "summary", &option, 1));
    assert_ok(extatus_summary_get(&summary, family, EXTATUS_NO_LABELS));
    for (i = 0; i < n; i++)
        extatus_summary_observe(summary, samples[i]);
    qsort(samples, n, sizeof(double), compare_doubles);
    assert_ok(extatus_get_value(NULL, metric, EXTATUS_NO_LABELS, NULL, TEST_QUANTILES + 3, values));
    assert_int_equal(values[TEST_QUANTILES].integer, (int64_t)n);
    for (i = 0; i < TEST_QUANTILES; i++) {
        double rank = ceil(test_quantiles[i] * (double)n);
        double exact = samples[(size_t)(rank < 1 ? 1 : rank) - 1];
        double estimate = values[i].number;
        assert_int_equal(values[i].kind, EXTATUS_VALUE_DOUBLE);
        if (!(fabs(estimate - exact) <= fabs(exact) / 64.0))
            fail_msg("%s: q=%g estimate %.17g, exact %.17g, relative error %g > 1/64", metric,
                     test_quantiles[i], estimate, exact, fabs(estimate - exact) / fabs(exact));
    }
}

static void test_quantile_error_bound(void **state)
{
    double *samples = malloc(SAMPLES * sizeof(double));
    unsigned seed = 12345;
    size_t i;
    (void)state;

    assert_non_null(samples);
    for (i = 0; i < SAMPLES; i++)
        samples[i] = uniform(&seed) * 1000.0;
    check_distribution("s_uniform", samples, SAMPLES);
    for (i = 0; i < SAMPLES; i++)
        samples[i] = -log(uniform(&seed)) * 0.003; /* exponential, mean 3 ms */
    check_distribution("s_exponential", samples, SAMPLES);
    for (i = 0; i < SAMPLES; i++)
        samples[i] = 42.0;
    check_distribution("s_constant", samples, SAMPLES);
    for (i = 0; i < SAMPLES; i++)
        samples[i] = pow(uniform(&seed), -1.0 / 1.2); /* Pareto, alpha 1.2: heavy tail */
    check_distribution("s_pareto", samples, SAMPLES);
    for (i = 0; i < SAMPLES; i++) /* both signs and exact zeros */
        samples[i] = i % 7 == 0 ? 0.0 : (uniform(&seed) - 0.5) * 200.0;
    check_distribution("s_signed", samples, SAMPLES);
    for (i = 0; i < SAMPLES; i++) /* tiny and huge, inside [2^-32, 2^32) */
        samples[i] = ldexp(uniform(&seed) + 1.0, (int)(i % 60) - 30);
    check_distribution("s_wide", samples, SAMPLES);
    free(samples);
}

static void test_values_outside_the_range_clamp(void **state)
{
    static const double median[] = {0.5};
    extatus_summary *summary;
    double estimate;
    int i;
    (void)state;

    assert_ok(extatus_summary_new(&summary, NULL, "s_clamp", NULL, median, 1));
    for (i = 0; i < 10; i++)
        extatus_summary_observe(summary, 1e12); /* above 2^32 */
    estimate = read_double("s_clamp", "0.5");
    assert_true(estimate >= 4.0e9 && estimate < 4294967296.0);
    for (i = 0; i < 30; i++)
        extatus_summary_observe(summary, 1e-15); /* below 2^-32 */
    estimate = read_double("s_clamp", "0.5");
    assert_true(estimate > 0 && estimate < 2.4e-10);
    /* NaN is counted but has no rank. */
    for (i = 0; i < 100; i++)
        extatus_summary_observe(summary, NAN);
    assert_int_equal(read_int("s_clamp", "count"), 140);
    assert_true(read_double("s_clamp", "0.5") < 2.4e-10);
}

static void test_names_and_reads(void **state)
{
    static const double quantiles[] = {0.5, 0.9, 0.99};
    extatus_summary *summary;
    const extatus_datapoint *points;
    size_t count;
    const char *wanted[] = {"0.9", "p90", "count", "0.90"};
    extatus_value values[4];
    (void)state;

    assert_ok(extatus_summary_new(&summary, NULL, "s_names", NULL, quantiles, 3));
    assert_ok(extatus_get_datapoints(NULL, "s_names", EXTATUS_NO_LABELS, &points, &count));
    assert_int_equal(count, 6);
    assert_string_equal(points[0].name, "0.5");
    assert_string_equal(points[1].name, "0.9");
    assert_string_equal(points[2].name, "0.99");
    assert_string_equal(points[3].name, "count");
    assert_string_equal(points[4].name, "sum");
    assert_string_equal(points[5].name, "created");
    assert_int_equal(points[2].role, EXTATUS_SAMPLE_QUANTILE);
    assert_true(points[2].bound == 0.99);

    /* Empty window: NaN, not an error. */
    assert_ok(extatus_get_value(NULL, "s_names", EXTATUS_NO_LABELS, wanted, 4, values));
    assert_int_equal(values[0].kind, EXTATUS_VALUE_DOUBLE);
    assert_true(isnan(values[0].number));
    assert_int_equal(values[1].kind, EXTATUS_VALUE_UNDEFINED);
    assert_int_equal(values[2].integer, 0);
    assert_int_equal(values[3].kind, EXTATUS_VALUE_UNDEFINED);

    extatus_summary_observe(summary, 10);
    assert_ok(extatus_get_value(NULL, "s_names", EXTATUS_NO_LABELS, wanted, 4, values));
    assert_true(fabs(values[0].number - 10) <= 10.0 / 64);
    assert_int_equal(values[2].integer, 1);
}

static void test_window_expiry(void **state)
{
    static const double median[] = {0.5};
    extatus_option options[] = {EXTATUS_OPT_DOUBLES("quantiles", median, 1),
                                EXTATUS_OPT_NUMBER("max_age", 0.2),
                                EXTATUS_OPT_NUMBER("age_buckets", 2)};
    extatus_family *family;
    extatus_summary *summary;
    int i;
    (void)state;

    assert_ok(extatus_family_new(&family, NULL, "s_expiry", "summary", options, 3));
    assert_ok(extatus_summary_get(&summary, family, EXTATUS_NO_LABELS));
    for (i = 0; i < 100; i++)
        extatus_summary_observe(summary, 1.0);
    assert_true(fabs(read_double("s_expiry", "0.5") - 1.0) <= 1.0 / 64);
    sleep_ms(350); /* longer than max_age plus the coarse clock's tick */
    assert_true(isnan(read_double("s_expiry", "0.5")));
    assert_int_equal(read_int("s_expiry", "count"), 100); /* lifetime, never windowed */
    assert_true(read_double("s_expiry", "sum") == 100.0);
    for (i = 0; i < 10; i++)
        extatus_summary_observe(summary, 1000.0);
    assert_true(fabs(read_double("s_expiry", "0.5") - 1000.0) <= 1000.0 / 64);
}

static void test_slices_are_reused(void **state)
{
    static const double median[] = {0.5};
    extatus_option options[] = {EXTATUS_OPT_DOUBLES("quantiles", median, 1),
                                EXTATUS_OPT_NUMBER("max_age", 0.2),
                                EXTATUS_OPT_NUMBER("age_buckets", 4)};
    extatus_family *family;
    extatus_summary *summary;
    int i;
    (void)state;

    /* 0.4 s of 5.0 go through every slice twice; then 0.3 s of 500.0 take them over. */
    assert_ok(extatus_family_new(&family, NULL, "s_reuse", "summary", options, 3));
    assert_ok(extatus_summary_get(&summary, family, EXTATUS_NO_LABELS));
    for (i = 0; i < 40; i++) {
        extatus_summary_observe(summary, 5.0);
        sleep_ms(10);
    }
    assert_true(fabs(read_double("s_reuse", "0.5") - 5.0) <= 5.0 / 64);
    for (i = 0; i < 30; i++) {
        extatus_summary_observe(summary, 500.0);
        sleep_ms(10);
    }
    /* Every 5.0 is at least 0.3 s old: outside the 0.2 s window, in reused slices. */
    assert_true(fabs(read_double("s_reuse", "0.5") - 500.0) <= 500.0 / 64);
    assert_int_equal(read_int("s_reuse", "count"), 70);
}

static void test_reset(void **state)
{
    static const double median[] = {0.5};
    extatus_summary *summary;
    double created;
    int i;
    (void)state;

    assert_ok(extatus_summary_new(&summary, NULL, "s_reset", NULL, median, 1));
    for (i = 0; i < 50; i++)
        extatus_summary_observe(summary, 2.0);
    created = read_double("s_reset", "created");
    sleep_ms(20);
    assert_ok(extatus_reset(NULL, "s_reset", EXTATUS_ALL_SERIES));
    assert_int_equal(read_int("s_reset", "count"), 0);
    assert_true(read_double("s_reset", "sum") == 0);
    assert_true(isnan(read_double("s_reset", "0.5")));
    assert_true(read_double("s_reset", "created") > created);
    /* The slice emptied by the reset takes new observations in the same epoch. */
    extatus_summary_observe(summary, 300.0);
    assert_true(fabs(read_double("s_reset", "0.5") - 300.0) <= 300.0 / 64);
    assert_int_equal(read_int("s_reset", "count"), 1);
}

static void test_setopts(void **state)
{
    static const double quantiles[] = {0.5, 0.9};
    static const double other[] = {0.5, 0.99};
    extatus_summary *summary;
    extatus_option same = EXTATUS_OPT_DOUBLES("quantiles", quantiles, 2);
    extatus_option changed = EXTATUS_OPT_DOUBLES("quantiles", other, 2);
    extatus_option same_age = EXTATUS_OPT_NUMBER("max_age", 60);
    extatus_option new_age = EXTATUS_OPT_NUMBER("max_age", 30);
    extatus_option new_buckets = EXTATUS_OPT_NUMBER("age_buckets", 10);
    (void)state;

    assert_ok(extatus_summary_new(&summary, NULL, "s_opts", NULL, quantiles, 2));
    assert_ok(extatus_setopts(NULL, "s_opts", EXTATUS_ALL_SERIES, &same, 1));
    assert_ok(extatus_setopts(NULL, "s_opts", EXTATUS_ALL_SERIES, &same_age, 1));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "s_opts", EXTATUS_ALL_SERIES, &changed, 1));
    assert_non_null(strstr(extatus_error_last(), "'quantiles' cannot change after creation"));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "s_opts", EXTATUS_ALL_SERIES, &new_age, 1));
    assert_non_null(strstr(extatus_error_last(), "'max_age' cannot change"));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "s_opts", EXTATUS_ALL_SERIES, &new_buckets, 1));
    assert_non_null(strstr(extatus_error_last(), "'age_buckets' cannot change"));
    assert_int_equal(read_point("s_opts", "0.99").kind, EXTATUS_VALUE_UNDEFINED);
}

static void test_labels_and_type_check(void **state)
{
    const char *labels[] = {"queue"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
    const char *low[] = {"low"};
    const char *high[] = {"high"};
    extatus_family *family;
    extatus_family *gauges;
    extatus_summary *a;
    extatus_summary *b;
    extatus_value value;
    const char *count[] = {"count"};
    (void)state;

    assert_ok(extatus_family_new(&family, NULL, "s_queues", "summary", options, 1));
    assert_ok(extatus_summary_get(&a, family, extatus_labels_of(low, 1)));
    assert_ok(extatus_summary_get(&b, family, extatus_labels_of(high, 1)));
    assert_ptr_not_equal(a, b);
    extatus_summary_observe(b, 1);
    extatus_summary_observe(b, 1);
    assert_ok(extatus_get_value(NULL, "s_queues", extatus_labels_of(high, 1), count, 1, &value));
    assert_int_equal(value.integer, 2);
    assert_ok(extatus_get_value(NULL, "s_queues", extatus_labels_of(low, 1), count, 1, &value));
    assert_int_equal(value.integer, 0);

    assert_ok(extatus_family_new(&gauges, NULL, "s_gauge", "gauge", NULL, 0));
    assert_extatus(EXTATUS_ERR_TYPE, extatus_summary_get(&a, gauges, EXTATUS_NO_LABELS));
    assert_null(a);
}

#define OBSERVERS    4
#define OBSERVATIONS 100000

typedef struct reader_state {
    atomic_int stop;          /* set by the main thread */
    atomic_long reads;        /* reads done */
    atomic_long inconsistent; /* reads whose quantiles decrease or fall outside the values */
} reader_state;

static void *observe_loop(void *arg)
{
    extatus_summary *summary = arg;
    int i;
    for (i = 0; i < OBSERVATIONS; i++)
        extatus_summary_observe(summary, (double)(i % 100 + 1));
    return NULL;
}

static void *read_loop(void *arg)
{
    reader_state *reader = arg;
    extatus_value values[6];
    while (!atomic_load(&reader->stop)) {
        if (extatus_get_value(NULL, "s_threads", EXTATUS_NO_LABELS, NULL, 6, values) !=
            EXTATUS_OK) {
            atomic_fetch_add(&reader->inconsistent, 1);
            continue;
        }
        /* The window lags count by an instant: an empty window reads NaN. */
        if (!isnan(values[0].number) &&
            !(values[0].number <= values[1].number && values[1].number <= values[2].number &&
              values[0].number >= 1 - 1.0 / 64 && values[2].number <= 100 * (1 + 1.0 / 64)))
            atomic_fetch_add(&reader->inconsistent, 1);
        atomic_fetch_add(&reader->reads, 1);
    }
    return NULL;
}

static void test_concurrent_observers(void **state)
{
    static const double quantiles[] = {0.5, 0.9, 0.99};
    extatus_summary *summary;
    pthread_t observers[OBSERVERS];
    pthread_t reader_thread;
    reader_state reader;
    int i;
    (void)state;

    memset(&reader, 0, sizeof(reader));
    assert_ok(extatus_summary_new(&summary, NULL, "s_threads", NULL, quantiles, 3));
    assert_int_equal(pthread_create(&reader_thread, NULL, read_loop, &reader), 0);
    while (atomic_load(&reader.reads) == 0) /* the reader is running before the observers */
        sched_yield();
    for (i = 0; i < OBSERVERS; i++)
        assert_int_equal(pthread_create(&observers[i], NULL, observe_loop, summary), 0);
    for (i = 0; i < OBSERVERS; i++)
        pthread_join(observers[i], NULL);
    atomic_store(&reader.stop, 1);
    pthread_join(reader_thread, NULL);

    assert_true(atomic_load(&reader.reads) > 0);
    assert_int_equal(atomic_load(&reader.inconsistent), 0);
    assert_int_equal(read_int("s_threads", "count"), (int64_t)OBSERVERS * OBSERVATIONS);
    assert_true(read_double("s_threads", "sum") == (double)OBSERVERS * OBSERVATIONS / 100 * 5050);
    /* Each value 1..100 equally often: the q-quantile is 100q. */
    assert_true(fabs(read_double("s_threads", "0.5") - 50) <= 50.0 / 64);
    assert_true(fabs(read_double("s_threads", "0.9") - 90) <= 90.0 / 64);
    assert_true(fabs(read_double("s_threads", "0.99") - 99) <= 99.0 / 64);
}

static void test_exposition(void **state)
{
    static const double quantiles[] = {0.5, 0.99};
    extatus_summary *summary;
    extatus_buf buf = EXTATUS_BUF_INIT;
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    (void)state;

    assert_ok(extatus_summary_new(&summary, NULL, "s_wire_seconds", "Latency.", quantiles, 2));
    extatus_summary_observe(summary, 0.75);
    extatus_summary_observe(summary, 0.75);
    assert_ok(extatus_expose(&buf, NULL, 0, &options));
    assert_non_null(strstr(buf.ptr, "# TYPE s_wire_seconds summary\n"));
    /* 0.75 falls in the bucket [0.75, 0.765625), whose midpoint is 0.7578125. */
    assert_non_null(strstr(buf.ptr, "s_wire_seconds{quantile=\"0.5\"} 0.7578125\n"
                                    "s_wire_seconds{quantile=\"0.99\"} 0.7578125\n"));
    assert_non_null(strstr(buf.ptr, "s_wire_seconds_sum 1.5\n"));
    assert_non_null(strstr(buf.ptr, "s_wire_seconds_count 2\n"));
    extatus_buf_dispose(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_options_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quantile_error_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_outside_the_range_clamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_and_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_window_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slices_are_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setopts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels_and_type_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_observers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exposition, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
