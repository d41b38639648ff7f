/*
 * composite_test.c - what the composite entries share
 * (src/entries/composite.c): the sum rebuilt from its finite part and the
 * NaN/+Inf/-Inf counts, reads against the baseline of the last reset, the
 * datapoint array of histogram-like series and the reads that answer it.
 * Expected values are worked out by hand in each test.
 */
#include "test_support.h"

#include <math.h>
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

/* Compare a double bit for bit but let every NaN match NaN. */
static void assert_same_double(double actual, double expected)
{
    if (isnan(expected)) {
        assert_true(isnan(actual));
        return;
    }
    assert_true(actual == expected);
    assert_int_equal(signbit(actual) != 0, signbit(expected) != 0);
}

static void test_sum_combine(void **state)
{
    static const struct {
        double finite;   /* sum of the finite observations */
        uint64_t nans;   /* NaN observations */
        uint64_t pinfs;  /* +Inf observations */
        uint64_t ninfs;  /* -Inf observations */
        double expected; /* what adding them all would give */
    } cases[] = {
        {2.5, 0, 0, 0, 2.5},           {-0.0, 0, 0, 0, -0.0},
        {2.5, 1, 0, 0, NAN},           {2.5, 0, 3, 0, INFINITY},
        {2.5, 0, 0, 2, -INFINITY},     {2.5, 0, 1, 1, NAN}, /* +Inf + -Inf */
        {2.5, 4, 1, 0, NAN},                                /* NaN wins over +Inf */
        {2.5, 1, 0, 1, NAN},                                /* and over -Inf */
        {1e308, 0, 0, 0, 1e308},                            /* a finite sum is passed through */
        {INFINITY, 0, 0, 0, INFINITY},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_same_double(
            extatus__sum_combine(cases[i].finite, cases[i].nans, cases[i].pinfs, cases[i].ninfs),
            cases[i].expected);
}

/* A composite with two counting cells and a sum, read against its baseline. */
static void test_reset_against_baseline(void **state)
{
    extatus__composite composite;
    uint64_t base[2 + EXTATUS__SUM_CELLS];
    extatus__cell *sum_cells;
    uint64_t counts[2];
    double sum;
    double created;
    double before;
    double after;
    (void)state;

    memset(base, 0xff, sizeof(base)); /* init must not trust the caller's storage */
    before = extatus__created_now();
    assert_ok(extatus__composite_init(&composite, "test", 2, true, base, NULL, 0));
    after = extatus__created_now();
    assert_int_equal(composite.cell_count, 2 + EXTATUS__SUM_CELLS);
    sum_cells = &composite.cells[2];

    extatus__composite_read(&composite, counts, &sum, &created);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 0);
    assert_same_double(sum, 0.0);
    assert_true(created >= before && created <= after);

    /* 3 and 1 counted; 1.5 + 2.25 = 3.75 finite, plus a NaN and a +Inf. */
    extatus__cell_add(&composite.cells[0], 3);
    extatus__cell_add(&composite.cells[1], 1);
    extatus__sum_add(sum_cells, 1.5);
    extatus__sum_add(sum_cells, 2.25);
    extatus__sum_add(sum_cells, NAN);
    extatus__sum_add(sum_cells, INFINITY);
    extatus__composite_read(&composite, counts, &sum, &created);
    assert_int_equal(counts[0], 3);
    assert_int_equal(counts[1], 1);
    assert_same_double(sum, NAN);

    /* After a reset everything reads zero again, the NaN included. */
    before = extatus__created_now();
    extatus__composite_reset(&composite);
    after = extatus__created_now();
    extatus__composite_read(&composite, counts, &sum, &created);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 0);
    assert_same_double(sum, 0.0);
    assert_true(created >= before && created <= after);

    /* 2 more in cell 0; finite 0.5 (3.75 + 0.5 - 3.75), and a -Inf. */
    extatus__cell_add(&composite.cells[0], 2);
    extatus__sum_add(sum_cells, 0.5);
    extatus__sum_add(sum_cells, -INFINITY);
    extatus__composite_read(&composite, counts, &sum, &created);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 0);
    assert_same_double(sum, -INFINITY);

    /* Another reset, then only finite values: 4 + 0.25 = 4.25. */
    extatus__composite_reset(&composite);
    extatus__sum_add(sum_cells, 4.0);
    extatus__sum_add(sum_cells, 0.25);
    extatus__cell_add(&composite.cells[1], 7);
    extatus__composite_read(&composite, counts, &sum, &created);
    assert_int_equal(counts[0], 0);
    assert_int_equal(counts[1], 7);
    assert_same_double(sum, 4.25);

    /*
     * The cells themselves keep every observation: 1 NaN, 1 +Inf, 1 -Inf
     * in all and the finite 1.5 + 2.25 + 0.5 + 4 + 0.25 = 8.5.
     */
    assert_int_equal(extatus__cell_sum(&sum_cells[EXTATUS__SUM_NAN]), 1);
    assert_int_equal(extatus__cell_sum(&sum_cells[EXTATUS__SUM_PINF]), 1);
    assert_int_equal(extatus__cell_sum(&sum_cells[EXTATUS__SUM_NINF]), 1);
    assert_same_double(extatus__cell_sum_double(&sum_cells[EXTATUS__SUM_FINITE]), 8.5);
    extatus__composite_dispose(&composite);
}

