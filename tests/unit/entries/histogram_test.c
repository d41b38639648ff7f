/*
 * histogram_test.c - the histogram entry: option validation, bucket
 * helpers, canonical le names, bucket placement, non-finite
 * observations, reset, reads by name, setopts, concurrent observers and
 * the exposition (src/entries/histogram.c).
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

#include "entries/entries.h"
#include "core/format.h"

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

/* One datapoint of an unlabelled metric in the default registry. */
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

static void test_bounds_validation(void **state)
{
    static double many[EXTATUS_HISTOGRAM_MAX_BUCKETS + 1];
    static const double decreasing[] = {1.0, 0.5};
    static const double repeated[] = {0.25, 0.25};
    static const double with_nan[] = {0.1, NAN};
    static const double with_inf[] = {1, 2, INFINITY};
    static const struct {
        const char *name;     /* metric name */
        const double *bounds; /* list */
        size_t count;         /* entries */
        const char *message;  /* expected in the error message */
    } cases[] = {
        {"h_decreasing", decreasing, 2, "bound 1 (0.5) is not greater than bound 0 (1)"},
        {"h_repeated", repeated, 2, "bound 1 (0.25) is not greater than bound 0 (0.25)"},
        {"h_nan", with_nan, 2, "bound 1 is nan"},
        {"h_inf", with_inf, 3, "bound 2 is inf"},
        {"h_many", many, EXTATUS_HISTOGRAM_MAX_BUCKETS + 1, "257 bounds given, at most 256"},
    };
    extatus_histogram *histogram;
    extatus_family *family;
    size_t i;
    (void)state;

    for (i = 0; i < EXTATUS_HISTOGRAM_MAX_BUCKETS + 1; i++)
        many[i] = (double)i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        extatus_option option = EXTATUS_OPT_DOUBLES("buckets", cases[i].bounds, cases[i].count);
        assert_extatus(EXTATUS_ERR_OPTION,
                       extatus_new(NULL, cases[i].name, "histogram", &option, 1));
        if (strstr(extatus_error_last(), cases[i].message) == NULL)
            fail_msg("case %s: message '%s' lacks '%s'", cases[i].name, extatus_error_last(),
                     cases[i].message);
        assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_family_lookup(&family, NULL, cases[i].name));
    }
    /* The typed constructor goes through the same check. */
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_histogram_new(&histogram, NULL, "h_typed", NULL, decreasing, 2));
    assert_null(histogram);
    assert_non_null(strstr(extatus_error_last(), "strictly increasing"));
    /* Exactly the maximum is fine. */
    assert_ok(extatus_histogram_new(&histogram, NULL, "h_max", NULL, many,
                                    EXTATUS_HISTOGRAM_MAX_BUCKETS));
    {
        extatus_option number = EXTATUS_OPT_NUMBER("buckets", 3);
        extatus_option unknown = EXTATUS_OPT_NUMBER("bukets", 3);
        assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "h_kind", "histogram", &number, 1));
        assert_non_null(strstr(extatus_error_last(), "'buckets' must be a list of doubles"));
        assert_extatus(EXTATUS_ERR_OPTION,
                       extatus_new(NULL, "h_unknown", "histogram", &unknown, 1));
        assert_non_null(strstr(extatus_error_last(), "unknown option 'bukets'"));
    }
}

