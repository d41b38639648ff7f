/*
 * expose_corpus.c - a generated corpus of awkward inputs for the external
 * parsers: metric names, label values (CR, LF, backslash, quotes, UTF-8),
 * help texts, every special double (±0, ±Inf, NaN, subnormals, max/min,
 * huge integers) and the boundaries of every built-in type (counter past
 * 2^63 and 2^64, histograms and summaries with NaN, infinite and negative
 * observations and negative bounds, function gauges and counters).
 *
 * Usage: expose_corpus PREFIX   writes PREFIX.prom, PREFIX.om and
 * PREFIX.expect. The last lists, one JSON object a line, every sample each
 * format must hold and the value this program set, worked out here from
 * the inputs and the documented rules (docs/exposition.md), never read
 * back from the library: tests/integration/corpus_check.py compares what
 * the parsers read against it, bit for bit.
 *
 * Expectation lines:
 *   {"formats":"both"|"text"|"om","name":N,"labels":{...},
 *    "bound":null|"le"|"quantile","bound_bits":HEX,"value":V}
 *   {"help":TEXT,"family":N}
 * V is "b:<hex bits of a double>", "i:<exact decimal integer>",
 * "q:<hex bits>" (a summary quantile: within the estimator's relative
 * error 1/64, same sign) or "created" (finite epoch seconds).
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extatus.h"
#include "render_support.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static FILE *expect;

/* ---- the expectations file --------------------------------------------- */

static void json_string(const char *text)
{
    fputc('"', expect);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(expect, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(expect, "\\u%04x", *p);
        else
            fputc(*p, expect); /* UTF-8 passes through */
    }
    fputc('"', expect);
}

static uint64_t bits_of(double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof(bits));
    return bits;
}

/* A value as written in the expectations: b: bits, i: exact integer. */
static const char *bits_value(char *out, size_t size, double value)
{
    snprintf(out, size, "b:%016" PRIx64, bits_of(value));
    return out;
}

/*
 * One expected sample. `label`/`label_value` may be NULL (no label);
 * `bound` is "le", "quantile" or NULL.
 */
static void expect_sample(const char *formats, const char *name, const char *label,
                          const char *label_value, const char *bound, double bound_value,
                          const char *value)
{
    fprintf(expect, "{\"formats\":\"%s\",\"name\":", formats);
    json_string(name);
    fputs(",\"labels\":{", expect);
    if (label) {
        json_string(label);
        fputc(':', expect);
        json_string(label_value);
    }
    fputs("},\"bound\":", expect);
    if (bound) {
        json_string(bound);
        fprintf(expect, ",\"bound_bits\":\"%016" PRIx64 "\"", bits_of(bound_value));
    } else {
        fputs("null", expect);
    }
    fputs(",\"value\":", expect);
    json_string(value);
    fputs("}\n", expect);
}

static void expect_help(const char *family, const char *help)
{
    fputs("{\"family\":", expect);
    json_string(family);
    fputs(",\"help\":", expect);
    json_string(help);
    fputs("}\n", expect);
}

/* ---- awkward inputs ---------------------------------------------------- */

static const double specials[] = {
    0.0,
    -0.0,
    INFINITY,
    -INFINITY,
    NAN,
    4.9406564584124654e-324,  /* smallest subnormal */
    -4.9406564584124654e-324, /* its negative */
    2.2250738585072009e-308,  /* largest subnormal */
    DBL_MIN,
    DBL_MAX,
    -DBL_MAX,
    0.1,
    1.0 / 3.0,
    -2.0 / 3.0,
    1e21,
    1e-7,
    123456.789,
    100.0,
    1e6,
    1e-5,
    0.000123,
    -42.0,
    9007199254740992.0,     /* 2^53 */
    9007199254740994.0,     /* 2^53 + 2 */
    9223372036854775808.0,  /* 2^63 */
    18446744073709551616.0, /* 2^64 */
    1e300,
    -1.5e-300,
    5e-324 * 3,
    0.30000000000000004,
};

static const char *const tricky_values[] = {
    "",
    "plain",
    "back\\slash",
    "trailing\\",
    "\\\\",
    "\\n is not a line feed",
    "quote \" inside",
    "\"",
    "line\nfeed",
    "\n",
    "carriage\rreturn",
    "\r",
    "crlf\r\n",
    "\r\n\r\n",
    "tab\there",
    "  spaces  ",
    "} {a=\"b\"}, # EOF",
    "=,{}",
    "# HELP x y",
    "r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac",
    "emoji \xf0\x9f\x98\x80",
    "\xc2\xa0no-break space",
    "NaN",
    "+Inf",
    "1e3",
};

