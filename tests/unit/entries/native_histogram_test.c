/*
 * native_histogram_test.c - the native histogram entry: bucket indexes
 * computed by hand (boundaries, powers of two, subnormals), the zero
 * bucket, negative and non-finite observations, the bucket limit,
 * windows far apart and the catch-all window, reset, options, classic
 * buckets beside the native ones, concurrent observers and the text
 * exposition (src/entries/native_histogram.c).
 */
#include "test_support.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "entries/entries.h"

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

/* A native histogram series in the default registry with `options` (help added). */
static extatus_native_histogram *make(const char *name, const extatus_option *options, size_t count)
{
    extatus_option all[8] = {EXTATUS_OPT_STRING("help", "Test.")};
    extatus_family *family;
    extatus_native_histogram *histogram;

    assert_true(count < 8);
    memcpy(&all[1], options, count * sizeof(*options));
    assert_ok(extatus_family_new(&family, NULL, name, "native_histogram", all, count + 1));
    assert_ok(extatus_native_histogram_get(&histogram, family, EXTATUS_NO_LABELS));
    return histogram;
}

/* Observations in the positive and negative buckets of a read. */
static uint64_t bucket_total(const extatus__native_read *read)
{
    uint64_t total = 0;
    uint32_t b;

    for (b = 0; b < read->length[0]; b++)
        total += read->counts[0][b];
    for (b = 0; b < read->length[1]; b++)
        total += read->counts[1][b];
    return total;
}

static extatus__native_read *read_native(extatus_native_histogram *histogram)
{
    static extatus__native_read read;
    assert_ok(extatus__native_histogram_read(histogram, &read));
    return &read;
}

/* Assert the buckets of one sign: first index and the counts from there. */
static void assert_buckets(const extatus__native_read *read, int sign, int32_t first,
                           const uint64_t *counts, uint32_t length)
{
    uint32_t i;

    assert_int_equal(read->length[sign], length);
    if (length == 0)
        return;
    assert_int_equal(read->first[sign], first);
    for (i = 0; i < length; i++)
        assert_int_equal(read->counts[sign][i], counts[i]);
}

/*
 * Bucket i at schema s holds (2^((i-1)/2^s), 2^(i/2^s)]; the expected
 * indexes come from that definition, worked out by hand.
 */
static void test_bucket_index(void **state)
{
    static const struct {
        double value;
        int32_t schema;
        int32_t index;
    } cases[] = {
        {1.0, 0, 0},
        {2.0, 0, 1},
        {1.5, 0, 1},
        {3.0, 0, 2},
        {4.0, 0, 2},
        {0.5, 0, -1},
        {0.75, 0, 0},
        {-1.5, 0, 1}, /* the magnitude decides */
        {1.0, 3, 0},
        {2.0, 3, 8},
        {1.0905077326652577, 3, 1}, /* 2^(1/8) as a double: the bound of bucket 1 */
        {1.0905077326652580, 3, 2}, /* just above 2^(1/8) */
        {1.0, 8, 0},
        {2.0, 8, 256},
        {0.5, 8, -256},
        {1.4142135623730951, 1, 1}, /* sqrt(2) = 2^(1/2), the bound of bucket 1 */
        {1.4142135623730954, 1, 2}, /* the double after it */
        {1.4142135623730951, 2, 2},
        {1.4142135623730951, 8, 128},
        {1.0, -1, 0},
        {2.0, -1, 1}, /* (1, 4] */
        {4.0, -1, 1},
        {4.5, -1, 2},
        {0.5, -1, 0}, /* (1/4, 1] */
        {0.25, -1, -1},
        {1.0, -4, 0},
        {65536.0, -4, 1}, /* 2^16 */
        {65537.0, -4, 2},
        {1e-5, -4, -1}, /* 2^-17 < 1e-5 <= 2^-16 */
        {DBL_MAX, 0, 1024},
        {DBL_MAX, -4, 64},
        {DBL_MIN, 0, -1022},                 /* 2^-1022, the smallest normal */
        {4.9406564584124654e-324, 0, -1074}, /* 2^-1074, the smallest subnormal */
        {4.9406564584124654e-324, -4, -67},
        {3.0 * 4.9406564584124654e-324, 0, -1072}, /* 2^-1073 < 3 * 2^-1074 <= 2^-1072 */
        {1e-9, 0, -29},
        {1e9, 0, 30},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int32_t got = extatus__native_key(cases[i].value, cases[i].schema);
        if (got != cases[i].index)
            fail_msg("case %zu: value %.17g schema %d: index %d, expected %d", i, cases[i].value,
                     cases[i].schema, got, cases[i].index);
    }
}

