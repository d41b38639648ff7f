/*
 * exemplar_test.c - exemplars: label checks (names, UTF-8, the
 * 128-character limit counted in characters), where they are kept
 * (a histogram's bucket, a native histogram's classic bucket, a
 * counter), that a refused exemplar still counts its observation, reset,
 * and the OpenMetrics and text exposition (src/entries/exemplar.c and
 * the exemplar calls of the entries).
 */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>
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

/* The exposition of the default registry in `format`; the caller disposes it. */
static extatus_buf render(extatus_format format)
{
    extatus_buf buf = EXTATUS_BUF_INIT;
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    options.format = format;
    assert_ok(extatus_expose(&buf, NULL, 0, &options));
    return buf;
}

static void test_label_checks(void **state)
{
    static const char *const one[] = {"trace_id"};
    static const char *const bad_name[] = {"1trace"};
    static const char *const reserved[] = {"__trace"};
    static const char *const dashed[] = {"trace-id"};
    static const char *const twice[] = {"a", "a"};
    static const char *const values[] = {"abc", "def"};
    static const char *const not_utf8[] = {"\xff\xfe"};
    static const char *const null_value[] = {NULL};
    char long_value[300];
    char text[EXTATUS_EXEMPLAR_TEXT_MAX];
    const char *long_values[] = {long_value};
    const char *const t[] = {"t"};
    static const struct {
        extatus_exemplar exemplar;
        int code;
        const char *message;
    } cases[] = {
        {{bad_name, values, 1, 0}, EXTATUS_ERR_LABEL, "label name '1trace' is invalid"},
        {{reserved, values, 1, 0}, EXTATUS_ERR_LABEL, "label name '__trace' is invalid"},
        {{dashed, values, 1, 0}, EXTATUS_ERR_LABEL, "label name 'trace-id' is invalid"},
        {{twice, values, 2, 0}, EXTATUS_ERR_LABEL, "label name 'a' is given twice"},
        {{one, not_utf8, 1, 0}, EXTATUS_ERR_LABEL, "is not UTF-8"},
        {{one, null_value, 1, 0}, EXTATUS_ERR_LABEL, "has a NULL value"},
        {{one, values, 0, 0}, EXTATUS_ERR_LABEL, "at least one label is needed"},
        {{one, values, 1, -1}, EXTATUS_ERR_INVALID, "timestamp -1"},
        {{one, values, 1, NAN}, EXTATUS_ERR_INVALID, "timestamp nan"},
    };
    extatus_exemplar exemplar;
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = extatus__exemplar_render(&cases[i].exemplar, text);
        if (rc != cases[i].code)
            fail_msg("case %zu: code %d, expected %d", i, rc, cases[i].code);
        if (strstr(extatus_error_last(), cases[i].message) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, extatus_error_last(), cases[i].message);
    }
    assert_int_equal(extatus__exemplar_render(NULL, text), EXTATUS_ERR_LABEL);

    /* 128 characters: "t" and 127 x; one more is refused. */
    memset(long_value, 'x', 127);
    long_value[127] = '\0';
    exemplar = (extatus_exemplar){t, long_values, 1, 0};
    assert_ok(extatus__exemplar_render(&exemplar, text));
    long_value[127] = 'x';
    long_value[128] = '\0';
    assert_int_equal(extatus__exemplar_render(&exemplar, text), EXTATUS_ERR_LABEL);
    assert_non_null(strstr(extatus_error_last(), "more than 128 characters"));
    /* Characters, not bytes: 127 two-byte characters (254 bytes) fit. */
    for (i = 0; i < 127; i++)
        memcpy(&long_value[2 * i], "\xc3\xa9", 2); /* U+00E9 */
    long_value[254] = '\0';
    assert_ok(extatus__exemplar_render(&exemplar, text));
    /* Escaped as label values are. */
    {
        static const char *const quoted[] = {"a\"b\\c\nd"};
        extatus_exemplar escaped = {one, quoted, 1, 0};
        assert_ok(extatus__exemplar_render(&escaped, text));
        assert_string_equal(text, "trace_id=\"a\\\"b\\\\c\\nd\"");
    }
    {
        extatus_exemplar two = {twice, values, 1, 0};
        static const char *const names[] = {"trace_id", "span_id"};
        two.names = names;
        two.label_count = 2;
        assert_ok(extatus__exemplar_render(&two, text));
        assert_string_equal(text, "trace_id=\"abc\",span_id=\"def\"");
    }
}

