/*
 * format_test.c - numbers and escaping of the exposition (src/expose/format.c).
 *
 * The expected texts below were written from the rules: Go's
 * strconv.FormatFloat(v, 'g', -1, 64) (shortest digits that read back,
 * exponent form when the decimal exponent is < -4 or >= 6, at least two
 * exponent digits), the OpenMetrics Go writer's ".0" for integral floats,
 * and the escaping rules of the two formats.
 */
#include "test_support.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"

typedef struct double_case {
    double value;
    const char *text;        /* Prometheus text 0.0.4 */
    const char *openmetrics; /* OpenMetrics 1.0.0 */
} double_case;

static const double_case double_cases[] = {
    {0.0, "0", "0.0"},
    {-0.0, "-0", "-0.0"}, /* the sign reads back, as Go writes it */
    {1.0, "1", "1.0"},
    {-1.0, "-1", "-1.0"},
    {0.1, "0.1", "0.1"},
    {0.5, "0.5", "0.5"},
    {-2.5, "-2.5", "-2.5"},
    {0.005, "0.005", "0.005"},
    {0.025, "0.025", "0.025"},
    {0.3, "0.3", "0.3"},
    {0.1 + 0.2, "0.30000000000000004", "0.30000000000000004"},
    {1.0 / 3.0, "0.3333333333333333", "0.3333333333333333"},
    {2.0 / 3.0, "0.6666666666666666", "0.6666666666666666"},
    {123.456, "123.456", "123.456"},
    {100.0, "100", "100.0"},
    {100000.0, "100000", "100000.0"},
    {123456.0, "123456", "123456.0"},
    {123456.7, "123456.7", "123456.7"},
    {999999.0, "999999", "999999.0"},
    {1e6, "1e+06", "1e+06"},
    {1234567.0, "1.234567e+06", "1.234567e+06"},
    {1234567.8, "1.2345678e+06", "1.2345678e+06"},
    {1700000000.5, "1.7000000005e+09", "1.7000000005e+09"},
    {1e21, "1e+21", "1e+21"},
    {1e22, "1e+22", "1e+22"},
    {1e100, "1e+100", "1e+100"},
    {-1e-300, "-1e-300", "-1e-300"},
    {0.0001, "0.0001", "0.0001"},
    {0.000123, "0.000123", "0.000123"},
    {0.00001, "1e-05", "1e-05"},
    {0.0000123, "1.23e-05", "1.23e-05"},
    {1e-7, "1e-07", "1e-07"},
    {9007199254740992.0, "9.007199254740992e+15", "9.007199254740992e+15"},
    {9007199254740991.0, "9.007199254740991e+15", "9.007199254740991e+15"},
    {18446744073709551616.0, "1.8446744073709552e+19", "1.8446744073709552e+19"},
    /* A shorter text exactly halfway between two doubles that reads back by ties-to-even. */
    {4.468743327960138e+16, "4.468743327960138e+16", "4.468743327960138e+16"},
    /* Powers of two whose shortest text lies above the nearest 16-digit one. */
    {0x1p-1017, "7.120236347223045e-307", "7.120236347223045e-307"},
    {0x1p-791, "7.678447687145631e-239", "7.678447687145631e-239"},
    {5e-324, "5e-324", "5e-324"},
    {DBL_MIN, "2.2250738585072014e-308", "2.2250738585072014e-308"},
    {DBL_MAX, "1.7976931348623157e+308", "1.7976931348623157e+308"},
    {-DBL_MAX, "-1.7976931348623157e+308", "-1.7976931348623157e+308"},
    {NAN, "NaN", "NaN"},
    {INFINITY, "+Inf", "+Inf"},
    {-INFINITY, "-Inf", "-Inf"},
};

static void assert_text(const char *expected, const char *begin, const char *end)
{
    size_t length = (size_t)(end - begin);
    assert_true(length < EXTATUS__NUMBER_MAX);
    char copy[EXTATUS__NUMBER_MAX + 1];
    memcpy(copy, begin, length);
    copy[length] = '\0';
    assert_string_equal(expected, copy);
}

static void test_double_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(double_cases) / sizeof(double_cases[0]); i++) {
        char text[EXTATUS__NUMBER_MAX];
        char *end = extatus__format_double(text, double_cases[i].value, false);
        assert_text(double_cases[i].text, text, end);
        end = extatus__format_double(text, double_cases[i].value, true);
        assert_text(double_cases[i].openmetrics, text, end);
    }
}

typedef struct bound_case {
    double bound;
    const char *text; /* the same in both formats */
} bound_case;

static const bound_case bound_cases[] = {
    {0.005, "0.005"}, {0.01, "0.01"}, {0.5, "0.5"},       {1.0, "1.0"},
    {2.5, "2.5"},     {10.0, "10.0"}, {0.0, "0.0"},       {-1.0, "-1.0"},
    {1e-5, "1e-05"},  {1e6, "1e+06"}, {0.99, "0.99"},     {0.999, "0.999"},
    {0.9, "0.9"},     {0.95, "0.95"}, {INFINITY, "+Inf"}, {-INFINITY, "-Inf"},
};

static void test_bound_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bound_cases) / sizeof(bound_cases[0]); i++) {
        char text[EXTATUS__NUMBER_MAX];
        char *end = extatus__format_bound(text, bound_cases[i].bound);
        assert_text(bound_cases[i].text, text, end);
    }
}