static void test_bucket_helpers(void **state)
{
    double out[5];
    size_t count = 0;
    const double *defaults = extatus_buckets_default(&count);
    (void)state;

    assert_int_equal(count, 11);
    assert_true(defaults[0] == 0.005 && defaults[7] == 1.0 && defaults[10] == 10.0);

    assert_ok(extatus_buckets_linear(out, 0.5, 0.25, 4));
    assert_true(out[0] == 0.5 && out[1] == 0.75 && out[2] == 1.0 && out[3] == 1.25);
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_linear(out, 0, 1, 0));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_linear(out, 0, 0, 3));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_linear(out, 0, -1, 3));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_linear(out, NAN, 1, 3));
    assert_non_null(strstr(extatus_error_last(), "finite"));
    /* width lost against a huge start: not strictly increasing. */
    out[0] = -1;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_linear(out, 1e300, 1, 3));
    assert_true(out[0] == -1);

    assert_ok(extatus_buckets_exponential(out, 0.001, 10, 5));
    assert_true(out[0] == 0.001 && fabs(out[4] - 10.0) < 1e-12);
    assert_ok(extatus_buckets_exponential(out, 1, 2, 4));
    assert_true(out[0] == 1 && out[1] == 2 && out[2] == 4 && out[3] == 8);
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_exponential(out, 1, 2, 0));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_exponential(out, 0, 2, 3));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_exponential(out, -1, 2, 3));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_exponential(out, 1, 1, 3));
    out[0] = -1;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_buckets_exponential(out, 1e300, 1e10, 3));
    assert_non_null(strstr(extatus_error_last(), "overflows"));
    assert_true(out[0] == -1); /* untouched on failure */

    /* The helpers' output is accepted as buckets. */
    {
        extatus_histogram *histogram;
        assert_ok(extatus_buckets_linear(out, 0.5, 0.25, 5));
        assert_ok(extatus_histogram_new(&histogram, NULL, "h_linear", NULL, out, 5));
    }
}

/* Names of a histogram's datapoints in order, joined by spaces. */
static void datapoint_names(const char *metric, char *text, size_t size)
{
    const extatus_datapoint *points;
    size_t count;
    size_t i;
    size_t used = 0;
    assert_ok(extatus_get_datapoints(NULL, metric, EXTATUS_NO_LABELS, &points, &count));
    text[0] = '\0';
    for (i = 0; i < count; i++)
        used += (size_t)snprintf(text + used, size - used, "%s%s", i ? " " : "", points[i].name);
}

static void test_canonical_names(void **state)
{
    static const double bounds[] = {-3, -0.0, 1e-05, 0.005, 1, 2.5, 100000, 1e6, 1234567.5};
    static const char *expected =
        "-3.0 0.0 1e-05 0.005 1.0 2.5 100000.0 1e+06 1.2345675e+06 +Inf count sum created";
    extatus_histogram *histogram;
    const extatus_datapoint *points;
    size_t count;
    char names[512];
    size_t i;
    (void)state;

    assert_ok(extatus_histogram_new(&histogram, NULL, "h_names", "Names.", bounds, 9));
    datapoint_names("h_names", names, sizeof(names));
    assert_string_equal(names, expected);
    assert_ok(extatus_get_datapoints(NULL, "h_names", EXTATUS_NO_LABELS, &points, &count));
    assert_int_equal(count, 13);
    for (i = 0; i < 9; i++) {
        assert_int_equal(points[i].role, EXTATUS_SAMPLE_BUCKET);
        assert_true(points[i].bound == bounds[i]);
    }
    assert_int_equal(points[9].role, EXTATUS_SAMPLE_BUCKET);
    assert_true(isinf(points[9].bound) && points[9].bound > 0);
    assert_int_equal(points[10].role, EXTATUS_SAMPLE_COUNT);
    assert_int_equal(points[11].role, EXTATUS_SAMPLE_SUM);
    assert_int_equal(points[12].role, EXTATUS_SAMPLE_CREATED);

    /* The default layout. */
    assert_ok(extatus_histogram_new(&histogram, NULL, "h_default", NULL, NULL, 0));
    datapoint_names("h_default", names, sizeof(names));
    assert_string_equal(names, "0.005 0.01 0.025 0.05 0.1 0.25 0.5 1.0 2.5 5.0 10.0 +Inf count "
                               "sum created");
}

static void test_le_is_inclusive(void **state)
{
    static const double bounds[] = {1, 2, 3};
    extatus_histogram *histogram;
    (void)state;

    assert_ok(extatus_histogram_new(&histogram, NULL, "h_edges", NULL, bounds, 3));
    extatus_histogram_observe(histogram, 1.0);               /* le="1.0" */
    extatus_histogram_observe(histogram, -100);              /* le="1.0" */
    extatus_histogram_observe(histogram, 1.0000001);         /* le="2.0" */
    extatus_histogram_observe(histogram, 2.0);               /* le="2.0" */
    extatus_histogram_observe(histogram, 3.0);               /* le="3.0" */
    extatus_histogram_observe(histogram, 3.0000001);         /* +Inf only */
    extatus_histogram_observe(histogram, nextafter(1.0, 0)); /* le="1.0" */
    assert_int_equal(read_int("h_edges", "1.0"), 3);
    assert_int_equal(read_int("h_edges", "2.0"), 5);
    assert_int_equal(read_int("h_edges", "3.0"), 6);
    assert_int_equal(read_int("h_edges", "+Inf"), 7);
    assert_int_equal(read_int("h_edges", "count"), 7);
    assert_true(fabs(read_double("h_edges", "sum") -
                     (1 - 100 + 1.0000001 + 2 + 3 + 3.0000001 + nextafter(1.0, 0))) < 1e-9);
}