static void test_histogram_bucket_exemplars(void **state)
{
    static const double bounds[] = {1, 2};
    static const char *const names[] = {"trace_id"};
    static const char *const first[] = {"aaa"};
    static const char *const second[] = {"bbb"};
    static const char *const bad[] = {"bad-name"};
    extatus_exemplar in_two = {names, first, 1, 1700000000.5};
    extatus_exemplar in_two_again = {names, second, 1, 1700000001.25};
    extatus_exemplar in_inf = {names, second, 1, 1700000002.0};
    extatus_exemplar refused = {bad, first, 1, 0};
    extatus_histogram *histogram;
    extatus_family *family;
    extatus_buf buf;
    (void)state;

    assert_ok(extatus_histogram_new(&histogram, NULL, "ex_seconds", "Latency.", bounds, 2));
    assert_ok(extatus_histogram_observe_exemplar(histogram, 1.5, &in_two));
    assert_ok(extatus_histogram_observe_exemplar(histogram, 2.0, &in_two_again)); /* replaces */
    assert_ok(extatus_histogram_observe_exemplar(histogram, 7.0, &in_inf));
    assert_int_equal(extatus_histogram_observe_exemplar(histogram, 0.5, &refused),
                     EXTATUS_ERR_LABEL);
    assert_non_null(strstr(extatus_error_last(), "label name 'bad-name' is invalid"));

    buf = render(EXTATUS_FORMAT_OPENMETRICS);
    assert_non_null(strstr(buf.ptr, "ex_seconds_bucket{le=\"1.0\"} 1\n")); /* refused: counted */
    assert_non_null(strstr(
        buf.ptr, "ex_seconds_bucket{le=\"2.0\"} 3 # {trace_id=\"bbb\"} 2.0 1700000001.25\n"));
    assert_non_null(strstr(
        buf.ptr, "ex_seconds_bucket{le=\"+Inf\"} 4 # {trace_id=\"bbb\"} 7.0 1700000002.0\n"));
    extatus_buf_dispose(&buf);

    buf = render(EXTATUS_FORMAT_TEXT);
    assert_null(strstr(buf.ptr, "trace_id")); /* never in text 0.0.4 */
    assert_non_null(strstr(buf.ptr, "ex_seconds_bucket{le=\"2.0\"} 3\n"));
    extatus_buf_dispose(&buf);

    assert_ok(extatus_family_lookup(&family, NULL, "ex_seconds"));
    assert_ok(extatus_family_reset(family));
    buf = render(EXTATUS_FORMAT_OPENMETRICS);
    assert_null(strstr(buf.ptr, "trace_id")); /* reset forgets them */
    extatus_buf_dispose(&buf);
}

static void test_native_and_counter_exemplars(void **state)
{
    static const char *const names[] = {"trace_id"};
    static const char *const values[] = {"cafe"};
    extatus_exemplar exemplar = {names, values, 1, 1700000000.0};
    extatus_native_histogram *native;
    extatus_counter *counter;
    extatus_buf buf;
    double before;
    char *line;
    (void)state;

    assert_ok(extatus_native_histogram_new(&native, NULL, "ex_native_seconds", "Latency.", 3));
    assert_ok(extatus_native_histogram_observe_exemplar(native, 0.25, &exemplar));
    assert_ok(extatus_counter_new(&counter, NULL, "ex_requests_total", "Requests."));
    assert_ok(extatus_counter_add_exemplar(counter, 3, &exemplar));
    before = (double)time(NULL);
    exemplar.timestamp = 0; /* now */
    assert_ok(extatus_counter_add_exemplar(counter, 2, &exemplar));

    buf = render(EXTATUS_FORMAT_OPENMETRICS);
    assert_non_null(strstr(
        buf.ptr,
        "ex_native_seconds_bucket{le=\"+Inf\"} 1 # {trace_id=\"cafe\"} 0.25 1700000000.0\n"));
    line = strstr(buf.ptr, "ex_requests_total 5 # {trace_id=\"cafe\"} 2.0 ");
    assert_non_null(line);
    {
        double stamp =
            strtod(line + strlen("ex_requests_total 5 # {trace_id=\"cafe\"} 2.0 "), NULL);
        assert_true(stamp >= before - 1 && stamp <= before + 60);
    }
    extatus_buf_dispose(&buf);
    buf = render(EXTATUS_FORMAT_TEXT);
    assert_null(strstr(buf.ptr, "cafe"));
    extatus_buf_dispose(&buf);
    assert_true(extatus_counter_value(counter) == 5.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_label_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_histogram_bucket_exemplars, setup, teardown),
        cmocka_unit_test_setup_teardown(test_native_and_counter_exemplars, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