static void test_empty_histogram(void **state)
{
    extatus_native_histogram *histogram;
    const extatus__native_read *read;
    (void)state;

    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_empty", "Empty.", 5));
    read = read_native(histogram);
    assert_int_equal(read->schema, 5);
    assert_int_equal(read->length[0], 0);
    assert_int_equal(read->length[1], 0);
    assert_int_equal(read->zero_count, 0);
    assert_int_equal(read->count, 0);
    assert_true(read->sum == 0.0);
    assert_true(read->zero_threshold == EXTATUS_NATIVE_HISTOGRAM_ZERO_THRESHOLD_DEFAULT);
}

static void test_boundaries_and_negative(void **state)
{
    static const uint64_t positive[] = {1, 1, 2, 1}; /* indexes -1..2 */
    static const uint64_t negative[] = {1, 0, 1};    /* indexes 1..3 */
    extatus_native_histogram *histogram;
    const extatus__native_read *read;
    (void)state;

    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_bounds", NULL, 0));
    extatus_native_histogram_observe(histogram, 0.5);  /* -1 */
    extatus_native_histogram_observe(histogram, 1.0);  /* 0 */
    extatus_native_histogram_observe(histogram, 1.5);  /* 1 */
    extatus_native_histogram_observe(histogram, 2.0);  /* 1 */
    extatus_native_histogram_observe(histogram, 4.0);  /* 2 */
    extatus_native_histogram_observe(histogram, -1.5); /* negative 1 */
    extatus_native_histogram_observe(histogram, -8.0); /* negative 3 */
    read = read_native(histogram);
    assert_int_equal(read->schema, 0);
    assert_buckets(read, 0, -1, positive, 4);
    assert_buckets(read, 1, 1, negative, 3);
    assert_int_equal(read->count, 7);
    assert_true(read->sum == 0.5 + 1 + 1.5 + 2 + 4 - 1.5 - 8);
    assert_int_equal(read->zero_count, 0);
}

static void test_zero_bucket(void **state)
{
    const extatus_option options[] = {EXTATUS_OPT_NUMBER("zero_threshold", 0.001),
                                      EXTATUS_OPT_NUMBER("schema", 0)};
    static const uint64_t positive[] = {1};
    extatus_native_histogram *histogram = make("nh_zero", options, 2);
    const extatus__native_read *read;
    (void)state;

    extatus_native_histogram_observe(histogram, 0.0);
    extatus_native_histogram_observe(histogram, -0.0);
    extatus_native_histogram_observe(histogram, 0.001); /* on the threshold: inside */
    extatus_native_histogram_observe(histogram, -0.001);
    extatus_native_histogram_observe(histogram, 0.0011); /* 2^-10 < 0.0011 <= 2^-9 */
    read = read_native(histogram);
    assert_int_equal(read->zero_count, 4);
    assert_true(read->zero_threshold == 0.001);
    assert_buckets(read, 0, -9, positive, 1);
    assert_int_equal(read->length[1], 0);
    assert_int_equal(read->count, 5);
}