static const char *const help_texts[] = {
    "Plain help.",
    "Back\\slash and trailing\\",
    "Double \"quotes\" here",
    "Line\nfeed and \\n literal",
    "UTF-8: r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
    "Inner  double   spaces and a\ttab",
    "# EOF",
};

/* ---- families ---------------------------------------------------------- */

/* The one place label values are passed: a family with one label. */
static extatus_family *labelled_family(extatus_registry *registry, const char *name,
                                       const char *type, const char *label)
{
    const char *const labels[] = {label};
    extatus_option options[] = {EXTATUS_OPT_STRING("help", "Corpus."),
                                EXTATUS_OPT_STRINGS("labels", labels, 1),
                                EXTATUS_OPT_NUMBER("max_series", 1000)};
    extatus_family *family = NULL;
    CHECK(extatus_family_new(&family, registry, name, type, options, 3));
    return family;
}

static extatus_gauge *gauge_series(extatus_family *family, const char *value)
{
    extatus_gauge *gauge = NULL;
    CHECK(extatus_gauge_get(&gauge, family, EXTATUS_LABELS(value)));
    return gauge;
}

static extatus_counter *counter_series(extatus_family *family, const char *value)
{
    extatus_counter *counter = NULL;
    CHECK(extatus_counter_get(&counter, family, EXTATUS_LABELS(value)));
    return counter;
}

/* Label values, each a gauge series whose value is its index. */
static void label_values(extatus_registry *registry)
{
    extatus_family *family = labelled_family(registry, "corpus_label_values", "gauge", "v");
    char value[64];
    for (size_t i = 0; i < COUNT(tricky_values); i++) {
        extatus_gauge_set(gauge_series(family, tricky_values[i]), (double)i);
        expect_sample("both", "corpus_label_values", "v", tricky_values[i], NULL, 0,
                      bits_value(value, sizeof value, (double)i));
    }
    /* A long value: 4000 bytes of UTF-8. */
    static char long_value[4001];
    for (size_t i = 0; i < 4000; i += 2)
        memcpy(long_value + i, "\xc3\xa9", 2);
    extatus_gauge_set(gauge_series(family, long_value), -1);
    expect_sample("both", "corpus_label_values", "v", long_value, NULL, 0,
                  bits_value(value, sizeof value, -1));
}

/* Every special double in a gauge, set and reached by adds. */
static void special_doubles(extatus_registry *registry)
{
    extatus_family *set = labelled_family(registry, "corpus_specials", "gauge", "case");
    extatus_family *added = labelled_family(registry, "corpus_specials_added", "gauge", "case");
    char label[16], value[64];
    for (size_t i = 0; i < COUNT(specials); i++) {
        snprintf(label, sizeof label, "%zu", i);
        extatus_gauge_set(gauge_series(set, label), specials[i]);
        expect_sample("both", "corpus_specials", "case", label, NULL, 0,
                      bits_value(value, sizeof value, specials[i]));
        /* From 0 by one add: 0 + x is x, except that 0 + -0 is +0. */
        extatus_gauge_add(gauge_series(added, label), specials[i]);
        expect_sample("both", "corpus_specials_added", "case", label, NULL, 0,
                      bits_value(value, sizeof value, 0.0 + specials[i]));
    }
}