/* Reference bucket counts by brute force, compared with the entry's for random values. */
static void check_against_brute_force(const char *metric, const double *bounds, size_t n,
                                      double low, double high)
{
    extatus_histogram *histogram;
    uint64_t *expected = calloc(n + 1, sizeof(uint64_t));
    extatus_value *values = calloc(n + 4, sizeof(extatus_value));
    size_t i;
    size_t b;
    unsigned seed = 7;
    uint64_t running = 0;

    assert_non_null(expected);
    assert_non_null(values);
    assert_ok(extatus_histogram_new(&histogram, NULL, metric, NULL, bounds, n));
    for (i = 0; i < 20000; i++) {
        double value = low + (high - low) * ((double)rand_r(&seed) / RAND_MAX);
        if (i % 10 == 0) /* exactly on a bound now and then */
            value = bounds[(size_t)rand_r(&seed) % n];
        for (b = 0; b < n && value > bounds[b]; b++)
            ;
        expected[b]++;
        extatus_histogram_observe(histogram, value);
    }
    assert_ok(extatus_get_value(NULL, metric, EXTATUS_NO_LABELS, NULL, n + 4, values));
    for (b = 0; b <= n; b++) {
        running += expected[b];
        assert_int_equal(values[b].kind, EXTATUS_VALUE_INT);
        if ((uint64_t)values[b].integer != running)
            fail_msg("%s: bucket %zu has %lld, expected %llu", metric, b,
                     (long long)values[b].integer, (unsigned long long)running);
    }
    assert_int_equal(values[n + 1].integer, 20000);
    free(expected);
    free(values);
}

static void test_placement_small_and_large_layouts(void **state)
{
    double bounds[200];
    size_t i;
    (void)state;

    /* Linear scan (few bounds, odd count so the padding is exercised). */
    for (i = 0; i < 7; i++)
        bounds[i] = (double)i * 1.5 - 2;
    check_against_brute_force("h_small", bounds, 7, -5, 12);
    /* Binary search (many bounds, unevenly spaced). */
    for (i = 0; i < 200; i++)
        bounds[i] = (double)i * (double)i / 10.0;
    check_against_brute_force("h_large", bounds, 200, -1, 4500);
    /* The boundary between the two strategies. */
    for (i = 0; i < 33; i++)
        bounds[i] = (double)i;
    check_against_brute_force("h_33", bounds, 33, -1, 40);
    check_against_brute_force("h_32", bounds, 32, -1, 40);
    /* Only the +Inf bucket. */
    {
        extatus_histogram *histogram;
        extatus_value values[4];
        double none[1];
        assert_ok(extatus_histogram_new(&histogram, NULL, "h_none", NULL, none, 0));
        extatus_histogram_observe(histogram, 5);
        assert_ok(extatus_get_value(NULL, "h_none", EXTATUS_NO_LABELS, NULL, 4, values));
        assert_int_equal(values[0].integer, 1); /* +Inf */
        assert_int_equal(values[1].integer, 1); /* count */
    }
}