static void test_non_finite(void **state)
{
    static const uint64_t positive[] = {1};
    extatus_native_histogram *histogram;
    const extatus__native_read *read;
    (void)state;

    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_special", NULL, 0));
    extatus_native_histogram_observe(histogram, 1.0);
    extatus_native_histogram_observe(histogram, INFINITY);
    extatus_native_histogram_observe(histogram, -INFINITY);
    read = read_native(histogram);
    assert_buckets(read, 0, 0, positive, 1);
    assert_int_equal(read->length[1], 0);
    assert_int_equal(read->count, 3);
    assert_true(isnan(read->sum)); /* +Inf + -Inf */

    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_nan", NULL, 0));
    extatus_native_histogram_observe(histogram, NAN);
    extatus_native_histogram_observe(histogram, 2.0);
    read = read_native(histogram);
    assert_int_equal(read->count, 2);
    assert_true(isnan(read->sum));
    assert_int_equal(read->length[0], 1);
    assert_int_equal(read->first[0], 1);
}

/* max_buckets 4 at schema 0: a fifth bucket merges neighbour pairs (schema -1). */
static void test_bucket_limit(void **state)
{
    const extatus_option options[] = {EXTATUS_OPT_NUMBER("schema", 0),
                                      EXTATUS_OPT_NUMBER("max_buckets", 4)};
    static const uint64_t at_zero[] = {1, 1, 1, 1};   /* indexes 0..3 at schema 0 */
    static const uint64_t at_minus_one[] = {1, 2, 2}; /* 0 | 1,2 -> 1 | 3,4 -> 2 */
    extatus_native_histogram *histogram = make("nh_limit", options, 2);
    const extatus__native_read *read;
    (void)state;

    extatus_native_histogram_observe(histogram, 1.0);
    extatus_native_histogram_observe(histogram, 2.0);
    extatus_native_histogram_observe(histogram, 4.0);
    extatus_native_histogram_observe(histogram, 8.0);
    read = read_native(histogram);
    assert_int_equal(read->schema, 0);
    assert_buckets(read, 0, 0, at_zero, 4);

    extatus_native_histogram_observe(histogram, 16.0); /* index 4: five buckets */
    read = read_native(histogram);
    assert_int_equal(read->schema, -1);
    assert_buckets(read, 0, 0, at_minus_one, 3);
    assert_int_equal(read->count, 5);

    /* Later observations go straight to schema -1: 32 is 2^5, index ceil(5/2) = 3. */
    extatus_native_histogram_observe(histogram, 32.0);
    read = read_native(histogram);
    assert_int_equal(read->schema, -1);
    assert_int_equal(read->length[0], 4);
    assert_int_equal(read->counts[0][3], 1);
}

/* 1e-9 and 1e9 at schema 8 span 60 octaves: the default limit (100) leaves schema 0. */
static void test_far_apart(void **state)
{
    extatus_native_histogram *histogram;
    const extatus__native_read *read;
    uint32_t i;
    (void)state;

    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_far", NULL, 8));
    extatus_native_histogram_observe(histogram, 1e-9);
    read = read_native(histogram);
    assert_int_equal(read->schema, 8);
    extatus_native_histogram_observe(histogram, 1e9);
    read = read_native(histogram);
    assert_int_equal(read->schema, 0); /* 60 buckets at 0, 120 at schema 1 */
    assert_int_equal(read->first[0], -29);
    assert_int_equal(read->length[0], 60);
    assert_int_equal(read->counts[0][0], 1);
    assert_int_equal(read->counts[0][59], 1);
    for (i = 1; i < 59; i++)
        assert_int_equal(read->counts[0][i], 0);
}

/*
 * Reset starts again at the configured schema. Each cycle observes one
 * octave higher, which needs a window of its own at schema 8; once the
 * windows run out the catch-all (schema -4) takes the observations.
 */