/* A composite without a sum (the spiral's shape): one counting cell. */
static void test_counts_only(void **state)
{
    extatus__composite composite;
    uint64_t base[1];
    uint64_t total;
    double created;
    (void)state;

    assert_ok(extatus__composite_init(&composite, "test", 1, false, base, NULL, 0));
    assert_int_equal(composite.cell_count, 1);
    extatus__cell_add(composite.cells, 40);
    extatus__composite_reset(&composite);
    extatus__cell_add(composite.cells, 2);
    extatus__composite_read(&composite, &total, NULL, &created);
    assert_int_equal(total, 2);
    extatus__composite_dispose(&composite);
}

static void test_datapoints_build(void **state)
{
    static const double values[] = {0.005, 1.0, 1e-05, INFINITY};
    static const char *const names[] = {"0.005", "1.0", "1e-05", "+Inf", "count", "sum", "created"};
    static const extatus_sample_role roles[] = {
        EXTATUS_SAMPLE_BUCKET, EXTATUS_SAMPLE_BUCKET, EXTATUS_SAMPLE_BUCKET, EXTATUS_SAMPLE_BUCKET,
        EXTATUS_SAMPLE_COUNT,  EXTATUS_SAMPLE_SUM,    EXTATUS_SAMPLE_CREATED};
    static const double bounds[] = {0.005, 1.0, 1e-05, INFINITY, 0, 0, 0};
    /* 7 datapoints and the four head names with their NULs: 6 + 4 + 6 + 5. */
    size_t expected_size = 7 * sizeof(extatus_datapoint) + 21;
    extatus_datapoint *points;
    void *block;
    size_t i;
    (void)state;

    assert_int_equal(extatus__datapoints_size(values, 4), expected_size);
    block = test_malloc(expected_size);
    points = extatus__datapoints_build(block, values, 4, EXTATUS_SAMPLE_BUCKET);
    assert_ptr_equal(points, block);
    for (i = 0; i < 7; i++) {
        assert_string_equal(points[i].name, names[i]);
        assert_int_equal(points[i].role, roles[i]);
        assert_same_double(points[i].bound, bounds[i]);
    }
    /* The head names lie in the block right after the array. */
    assert_ptr_equal(points[0].name, (const char *)(points + 7));
    assert_ptr_equal(points[3].name, (const char *)(points + 7) + 16);
    test_free(block);

    /* No head (a plain summary): the three totals alone. */
    assert_int_equal(extatus__datapoints_size(NULL, 0), 3 * sizeof(extatus_datapoint));
}