static void test_non_finite_observations(void **state)
{
    static const double bounds[] = {1, 2};
    extatus_histogram *histogram;
    (void)state;

    assert_ok(extatus_histogram_new(&histogram, NULL, "h_special", NULL, bounds, 2));
    extatus_histogram_observe(histogram, 0.5);
    extatus_histogram_observe(histogram, INFINITY);
    assert_true(isinf(read_double("h_special", "sum")) && read_double("h_special", "sum") > 0);
    assert_int_equal(read_int("h_special", "2.0"), 1);
    assert_int_equal(read_int("h_special", "+Inf"), 2);
    extatus_histogram_observe(histogram, -INFINITY); /* lands in the first bucket */
    assert_int_equal(read_int("h_special", "1.0"), 2);
    assert_true(isnan(read_double("h_special", "sum"))); /* +Inf + -Inf */
    extatus_histogram_observe(histogram, NAN);           /* +Inf bucket only */
    assert_int_equal(read_int("h_special", "2.0"), 2);
    assert_int_equal(read_int("h_special", "+Inf"), 4);
    assert_int_equal(read_int("h_special", "count"), 4);
    assert_true(isnan(read_double("h_special", "sum")));

    /* A reset forgets the non-finite observations too: the sum is finite again. */
    assert_ok(extatus_reset(NULL, "h_special", EXTATUS_ALL_SERIES));
    assert_true(read_double("h_special", "sum") == 0.0);
    extatus_histogram_observe(histogram, 1.5);
    assert_true(read_double("h_special", "sum") == 1.5);
    assert_int_equal(read_int("h_special", "count"), 1);
    extatus_histogram_observe(histogram, -INFINITY);
    assert_true(isinf(read_double("h_special", "sum")) && read_double("h_special", "sum") < 0);
}

static void test_reset_and_created(void **state)
{
    extatus_histogram *histogram;
    struct timespec pause = {0, 20 * 1000 * 1000};
    double created;
    (void)state;

    assert_ok(extatus_histogram_new(&histogram, NULL, "h_reset", NULL, NULL, 0));
    extatus_histogram_observe(histogram, 0.2);
    extatus_histogram_observe(histogram, 7);
    created = read_double("h_reset", "created");
    assert_true(created > 1.6e9);
    assert_int_equal(read_int("h_reset", "count"), 2);
    nanosleep(&pause, NULL);
    assert_ok(extatus_reset(NULL, "h_reset", EXTATUS_ALL_SERIES));
    assert_int_equal(read_int("h_reset", "count"), 0);
    assert_int_equal(read_int("h_reset", "+Inf"), 0);
    assert_int_equal(read_int("h_reset", "10.0"), 0);
    assert_true(read_double("h_reset", "sum") == 0);
    assert_true(read_double("h_reset", "created") > created);
    extatus_histogram_observe(histogram, 0.25);
    extatus_histogram_observe(histogram, 0.25);
    assert_int_equal(read_int("h_reset", "0.1"), 0);
    assert_int_equal(read_int("h_reset", "0.25"), 2);
    assert_int_equal(read_int("h_reset", "+Inf"), 2);
    assert_true(read_double("h_reset", "sum") == 0.5);
}

static void test_reads_by_name_and_update(void **state)
{
    static const double bounds[] = {0.5, 1};
    extatus_histogram *histogram;
    const char *wanted[] = {"count", "no_such_point", "1.0", "1", "sum", "+Inf", "created"};
    extatus_value values[7];
    extatus_value all[6];
    (void)state;

    assert_ok(extatus_histogram_new(&histogram, NULL, "h_read", NULL, bounds, 2));
    assert_ok(extatus_update(NULL, "h_read", EXTATUS_NO_LABELS, 0.75));
    assert_ok(extatus_update(NULL, "h_read", EXTATUS_NO_LABELS, 0.25));
    extatus_histogram_observe(histogram, 4);
    assert_ok(extatus_get_value(NULL, "h_read", EXTATUS_NO_LABELS, wanted, 7, values));
    assert_int_equal(values[0].kind, EXTATUS_VALUE_INT);
    assert_int_equal(values[0].integer, 3);
    assert_int_equal(values[1].kind, EXTATUS_VALUE_UNDEFINED);
    assert_int_equal(values[2].integer, 2);
    assert_int_equal(values[3].kind, EXTATUS_VALUE_UNDEFINED); /* not the canonical "1.0" */
    assert_int_equal(values[4].kind, EXTATUS_VALUE_DOUBLE);
    assert_true(values[4].number == 5.0);
    assert_int_equal(values[5].integer, 3);
    assert_int_equal(values[6].kind, EXTATUS_VALUE_DOUBLE);

    assert_ok(extatus_get_value(NULL, "h_read", EXTATUS_NO_LABELS, NULL, 6, all));
    assert_int_equal(all[0].integer, 1);
    assert_int_equal(all[1].integer, 2);
    assert_int_equal(all[2].integer, 3);
    assert_int_equal(all[3].integer, 3);
    assert_true(all[4].number == 5.0);
}