static void test_reset_and_catch_all(void **state)
{
    extatus_native_histogram *histogram;
    const extatus__native_read *read;
    extatus_family *family;
    int k;
    (void)state;

    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_reset", NULL, 8));
    assert_ok(extatus_family_lookup(&family, NULL, "nh_reset"));
    extatus_native_histogram_observe(histogram, 1.0);
    extatus_native_histogram_observe(histogram, 2.0);
    assert_ok(extatus_family_reset(family));
    read = read_native(histogram);
    assert_int_equal(read->count, 0);
    assert_int_equal(read->length[0], 0);
    assert_int_equal(read->schema, 8);

    for (k = 0; k < 60; k++) {
        assert_ok(extatus_family_reset(family));
        extatus_native_histogram_observe(histogram, ldexp(1.0, k));
        read = read_native(histogram);
        assert_int_equal(read->count, 1);
        assert_int_equal(read->length[0], 1);
        if (read->schema == 8)
            assert_int_equal(read->first[0], k * 256);
        else /* the catch-all: 2^k at schema -4 is ceil(k / 16) */
            assert_int_equal(read->first[0], (k + 15) / 16);
        assert_int_equal(read->counts[0][0], 1);
    }
    assert_int_equal(read->schema, -4); /* 60 octaves outnumber the windows */
    /* Back at the start, the first window is found again. */
    assert_ok(extatus_family_reset(family));
    extatus_native_histogram_observe(histogram, 1.0);
    read = read_native(histogram);
    assert_int_equal(read->schema, 8);
    assert_int_equal(read->first[0], 0);
}

static void test_options(void **state)
{
    static const struct {
        const char *name;
        extatus_option option;
        const char *message;
    } cases[] = {
        {"nh_o1", EXTATUS_OPT_NUMBER("schema", 9),
         "option 'schema' must be an integer from -4 to 8"},
        {"nh_o2", EXTATUS_OPT_NUMBER("schema", -5), "from -4 to 8"},
        {"nh_o3", EXTATUS_OPT_NUMBER("schema", 1.5), "must be an integer"},
        {"nh_o4", EXTATUS_OPT_NUMBER("max_buckets", 0), "'max_buckets' must be an integer from 1"},
        {"nh_o5", EXTATUS_OPT_NUMBER("max_buckets", 129), "to 128"},
        {"nh_o6", EXTATUS_OPT_NUMBER("zero_threshold", -1), "'zero_threshold' must be a finite"},
        {"nh_o7", EXTATUS_OPT_NUMBER("zero_threshold", NAN), "'zero_threshold' must be a finite"},
        {"nh_o8", EXTATUS_OPT_NUMBER("factor", 1.1), "unknown option 'factor'"},
        {"nh_o9", EXTATUS_OPT_STRING("schema", "3"), "must be an integer"},
    };
    extatus_native_histogram *histogram;
    extatus_family *family;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        family = NULL;
        assert_int_equal(extatus_family_new(&family, NULL, cases[i].name, "native_histogram",
                                            &cases[i].option, 1),
                         EXTATUS_ERR_OPTION);
        assert_non_null(strstr(extatus_error_last(), cases[i].message));
        assert_int_equal(extatus_family_lookup(&family, NULL, cases[i].name),
                         EXTATUS_ERR_NOT_FOUND);
    }
    assert_int_equal(extatus_native_histogram_new(&histogram, NULL, "nh_o10", NULL, 12),
                     EXTATUS_ERR_OPTION);
    /* A classic histogram is not a native one. */
    assert_ok(extatus_family_new(&family, NULL, "nh_classic", "histogram", NULL, 0));
    assert_int_equal(extatus_native_histogram_get(&histogram, family, EXTATUS_NO_LABELS),
                     EXTATUS_ERR_TYPE);
}