/* Metric names and help texts that are legal but unusual. */
static void names_and_help(extatus_registry *registry)
{
    static char long_name[320];
    memcpy(long_name, "corpus_long_", 12);
    memset(long_name + 12, 'n', 300);
    const char *const names[] = {"corpus:colon:name", "_corpus_leading_underscore",
                                 "CorpusMixedCase", "corpus_digits_0123456789", long_name};
    char value[64];
    for (size_t i = 0; i < COUNT(names); i++) {
        extatus_gauge *gauge = NULL;
        CHECK(extatus_gauge_new(&gauge, registry, names[i], "A name."));
        extatus_gauge_set(gauge, (double)i + 0.5);
        expect_sample("both", names[i], NULL, NULL, NULL, 0,
                      bits_value(value, sizeof value, (double)i + 0.5));
    }
    for (size_t i = 0; i < COUNT(help_texts); i++) {
        char name[32];
        snprintf(name, sizeof name, "corpus_help_%zu", i);
        extatus_gauge *gauge = NULL;
        CHECK(extatus_gauge_new(&gauge, registry, name, help_texts[i]));
        expect_sample("both", name, NULL, NULL, NULL, 0, bits_value(value, sizeof value, 0));
        expect_help(name, help_texts[i]);
    }
    /* A unit (OpenMetrics UNIT line). */
    extatus_option unit[] = {EXTATUS_OPT_STRING("help", "With a unit."),
                             EXTATUS_OPT_STRING("unit", "seconds")};
    CHECK(extatus_new(registry, "corpus_wait_seconds", "gauge", unit, 2));
    CHECK(extatus_update(registry, "corpus_wait_seconds", EXTATUS_NO_LABELS, 2.5));
    expect_sample("both", "corpus_wait_seconds", NULL, NULL, NULL, 0,
                  bits_value(value, sizeof value, 2.5));
}

/* Counters at every boundary; the expected totals are exact integers. */
typedef struct counter_case {
    const char *name;     /* label value */
    uint64_t adds[4];     /* integer adds, 0 ends */
    double float_add;     /* one extatus_counter_add_float after them, 0: none */
    const char *expected; /* the exact total ("i:") or a double ("b:" worked out below) */
} counter_case;

static void counters(extatus_registry *registry)
{
    static const counter_case cases[] = {
        {"zero", {0}, 0, "i:0"},
        {"one", {1}, 0, "i:1"},
        {"int64_max", {INT64_MAX}, 0, "i:9223372036854775807"},
        {"int64_max_plus_one", {INT64_MAX, 1}, 0, "i:9223372036854775808"},
        {"uint64_max", {UINT64_MAX}, 0, "i:18446744073709551615"},
        {"uint64_max_plus_one", {UINT64_MAX, 1}, 0, "i:18446744073709551616"},
        {"two_pow_63_twice", {UINT64_C(1) << 63, UINT64_C(1) << 63}, 0, "i:18446744073709551616"},
        {"three_uint64_max_plus_three",
         {UINT64_MAX, UINT64_MAX, UINT64_MAX, 3},
         0,
         "i:55340232221128654848"},
        {"two_pow_65_plus_8192", {UINT64_MAX, 1, UINT64_MAX}, 8193, "i:36893488147419111424"},
        {"fraction", {1}, 0.25, NULL},
        {"huge_float", {0}, 1e300, NULL},
        {"infinite", {5}, INFINITY, NULL},
        {"two_pow_53_float", {0}, 9007199254740992.0, NULL},
    };
    extatus_family *family = labelled_family(registry, "corpus_counter_total", "counter", "case");
    char value[64];
    for (size_t i = 0; i < COUNT(cases); i++) {
        extatus_counter *counter = counter_series(family, cases[i].name);
        uint64_t integer = 0;
        for (size_t k = 0; k < 4 && cases[i].adds[k]; k++) {
            extatus_counter_add(counter, cases[i].adds[k]);
            integer += cases[i].adds[k]; /* only used by the cases below 2^64 */
        }
        if (cases[i].float_add != 0)
            CHECK(extatus_counter_add_float(counter, cases[i].float_add));
        const char *expected = cases[i].expected;
        if (!expected)
            expected = bits_value(value, sizeof value, (double)integer + cases[i].float_add);
        expect_sample("both", "corpus_counter_total", "case", cases[i].name, NULL, 0, expected);
        expect_sample("om", "corpus_counter_created", "case", cases[i].name, NULL, 0, "created");
    }
    /* A counter named without _total: the samples add it. */
    extatus_counter *plain = NULL;
    CHECK(extatus_counter_new(&plain, registry, "corpus_plain", "No _total in the name."));
    extatus_counter_add(plain, 7);
    expect_sample("both", "corpus_plain_total", NULL, NULL, NULL, 0, "i:7");
    expect_sample("om", "corpus_plain_created", NULL, NULL, NULL, 0, "created");
}

/* Function gauges and counters returning specials. */
static int give(double *value, const char *const *label_values, void *user_data)
{
    (void)label_values;
    *value = *(const double *)user_data;
    return 0;
}