static void test_setopts(void **state)
{
    static const double bounds[] = {1, 2};
    static const double other[] = {1, 3};
    extatus_histogram *histogram;
    extatus_option same = EXTATUS_OPT_DOUBLES("buckets", bounds, 2);
    extatus_option changed = EXTATUS_OPT_DOUBLES("buckets", other, 2);
    extatus_option bad = EXTATUS_OPT_DOUBLES("buckets", other + 1, 0);
    extatus_option unknown = EXTATUS_OPT_NUMBER("max_age", 5);
    (void)state;

    assert_ok(extatus_histogram_new(&histogram, NULL, "h_opts", NULL, bounds, 2));
    extatus_histogram_observe(histogram, 1.5);
    assert_ok(extatus_setopts(NULL, "h_opts", EXTATUS_ALL_SERIES, &same, 1));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "h_opts", EXTATUS_ALL_SERIES, &changed, 1));
    assert_non_null(strstr(extatus_error_last(), "'buckets' cannot change after creation"));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "h_opts", EXTATUS_ALL_SERIES, &bad, 1));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "h_opts", EXTATUS_ALL_SERIES, &unknown, 1));
    assert_non_null(strstr(extatus_error_last(), "max_age"));
    /* Nothing changed. */
    assert_int_equal(read_int("h_opts", "2.0"), 1);
    assert_int_equal(read_point("h_opts", "3.0").kind, EXTATUS_VALUE_UNDEFINED);
}

static void test_labels_and_type_check(void **state)
{
    static const double bounds[] = {0.1, 1};
    const char *labels[] = {"path"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1),
                                EXTATUS_OPT_DOUBLES("buckets", bounds, 2)};
    const char *root[] = {"/"};
    const char *api[] = {"/api"};
    extatus_family *family;
    extatus_family *counters;
    extatus_histogram *a;
    extatus_histogram *b;
    extatus_histogram *again;
    extatus_value values[2];
    const char *wanted[] = {"0.1", "count"};
    (void)state;

    assert_ok(extatus_family_new(&family, NULL, "h_paths", "histogram", options, 2));
    assert_ok(extatus_histogram_get(&a, family, extatus_labels_of(root, 1)));
    assert_ok(extatus_histogram_get(&b, family, extatus_labels_of(api, 1)));
    assert_ptr_not_equal(a, b);
    assert_ok(extatus_histogram_get(&again, family, extatus_labels_of(root, 1)));
    assert_ptr_equal(a, again);
    extatus_histogram_observe(a, 0.05);
    extatus_histogram_observe(b, 0.5);
    extatus_histogram_observe(b, 0.5);
    assert_ok(extatus_get_value(NULL, "h_paths", extatus_labels_of(api, 1), wanted, 2, values));
    assert_int_equal(values[0].integer, 0);
    assert_int_equal(values[1].integer, 2);
    assert_ok(extatus_get_value(NULL, "h_paths", extatus_labels_of(root, 1), wanted, 2, values));
    assert_int_equal(values[0].integer, 1);

    assert_ok(extatus_family_new(&counters, NULL, "h_not_total", "counter", NULL, 0));
    assert_extatus(EXTATUS_ERR_TYPE, extatus_histogram_get(&a, counters, EXTATUS_NO_LABELS));
    assert_null(a);
    assert_non_null(strstr(extatus_error_last(), "h_not_total"));
}

/* Several observers and one reader that checks every read is consistent. */
#define OBSERVERS    4
#define OBSERVATIONS 200000

typedef struct reader_state {
    atomic_int stop;          /* set by the main thread */
    atomic_long reads;        /* reads done */
    atomic_long inconsistent; /* reads with +Inf != count or a decreasing bucket */
    atomic_long regressions;  /* reads whose count went down */
} reader_state;