/* Classic buckets beside the native ones, read through the entry interface. */
static void test_classic_buckets(void **state)
{
    static const double bounds[] = {1, 2};
    const extatus_option options[] = {EXTATUS_OPT_DOUBLES("buckets", bounds, 2),
                                      EXTATUS_OPT_NUMBER("schema", 0)};
    static const uint64_t positive[] = {1, 1, 1}; /* 0.5 -> -1, 1.5 -> 1 (0 empty), 3 -> 2 */
    const char *names[] = {"1.0", "2.0", "+Inf", "count", "sum"};
    extatus_value values[5];
    extatus_native_histogram *histogram = make("nh_beside", options, 2);
    const extatus__native_read *read;
    (void)state;

    extatus_native_histogram_observe(histogram, 0.5);
    extatus_native_histogram_observe(histogram, 1.5);
    extatus_native_histogram_observe(histogram, 3.0);
    assert_ok(extatus_get_value(NULL, "nh_beside", EXTATUS_NO_LABELS, names, 5, values));
    assert_int_equal(values[0].integer, 1);
    assert_int_equal(values[1].integer, 2);
    assert_int_equal(values[2].integer, 3);
    assert_int_equal(values[3].integer, 3);
    assert_true(values[4].number == 5.0);
    read = read_native(histogram);
    assert_int_equal(read->first[0], -1);
    assert_int_equal(read->length[0], 4);
    assert_int_equal(read->counts[0][0], positive[0]);
    assert_int_equal(read->counts[0][1], 0);
    assert_int_equal(read->counts[0][2], positive[1]);
    assert_int_equal(read->counts[0][3], positive[2]);
}

/* Without classic buckets the text formats get a +Inf bucket, count and sum. */
static void test_exposition(void **state)
{
    extatus_native_histogram *histogram;
    extatus_buf buf = EXTATUS_BUF_INIT;
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    (void)state;

    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_wire_seconds", "Latency.", 3));
    extatus_native_histogram_observe(histogram, 0.25);
    extatus_native_histogram_observe(histogram, -0.5);
    extatus_native_histogram_observe(histogram, 3);
    assert_ok(extatus_expose(&buf, NULL, 0, &options));
    assert_non_null(strstr(buf.ptr, "# TYPE nh_wire_seconds histogram\n"));
    assert_non_null(strstr(buf.ptr, "nh_wire_seconds_bucket{le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(buf.ptr, "nh_wire_seconds_sum 2.75\n"));
    assert_non_null(strstr(buf.ptr, "nh_wire_seconds_count 3\n"));
    assert_null(strstr(buf.ptr, "nh_wire_seconds_bucket{le=\"0.25\"}"));
    extatus_buf_dispose(&buf);
}

#define OBSERVERS    4
#define OBSERVATIONS 20000

/* Observations spread over many octaves, so windows change while others observe. */
static void *observe_loop(void *arg)
{
    extatus_native_histogram *histogram = arg;
    int i;

    for (i = 0; i < OBSERVATIONS; i++)
        extatus_native_histogram_observe(histogram, ldexp(1.0 + (i % 7) / 8.0, i % 40 - 20) *
                                                        (i % 3 == 0 ? -1 : 1));
    return NULL;
}

static void test_concurrent_observers(void **state)
{
    extatus_native_histogram *histogram;
    pthread_t observers[OBSERVERS];
    const extatus__native_read *read;
    int i;
    (void)state;

    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_threads", NULL, 8));
    for (i = 0; i < OBSERVERS; i++)
        assert_int_equal(pthread_create(&observers[i], NULL, observe_loop, histogram), 0);
    for (i = 0; i < 50; i++) {
        read = read_native(histogram);
        assert_true(read->count >= bucket_total(read));
    }
    for (i = 0; i < OBSERVERS; i++)
        pthread_join(observers[i], NULL);
    read = read_native(histogram);
    assert_int_equal(bucket_total(read),
                     (uint64_t)OBSERVERS * OBSERVATIONS); /* nothing lost in window moves */
    assert_int_equal(read->count, (uint64_t)OBSERVERS * OBSERVATIONS);
    assert_true(read->length[0] <= EXTATUS_NATIVE_HISTOGRAM_MAX_BUCKETS_DEFAULT);
    assert_true(read->schema < 8); /* 40 octaves do not fit 100 buckets at schema 8 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bucket_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_histogram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boundaries_and_negative, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zero_bucket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_finite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bucket_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_far_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_and_catch_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_classic_buckets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exposition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_observers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