static void functions(extatus_registry *registry)
{
    char name[48], value[64];
    for (size_t i = 0; i < COUNT(specials); i++) {
        snprintf(name, sizeof name, "corpus_function_gauge_%zu", i);
        CHECK(extatus_function_gauge_new(registry, name, "A callback.", give,
                                         (void *)(uintptr_t)&specials[i]));
        expect_sample("both", name, NULL, NULL, NULL, 0,
                      bits_value(value, sizeof value, specials[i]));
        /* A counter's NaN or negative value is left out of OpenMetrics. */
        snprintf(name, sizeof name, "corpus_function_counter_%zu", i);
        CHECK(extatus_function_counter_new(registry, name, "A callback.", give,
                                           (void *)(uintptr_t)&specials[i]));
        snprintf(name, sizeof name, "corpus_function_counter_%zu_total", i);
        bool valid = !isnan(specials[i]) && !(specials[i] < 0);
        expect_sample(valid ? "both" : "text", name, NULL, NULL, NULL, 0,
                      bits_value(value, sizeof value, specials[i]));
    }
}

/* ---- histograms -------------------------------------------------------- */

typedef struct histogram_case {
    const char *name;
    double bounds[4];
    size_t bound_count;
    double observations[8];
    size_t observation_count;
} histogram_case;

/* The sum the library reports: NaN for NaN or both infinities, else the infinity, else the sum. */
static double expected_sum(const double *values, size_t count)
{
    double finite = 0.0;
    bool nan = false, plus = false, minus = false;
    for (size_t i = 0; i < count; i++) {
        if (isnan(values[i]))
            nan = true;
        else if (values[i] == INFINITY)
            plus = true;
        else if (values[i] == -INFINITY)
            minus = true;
        else
            finite += values[i];
    }
    if (nan || (plus && minus))
        return NAN;
    return plus ? INFINITY : minus ? -INFINITY : finite;
}

static void histograms(extatus_registry *registry)
{
    static const histogram_case cases[] = {
        {"empty", {0.5, 1, 2.5}, 3, {0}, 0},
        {"plain", {0.5, 1, 2.5}, 3, {0.25, 1, 3}, 3},
        {"on_bounds", {0.5, 1, 2.5}, 3, {0.5, 1, 2.5, -0.0, 4.9406564584124654e-324}, 5},
        {"nan", {0.5, 1, 2.5}, 3, {0.25, NAN}, 2},
        {"plus_inf", {0.5, 1, 2.5}, 3, {0.25, INFINITY}, 2},
        {"minus_inf", {0.5, 1, 2.5}, 3, {0.25, -INFINITY}, 2},
        {"both_inf", {0.5, 1, 2.5}, 3, {INFINITY, -INFINITY}, 2},
        {"negative_sum", {0.5, 1, 2.5}, 3, {-3, 1}, 2},
        {"negative_small", {0.5, 1, 2.5}, 3, {-0.25, 1}, 2},
        {"negative_bounds", {-10, -1, 0, 1}, 4, {-5, 0.5}, 2},
        {"negative_bounds_positive_sum", {-10, -1, 0, 1}, 4, {5}, 1},
        {"extreme_bounds", {4.9406564584124654e-324, 1e300}, 2, {DBL_MAX, DBL_MAX, 1e-310}, 3},
    };
    char name[64], value[64];
    for (size_t c = 0; c < COUNT(cases); c++) {
        const histogram_case *h = &cases[c];
        snprintf(name, sizeof name, "corpus_histogram_%s", h->name);
        extatus_histogram *histogram = NULL;
        CHECK(extatus_histogram_new(&histogram, registry, name, "A histogram.", h->bounds,
                                    h->bound_count));
        for (size_t i = 0; i < h->observation_count; i++)
            extatus_histogram_observe(histogram, h->observations[i]);
        /* Buckets: cumulative, le inclusive; NaN and +Inf only in +Inf, -Inf in the first. */
        char sample[80];
        snprintf(sample, sizeof sample, "%s_bucket", name);
        for (size_t b = 0; b <= h->bound_count; b++) {
            double bound = b < h->bound_count ? h->bounds[b] : INFINITY;
            uint64_t cumulative = 0;
            for (size_t i = 0; i < h->observation_count; i++) {
                double v = h->observations[i];
                cumulative += b == h->bound_count || (!isnan(v) && v <= bound);
            }
            snprintf(value, sizeof value, "i:%" PRIu64, cumulative);
            expect_sample("both", sample, NULL, NULL, "le", bound, value);
        }
        double sum = expected_sum(h->observations, h->observation_count);
        bool negative_bound = h->bounds[0] < 0;
        /* OpenMetrics: no _sum (and so no _count) with a negative bound or a NaN/negative sum. */
        const char *totals = negative_bound || isnan(sum) || sum < 0 ? "text" : "both";
        snprintf(sample, sizeof sample, "%s_sum", name);
        expect_sample(totals, sample, NULL, NULL, NULL, 0, bits_value(value, sizeof value, sum));
        snprintf(sample, sizeof sample, "%s_count", name);
        snprintf(value, sizeof value, "i:%zu", h->observation_count);
        expect_sample(totals, sample, NULL, NULL, NULL, 0, value);
        snprintf(sample, sizeof sample, "%s_created", name);
        expect_sample("om", sample, NULL, NULL, NULL, 0, "created");
    }
}