static void *observe_loop(void *arg)
{
    extatus_histogram *histogram = arg;
    int i;
    for (i = 0; i < OBSERVATIONS; i++)
        extatus_histogram_observe(histogram, (double)(i % 24) * 0.5);
    return NULL;
}

static void *read_loop(void *arg)
{
    reader_state *reader = arg;
    extatus_value values[15];
    int64_t last_count = 0;
    while (!atomic_load(&reader->stop)) {
        int k;
        if (extatus_get_value(NULL, "h_threads", EXTATUS_NO_LABELS, NULL, 15, values) !=
            EXTATUS_OK) {
            atomic_fetch_add(&reader->inconsistent, 1);
            continue;
        }
        for (k = 1; k < 12; k++)
            if (values[k].integer < values[k - 1].integer)
                atomic_fetch_add(&reader->inconsistent, 1);
        if (values[11].integer != values[12].integer)
            atomic_fetch_add(&reader->inconsistent, 1);
        if (values[12].integer < last_count)
            atomic_fetch_add(&reader->regressions, 1);
        last_count = values[12].integer;
        atomic_fetch_add(&reader->reads, 1);
    }
    return NULL;
}

static void test_concurrent_observers(void **state)
{
    extatus_histogram *histogram;
    pthread_t observers[OBSERVERS];
    pthread_t reader_thread;
    reader_state reader;
    double expected_sum = 0;
    int64_t expected_low = 0;
    int i;
    (void)state;

    memset(&reader, 0, sizeof(reader));
    assert_ok(extatus_histogram_new(&histogram, NULL, "h_threads", NULL, NULL, 0));
    assert_int_equal(pthread_create(&reader_thread, NULL, read_loop, &reader), 0);
    while (atomic_load(&reader.reads) == 0) /* the reader is running before the observers */
        sched_yield();
    for (i = 0; i < OBSERVERS; i++)
        assert_int_equal(pthread_create(&observers[i], NULL, observe_loop, histogram), 0);
    for (i = 0; i < OBSERVERS; i++)
        pthread_join(observers[i], NULL);
    atomic_store(&reader.stop, 1);
    pthread_join(reader_thread, NULL);

    assert_true(atomic_load(&reader.reads) > 0);
    assert_int_equal(atomic_load(&reader.inconsistent), 0);
    assert_int_equal(atomic_load(&reader.regressions), 0);
    assert_int_equal(read_int("h_threads", "count"), (int64_t)OBSERVERS * OBSERVATIONS);
    assert_int_equal(read_int("h_threads", "+Inf"), (int64_t)OBSERVERS * OBSERVATIONS);
    for (i = 0; i < OBSERVATIONS; i++) {
        expected_sum += (double)(i % 24) * 0.5;
        expected_low += (i % 24) * 0.5 <= 0.5;
    }
    assert_true(read_double("h_threads", "sum") == OBSERVERS * expected_sum);
    assert_int_equal(read_int("h_threads", "0.5"), OBSERVERS * expected_low);
}

static void test_exposition(void **state)
{
    static const double bounds[] = {0.25, 1};
    extatus_histogram *histogram;
    extatus_buf buf = EXTATUS_BUF_INIT;
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    (void)state;

    assert_ok(extatus_histogram_new(&histogram, NULL, "h_wire_seconds", "Latency.", bounds, 2));
    extatus_histogram_observe(histogram, 0.25);
    extatus_histogram_observe(histogram, 0.5);
    extatus_histogram_observe(histogram, 3);
    assert_ok(extatus_expose(&buf, NULL, 0, &options));
    assert_non_null(strstr(buf.ptr, "# TYPE h_wire_seconds histogram\n"));
    assert_non_null(strstr(buf.ptr, "h_wire_seconds_bucket{le=\"0.25\"} 1\n"
                                    "h_wire_seconds_bucket{le=\"1.0\"} 2\n"
                                    "h_wire_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(buf.ptr, "h_wire_seconds_sum 3.75\n"));
    assert_non_null(strstr(buf.ptr, "h_wire_seconds_count 3\n"));
    extatus_buf_dispose(&buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bounds_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bucket_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_canonical_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_le_is_inclusive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_placement_small_and_large_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_finite_observations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_and_created, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_by_name_and_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setopts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels_and_type_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_observers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exposition, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