typedef struct int_case {
    int64_t value;
    const char *text;
} int_case;

static const int_case int_cases[] = {
    {0, "0"},
    {1, "1"},
    {-1, "-1"},
    {9, "9"},
    {10, "10"},
    {42, "42"},
    {99, "99"},
    {100, "100"},
    {1000000, "1000000"},
    {-987654321, "-987654321"},
    {12345678901234, "12345678901234"},
    {INT64_MAX, "9223372036854775807"},
    {INT64_MIN, "-9223372036854775808"},
};

static void test_int_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(int_cases) / sizeof(int_cases[0]); i++) {
        char text[EXTATUS__NUMBER_MAX];
        char *end = extatus__format_int(text, int_cases[i].value);
        assert_text(int_cases[i].text, text, end);
    }
    char text[EXTATUS__NUMBER_MAX];
    assert_text("18446744073709551615", text, extatus__format_uint(text, UINT64_MAX));
}

/* Count the significant digits of a number text and its decimal exponent. */
static int significant_digits(const char *text, char *digits, int *exponent)
{
    int count = 0;
    int point = 0;
    bool seen_point = false;
    bool leading = true;
    const char *p = text;
    if (*p == '-')
        p++;
    for (; *p && *p != 'e'; p++) {
        if (*p == '.') {
            seen_point = true;
            continue;
        }
        if (leading && *p == '0') {
            if (seen_point)
                point--;
            continue;
        }
        leading = false;
        digits[count++] = *p;
        if (!seen_point)
            point++;
    }
    while (count > 1 && digits[count - 1] == '0')
        count--;
    *exponent = point - 1 + (*p == 'e' ? atoi(p + 1) : 0);
    return count;
}

/*
 * Random doubles: the text reads back exactly, uses exponent form exactly
 * when the rule says so, and no text with one digit less reads back.
 */
static void test_double_random(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double value;
        memcpy(&value, &seed, sizeof(value));
        if (!isfinite(value) || value == 0)
            continue;
        char text[EXTATUS__NUMBER_MAX + 1];
        char *end = extatus__format_double(text, value, false);
        *end = '\0';
        if (strtod(text, NULL) != value)
            fail_msg("%s does not read back as %a", text, value);

        char digits[32];
        int exponent;
        int count = significant_digits(text, digits, &exponent);
        bool exponent_form = strchr(text, 'e') != NULL;
        if (exponent_form != (exponent < -4 || exponent >= 6))
            fail_msg("%s: wrong layout for exponent %d", text, exponent);
        if (count > 1) {
            char shorter[64];
            snprintf(shorter, sizeof(shorter), "%.*e", count - 2, fabs(value));
            if (strtod(shorter, NULL) == fabs(value))
                fail_msg("%s is not the shortest: %s reads back too", text, shorter);
        }
    }
}

typedef struct escape_case {
    const char *input;
    const char *help_text;   /* text 0.0.4 HELP: \\ and \n only */
    const char *openmetrics; /* OpenMetrics HELP/UNIT/label values: \\, \n and \" */
} escape_case;

static const escape_case escape_cases[] = {
    {"", "", ""},
    {"plain help", "plain help", "plain help"},
    {"back\\slash", "back\\\\slash", "back\\\\slash"},
    {"line\nfeed", "line\\nfeed", "line\\nfeed"},
    {"say \"hi\"", "say \"hi\"", "say \\\"hi\\\""},
    {"\\n is not a line feed", "\\\\n is not a line feed", "\\\\n is not a line feed"},
    {"trailing\\", "trailing\\\\", "trailing\\\\"},
    {"\n\n", "\\n\\n", "\\n\\n"},
    {"\"", "\"", "\\\""},
    {"tab\tand\rreturn", "tab\tand\rreturn", "tab\tand\rreturn"},
    {"UTF-8: r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93", "UTF-8: r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93",
     "UTF-8: r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93"},
    {"{a=\"b\"} 1", "{a=\"b\"} 1", "{a=\\\"b\\\"} 1"},
};

static void check_escape(const char *input, bool quote, const char *expected)
{
    size_t length = strlen(input);
    size_t size = extatus__escape_size(input, length, quote);
    assert_int_equal(size, strlen(expected));
    char *text = malloc(size + 1);
    assert_non_null(text);
    char *end = extatus__escape(text, input, length, quote);
    assert_int_equal((size_t)(end - text), size);
    *end = '\0';
    assert_string_equal(expected, text);
    free(text);
}

static void test_escape_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
        check_escape(escape_cases[i].input, false, escape_cases[i].help_text);
        check_escape(escape_cases[i].input, true, escape_cases[i].openmetrics);
    }
}

/* A NUL byte inside the text is copied like any other byte. */
static void test_escape_embedded_nul(void **state)
{
    (void)state;
    static const char input[] = {'a', '\0', '"', 'b'};
    char text[8];
    char *end = extatus__escape(text, input, sizeof(input), true);
    static const char expected[] = {'a', '\0', '\\', '"', 'b'};
    assert_int_equal((size_t)(end - text), sizeof(expected));
    assert_memory_equal(text, expected, sizeof(expected));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_table), cmocka_unit_test(test_bound_table),
        cmocka_unit_test(test_int_table),    cmocka_unit_test(test_double_random),
        cmocka_unit_test(test_escape_table), cmocka_unit_test(test_escape_embedded_nul),
    };
    return cmocka_run_group_tests_name("expose/format", tests, NULL, NULL);
}