static void test_datapoint_wanted(void **state)
{
    static const extatus_datapoint points[] = {
        {.name = "value", .role = EXTATUS_SAMPLE_VALUE},
        {.name = "one", .role = EXTATUS_SAMPLE_NONE},
        {.name = "created", .role = EXTATUS_SAMPLE_CREATED},
    };
    static const char *const names[] = {"created", "nope", NULL, "value"};
    (void)state;

    /* By position when no names are given; past the end is "none" (3). */
    assert_int_equal(extatus__datapoint_wanted(points, 3, NULL, 0), 0);
    assert_int_equal(extatus__datapoint_wanted(points, 3, NULL, 2), 2);
    assert_int_equal(extatus__datapoint_wanted(points, 3, NULL, 3), 3);
    assert_int_equal(extatus__datapoint_wanted(points, 3, NULL, 9), 3);
    /* By name; an unknown or NULL name is "none". */
    assert_int_equal(extatus__datapoint_wanted(points, 3, names, 0), 2);
    assert_int_equal(extatus__datapoint_wanted(points, 3, names, 1), 3);
    assert_int_equal(extatus__datapoint_wanted(points, 3, names, 2), 3);
    assert_int_equal(extatus__datapoint_wanted(points, 3, names, 3), 0);
}

static void test_answer(void **state)
{
    static const double bounds[] = {0.5, INFINITY};
    static const double quantiles[] = {0.5, 0.9};
    static const char *const asked[] = {"count", "+Inf", "nope", "sum", "created", "0.5"};
    extatus_datapoint block[16]; /* room for the datapoints and their names, aligned */
    extatus__composite composite;
    const uint64_t cumulative[] = {4, 6};
    const double estimates[] = {0.25, 3.0};
    extatus__composite_values read = {
        .head = 2, .head_ints = cumulative, .count = 6, .sum = 7.5, .created = 1700000000.25};
    extatus_value values[7];
    (void)state;

    assert_true(extatus__datapoints_size(bounds, 2) <= sizeof(block));
    memset(&composite, 0, sizeof(composite));
    composite.datapoints = extatus__datapoints_build(block, bounds, 2, EXTATUS_SAMPLE_BUCKET);
    composite.datapoint_count = 2 + EXTATUS__DATAPOINT_TOTALS;

    /* By name, as a histogram: buckets are integers. */
    extatus__composite_answer(&composite, &read, asked, 6, values);
    assert_int_equal(values[0].kind, EXTATUS_VALUE_INT);
    assert_int_equal(values[0].integer, 6);
    assert_int_equal(values[1].kind, EXTATUS_VALUE_INT);
    assert_int_equal(values[1].integer, 6);
    assert_int_equal(values[2].kind, EXTATUS_VALUE_UNDEFINED);
    assert_int_equal(values[3].kind, EXTATUS_VALUE_DOUBLE);
    assert_same_double(values[3].number, 7.5);
    assert_int_equal(values[4].kind, EXTATUS_VALUE_DOUBLE);
    assert_same_double(values[4].number, 1700000000.25);
    assert_int_equal(values[5].kind, EXTATUS_VALUE_INT);
    assert_int_equal(values[5].integer, 4);

    /* Every datapoint in order plus one past the end, as a summary: head values are doubles. */
    composite.datapoints = extatus__datapoints_build(block, quantiles, 2, EXTATUS_SAMPLE_QUANTILE);
    read.head_ints = NULL;
    read.head_doubles = estimates;
    extatus__composite_answer(&composite, &read, NULL, 6, values);
    assert_int_equal(values[0].kind, EXTATUS_VALUE_DOUBLE);
    assert_same_double(values[0].number, 0.25);
    assert_int_equal(values[1].kind, EXTATUS_VALUE_DOUBLE);
    assert_same_double(values[1].number, 3.0);
    assert_int_equal(values[2].kind, EXTATUS_VALUE_INT);
    assert_int_equal(values[2].integer, 6);
    assert_same_double(values[3].number, 7.5);
    assert_same_double(values[4].number, 1700000000.25);
    assert_int_equal(values[5].kind, EXTATUS_VALUE_UNDEFINED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sum_combine, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_against_baseline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counts_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datapoints_build, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datapoint_wanted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_answer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