/* ---- summaries --------------------------------------------------------- */

typedef struct summary_case {
    const char *name;
    double observations[6];
    size_t observation_count;
    double quantile_value; /* every quantile estimates this (all observations agree) */
} summary_case;

static void summaries(extatus_registry *registry)
{
    static const summary_case cases[] = {
        {"empty", {0}, 0, NAN},
        {"positive", {2.5, 2.5, 2.5, 2.5}, 4, 2.5},
        {"negative", {-3, -3, -3, -3, -3}, 5, -3},
        {"nan", {2.5, 2.5, NAN}, 3, 2.5},
        {"tiny", {1e-300, 1e-300}, 2, 1e-300},
        {"huge_negative", {-1e12, -1e12}, 2, -1e12},
        {"infinite", {INFINITY, INFINITY}, 2, INFINITY},
    };
    static const double quantiles[] = {0.5, 0.99};
    char name[64], value[64];
    for (size_t c = 0; c < COUNT(cases); c++) {
        const summary_case *s = &cases[c];
        snprintf(name, sizeof name, "corpus_summary_%s", s->name);
        extatus_summary *summary = NULL;
        CHECK(extatus_summary_new(&summary, registry, name, "A summary.", quantiles,
                                  COUNT(quantiles)));
        for (size_t i = 0; i < s->observation_count; i++)
            extatus_summary_observe(summary, s->observations[i]);
        for (size_t q = 0; q < COUNT(quantiles); q++) {
            /*
             * The estimator's range is [2^-32, 2^32) in magnitude; beyond,
             * values read as the midpoint of the end bucket (docs/types.md).
             */
            double estimate = s->quantile_value;
            if (fabs(estimate) < 0x1p-32)
                estimate = copysign(0x1p-32 * (1 + 1.0 / 64), estimate);
            else if (fabs(estimate) >= 0x1p32)
                estimate = copysign(0x1p32 * (1 - 1.0 / 128), estimate);
            if (isnan(estimate))
                bits_value(value, sizeof value, NAN);
            else
                snprintf(value, sizeof value, "q:%016" PRIx64, bits_of(estimate));
            /* OpenMetrics forbids negative quantile values. */
            expect_sample(s->quantile_value < 0 ? "text" : "both", name, NULL, NULL, "quantile",
                          quantiles[q], value);
        }
        double sum = expected_sum(s->observations, s->observation_count);
        char sample[80];
        snprintf(sample, sizeof sample, "%s_sum", name);
        expect_sample(isnan(sum) || sum < 0 ? "text" : "both", sample, NULL, NULL, NULL, 0,
                      bits_value(value, sizeof value, sum));
        snprintf(sample, sizeof sample, "%s_count", name);
        snprintf(value, sizeof value, "i:%zu", s->observation_count);
        expect_sample("both", sample, NULL, NULL, NULL, 0, value);
        snprintf(sample, sizeof sample, "%s_created", name);
        expect_sample("om", sample, NULL, NULL, NULL, 0, "created");
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PREFIX\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s.expect", argv[1]);
    expect = fopen(path, "wb");
    if (!expect) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    extatus_registry *registry = NULL;
    CHECK(extatus_registry_new(&registry, "corpus", NULL));
    label_values(registry);
    special_doubles(registry);
    names_and_help(registry);
    counters(registry);
    functions(registry);
    histograms(registry);
    summaries(registry);

    write_both(argv[1], registry);
    if (fclose(expect) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    extatus_registry_free(registry);
    extatus_shutdown();
    return 0;
}
