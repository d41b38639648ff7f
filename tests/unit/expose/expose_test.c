/*
 * expose_test.c - the exposition writers (src/expose/expose.c).
 *
 * Golden files: each scenario builds a registry with the test-only entry
 * types of fake_entry.h (every metric type, through the plug-in path) and
 * compares both formats with hand-written files in tests/data/expose/:
 * <scenario>.prom (text 0.0.4) and <scenario>.om (OpenMetrics 1.0.0).
 * On a mismatch the actual output is written to <scenario>.<ext>.actual
 * in the working directory.
 */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_entry.h"

/* Create a family with the common options; NULL help/unit/values are left out. */
static extatus_family *make_family(extatus_registry *registry, const char *name, const char *type,
                                   const char *help, const char *unit, const char *const *labels,
                                   size_t label_count, const extatus_value *values)
{
    extatus_option options[4];
    size_t count = 0;
    if (help)
        options[count++] = (extatus_option)EXTATUS_OPT_STRING("help", help);
    if (unit)
        options[count++] = (extatus_option)EXTATUS_OPT_STRING("unit", unit);
    if (label_count)
        options[count++] = (extatus_option)EXTATUS_OPT_STRINGS("labels", labels, label_count);
    if (values)
        options[count++] = (extatus_option)EXTATUS_OPT_POINTER("values", (void *)(uintptr_t)values);
    extatus_family *family = NULL;
    assert_ok(extatus_family_new(&family, registry, name, type, options, count));
    return family;
}

static void set_series(extatus_family *family, extatus_labels labels, const extatus_value *values)
{
    assert_ok(fake_set(family, labels, values, 0));
}

static char *render(extatus_registry *const *registries, size_t count, extatus_format format,
                    int omit_created)
{
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    options.format = format;
    options.omit_created = omit_created;
    extatus_buf buf = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&buf, registries, count, &options));
    assert_non_null(buf.ptr);
    assert_int_equal(strlen(buf.ptr), buf.size);
    char *text = strdup(buf.ptr);
    extatus_buf_dispose(&buf);
    return text;
}

static void check_golden_file(extatus_registry *const *registries, size_t count, const char *file,
                              extatus_format format, int omit_created)
{
    char *actual = render(registries, count, format, omit_created);
    char path[512];
    snprintf(path, sizeof(path), "expose/%s", file);
    char *expected = test_read_file(test_data_path(path), NULL);
    if (!expected)
        fail_msg("cannot read golden file %s", test_data_path(path));
    if (strcmp(expected, actual) != 0) {
        char name[512];
        snprintf(name, sizeof(name), "%s.actual", file);
        FILE *dump = fopen(name, "wb");
        if (dump) {
            fputs(actual, dump);
            fclose(dump);
        }
        print_error("golden mismatch for %s\n--- expected\n%s--- actual\n%s---\n", file, expected,
                    actual);
    }
    assert_string_equal(expected, actual);
    free(expected);
    free(actual);
}

/* Compare both formats of `registry` with <scenario>.prom and <scenario>.om. */
static void check_golden(extatus_registry *registry, const char *scenario)
{
    char file[256];
    snprintf(file, sizeof(file), "%s.prom", scenario);
    check_golden_file(&registry, 1, file, EXTATUS_FORMAT_TEXT, 0);
    snprintf(file, sizeof(file), "%s.om", scenario);
    check_golden_file(&registry, 1, file, EXTATUS_FORMAT_OPENMETRICS, 0);
}

static int setup(void **state)
{
    (void)state;
    return fake_register() == EXTATUS_OK ? 0 : -1;
}

static extatus_registry *new_registry(const char *name)
{
    extatus_registry *registry = NULL;
    assert_ok(extatus_registry_new(&registry, name, NULL));
    return registry;
}

static void test_content_types(void **state)
{
    (void)state;
    assert_string_equal(extatus_format_content_type(EXTATUS_FORMAT_TEXT),
                        "text/plain; version=0.0.4; charset=utf-8");
    assert_string_equal(extatus_format_content_type(EXTATUS_FORMAT_OPENMETRICS),
                        "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

static void test_counter(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("golden_counter");
    static const char *const labels[] = {"method", "code"};
    extatus_family *requests = make_family(registry, "http_requests_total", "fake_counter",
                                           "Requests served.", NULL, labels, 2, NULL);
    static const extatus_value get[] = {FAKE_INT(1027), FAKE_DOUBLE(1700000000.5), FAKE_INT(99)};
    static const extatus_value post[] = {FAKE_DOUBLE(3.0), FAKE_INT(1700000000), FAKE_INT(5)};
    set_series(requests, EXTATUS_LABELS("GET", "200"), get);
    set_series(requests, EXTATUS_LABELS("POST", "500"), post);
    static const extatus_value jobs[] = {FAKE_DOUBLE(2.5), FAKE_UNDEFINED, FAKE_INT(1)};
    make_family(registry, "jobs", "fake_counter", "Jobs run.", NULL, NULL, 0, jobs);
    static const extatus_value read[] = {FAKE_INT(0), FAKE_DOUBLE(1700000000.0), FAKE_INT(1)};
    make_family(registry, "io_read_bytes", "fake_counter", "Bytes read.", "bytes", NULL, 0, read);

    check_golden(registry, "counter");
    check_golden_file(&registry, 1, "counter_nocreated.om", EXTATUS_FORMAT_OPENMETRICS, 1);
    extatus_registry_free(registry);
}

static void test_gauge(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("golden_gauge");
    static const char *const labels[] = {"case"};
    extatus_family *temperature = make_family(registry, "temperature_celsius", "fake_gauge",
                                              "Temperature.", "celsius", labels, 1, NULL);
    static const struct {
        const char *name;
        extatus_value value[3];
    } cases[] = {
        {"tenth", {FAKE_DOUBLE(0.1), FAKE_INT(1), FAKE_INT(1)}},
        {"one", {FAKE_DOUBLE(1.0), FAKE_INT(1), FAKE_INT(1)}},
        {"negative", {FAKE_DOUBLE(-2.5), FAKE_INT(1), FAKE_INT(1)}},
        {"small", {FAKE_DOUBLE(1e-05), FAKE_INT(1), FAKE_INT(1)}},
        {"large", {FAKE_DOUBLE(1234567.0), FAKE_INT(1), FAKE_INT(1)}},
        {"huge", {FAKE_DOUBLE(1e21), FAKE_INT(1), FAKE_INT(1)}},
        {"nan", {FAKE_DOUBLE(NAN), FAKE_INT(1), FAKE_INT(1)}},
        {"inf", {FAKE_DOUBLE(INFINITY), FAKE_INT(1), FAKE_INT(1)}},
        {"minus_inf", {FAKE_DOUBLE(-INFINITY), FAKE_INT(1), FAKE_INT(1)}},
        {"integer", {FAKE_INT(-42), FAKE_INT(1), FAKE_INT(1)}},
        {"undefined", {FAKE_UNDEFINED, FAKE_INT(1), FAKE_INT(1)}},
        {"zero",
         {FAKE_DOUBLE(-0.0), FAKE_INT(1), FAKE_INT(1)}}, /* written -0: the sign reads back */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        set_series(temperature, EXTATUS_LABELS(cases[i].name), cases[i].value);
    static const extatus_value up[] = {FAKE_INT(1), FAKE_UNDEFINED, FAKE_UNDEFINED};
    make_family(registry, "up", "fake_gauge", NULL, NULL, NULL, 0, up);

    check_golden(registry, "gauge");
    extatus_registry_free(registry);
}

static void test_untyped(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("golden_untyped");
    static const char *const labels[] = {"shard"};
    extatus_family *legacy =
        make_family(registry, "legacy_value", "fake_untyped", "Old style.", NULL, labels, 1, NULL);
    static const extatus_value a[] = {FAKE_DOUBLE(42.0), FAKE_INT(7), FAKE_INT(7)};
    static const extatus_value b[] = {FAKE_INT(7), FAKE_UNDEFINED, FAKE_UNDEFINED};
    set_series(legacy, EXTATUS_LABELS("a"), a);
    set_series(legacy, EXTATUS_LABELS("b"), b);
    check_golden(registry, "untyped");
    extatus_registry_free(registry);
}

static void test_histogram(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("golden_histogram");
    static const char *const labels[] = {"path"};
    extatus_family *duration = make_family(registry, "request_duration_seconds", "fake_histogram",
                                           "Request latency.", "seconds", labels, 1, NULL);
    static const extatus_value root[] = {
        FAKE_INT(1),  FAKE_INT(5),        FAKE_INT(7),  FAKE_INT(9),
        FAKE_INT(10), FAKE_DOUBLE(12.75), FAKE_INT(10), FAKE_DOUBLE(1700000000.25),
    };
    static const extatus_value api[] = {
        FAKE_INT(0), FAKE_INT(0),      FAKE_INT(0), FAKE_INT(0),
        FAKE_INT(0), FAKE_DOUBLE(0.0), FAKE_INT(0), FAKE_INT(1700000002),
    };
    set_series(duration, EXTATUS_LABELS("/"), root);
    set_series(duration, EXTATUS_LABELS("/api"), api);

    /* Datapoints: 1000, 10, count, 100, sum. */
    static const extatus_value sizes[] = {FAKE_INT(6), FAKE_DOUBLE(2.0), FAKE_INT(8), FAKE_INT(5),
                                          FAKE_DOUBLE(5230.5)};
    make_family(registry, "sizes", "fake_histogram_unsorted", "Payload sizes.", NULL, NULL, 0,
                sizes);

    static const extatus_value delta[] = {FAKE_INT(1),         FAKE_INT(3),       FAKE_INT(4),
                                          FAKE_INT(4),         FAKE_DOUBLE(-2.5), FAKE_INT(4),
                                          FAKE_INT(1700000003)};
    make_family(registry, "temperature_delta", "fake_histogram_negative", "Change.", NULL, NULL, 0,
                delta);

    check_golden(registry, "histogram");
    extatus_registry_free(registry);
}

static void test_summary(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("golden_summary");
    static const char *const labels[] = {"service"};
    extatus_family *rpc = make_family(registry, "rpc_duration_seconds", "fake_summary",
                                      "RPC latency.", NULL, labels, 1, NULL);
    static const extatus_value auth[] = {FAKE_DOUBLE(0.012), FAKE_DOUBLE(0.05),
                                         FAKE_DOUBLE(0.1),   FAKE_DOUBLE(17.5),
                                         FAKE_INT(1000),     FAKE_DOUBLE(1700000000.0)};
    static const extatus_value idle[] = {FAKE_DOUBLE(NAN), FAKE_DOUBLE(NAN), FAKE_UNDEFINED,
                                         FAKE_DOUBLE(0.0), FAKE_INT(0),      FAKE_INT(1700000004)};
    set_series(rpc, EXTATUS_LABELS("auth"), auth);
    set_series(rpc, EXTATUS_LABELS("idle"), idle);
    check_golden(registry, "summary");
    extatus_registry_free(registry);
}

static void test_escaping(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("golden_escaping");
    static const char *const labels[] = {"path", "text"};
    extatus_family *family =
        make_family(registry, "escape_help", "fake_gauge",
                    "Help with \\ backslash, \"quotes\" and\na new line.", NULL, labels, 2, NULL);
    static const extatus_value one[] = {FAKE_INT(1), FAKE_UNDEFINED, FAKE_UNDEFINED};
    static const extatus_value two[] = {FAKE_INT(2), FAKE_UNDEFINED, FAKE_UNDEFINED};
    static const extatus_value three[] = {FAKE_INT(3), FAKE_UNDEFINED, FAKE_UNDEFINED};
    set_series(family, EXTATUS_LABELS("C:\\dir\\", "say \"hi\""), one);
    set_series(family, EXTATUS_LABELS("line\nbreak", "r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93"), two);
    set_series(family, EXTATUS_LABELS("", "{}=,# x"), three);

    static const extatus_value four[] = {FAKE_INT(4), FAKE_UNDEFINED, FAKE_UNDEFINED};
    make_family(registry, "escape_trailing", "fake_gauge", "Ends in a backslash \\", NULL, NULL, 0,
                four);
    check_golden(registry, "escaping");
    extatus_registry_free(registry);
}

/*
 * Two registries: families sorted by name across both, the first
 * registry's family wins a duplicate name, series in creation order, a
 * failing series dropped, a family without series written as metadata.
 */
static void test_order(void **state)
{
    (void)state;
    extatus_registry *registries[2] = {new_registry("golden_first"), new_registry("golden_second")};
    static const extatus_value v1[] = {FAKE_INT(1), FAKE_UNDEFINED, FAKE_UNDEFINED};
    static const extatus_value v2[] = {FAKE_INT(2), FAKE_UNDEFINED, FAKE_UNDEFINED};
    static const extatus_value v3[] = {FAKE_INT(3), FAKE_UNDEFINED, FAKE_UNDEFINED};
    static const char *const k[] = {"k"};
    static const char *const id[] = {"id"};

    make_family(registries[0], "zeta", "fake_gauge", "Zeta.", NULL, NULL, 0, v1);
    extatus_family *alpha =
        make_family(registries[0], "alpha", "fake_counter", "Alpha.", NULL, k, 1, NULL);
    set_series(alpha, EXTATUS_LABELS("z"), v1);
    set_series(alpha, EXTATUS_LABELS("a"), v2);
    set_series(alpha, EXTATUS_LABELS("m"), v3);
    make_family(registries[0], "shared", "fake_gauge", "From the first registry.", NULL, NULL, 0,
                v1);
    extatus_family *failing =
        make_family(registries[0], "failing", "fake_gauge", "One series fails.", NULL, id, 1, NULL);
    set_series(failing, EXTATUS_LABELS("ok"), v1);
    assert_ok(fake_set(failing, EXTATUS_LABELS("bad"), v3, 1));
    set_series(failing, EXTATUS_LABELS("ok2"), v2);
    make_family(registries[0], "empty", "fake_gauge", "Nothing yet.", NULL, k, 1, NULL);

    make_family(registries[1], "shared", "fake_gauge", "From the second registry.", NULL, NULL, 0,
                v2);
    make_family(registries[1], "beta", "fake_gauge", "Beta.", NULL, NULL, 0, v2);

    check_golden_file(registries, 2, "order.prom", EXTATUS_FORMAT_TEXT, 0);
    check_golden_file(registries, 2, "order.om", EXTATUS_FORMAT_OPENMETRICS, 0);
    extatus_registry_free(registries[0]);
    extatus_registry_free(registries[1]);
}

/*
 * The built-in counter, gauge, histogram, summary and spiral. Their _created is the creation time,
 * so the golden OpenMetrics file is written without it and _created is checked on its own.
 */
static void test_builtin(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("golden_builtin");
    static const char *const kind[] = {"kind"};
    extatus_option counter_options[] = {EXTATUS_OPT_STRING("help", "Events."),
                                        EXTATUS_OPT_STRINGS("labels", kind, 1)};
    extatus_family *events = NULL;
    assert_ok(extatus_family_new(&events, registry, "builtin_events_total", "counter",
                                 counter_options, 2));
    extatus_counter *a = NULL, *b = NULL;
    assert_ok(extatus_counter_get(&a, events, EXTATUS_LABELS("a")));
    assert_ok(extatus_counter_get(&b, events, EXTATUS_LABELS("b")));
    extatus_counter_inc(a);
    extatus_counter_add(a, 2);
    assert_ok(extatus_counter_add_float(b, 0.5));

    static const char *const room[] = {"room"};
    extatus_option gauge_options[] = {EXTATUS_OPT_STRING("help", "Level."),
                                      EXTATUS_OPT_STRINGS("labels", room, 1)};
    extatus_family *level = NULL;
    assert_ok(extatus_family_new(&level, registry, "builtin_level", "gauge", gauge_options, 2));
    extatus_gauge *x = NULL, *y = NULL;
    assert_ok(extatus_gauge_get(&x, level, EXTATUS_LABELS("x")));
    assert_ok(extatus_gauge_get(&y, level, EXTATUS_LABELS("y")));
    extatus_gauge_set(x, 2.0);
    extatus_gauge_set(y, 0.25);

    static const double bounds[] = {0.25, 1.0, 10.0};
    extatus_histogram *latency = NULL;
    assert_ok(extatus_histogram_new(&latency, registry, "builtin_latency_seconds", "Latency.",
                                    bounds, 3));
    static const double observations[] = {0.25, 0.5, 0.5, 4.0, 64.0};
    for (size_t i = 0; i < 5; i++)
        extatus_histogram_observe(latency, observations[i]);
    extatus_summary *rpc = NULL;
    assert_ok(extatus_summary_new(&rpc, registry, "builtin_rpc_seconds", "RPC time.", NULL, 0));
    extatus_summary_observe(rpc, 1.5);
    extatus_summary_observe(rpc, 2.5);
    static const double quantiles[] = {0.5, 0.99};
    extatus_summary *window = NULL;
    assert_ok(
        extatus_summary_new(&window, registry, "builtin_window_seconds", "Window.", quantiles, 2));
    extatus_spiral *spiral = NULL;
    assert_ok(extatus_spiral_new(&spiral, registry, "builtin_spiral", "Spiral."));
    extatus_spiral_add(spiral, 7);

    check_golden_file(&registry, 1, "builtin.prom", EXTATUS_FORMAT_TEXT, 0);
    check_golden_file(&registry, 1, "builtin_nocreated.om", EXTATUS_FORMAT_OPENMETRICS, 1);

    char *text = render(&registry, 1, EXTATUS_FORMAT_OPENMETRICS, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    const char *series[] = {"builtin_events_created{kind=\"a\"} ",
                            "builtin_events_created{kind=\"b\"} "};
    for (size_t i = 0; i < 2; i++) {
        const char *line = strstr(text, series[i]);
        assert_non_null(line);
        double created = strtod(line + strlen(series[i]), NULL);
        assert_true(fabs(created - (double)now.tv_sec) < 60);
    }
    /* The counter's _created follows its _total, the gauge has none. */
    assert_non_null(strstr(text, "builtin_events_total{kind=\"a\"} 3\nbuiltin_events_created"));
    assert_null(strstr(text, "builtin_level_created"));
    free(text);
    extatus_registry_free(registry);
}

/* An empty registry: nothing in text, only "# EOF" in OpenMetrics. */
static void test_empty(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("golden_empty");
    char *text = render(&registry, 1, EXTATUS_FORMAT_TEXT, 0);
    assert_string_equal(text, "");
    free(text);
    text = render(&registry, 1, EXTATUS_FORMAT_OPENMETRICS, 0);
    assert_string_equal(text, "# EOF\n");
    free(text);
    extatus_registry_free(registry);
}

/* The output is appended to what the buffer already holds. */
static void test_appends(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("append");
    static const extatus_value v[] = {FAKE_INT(5), FAKE_UNDEFINED, FAKE_UNDEFINED};
    make_family(registry, "g", "fake_gauge", "G.", NULL, NULL, 0, v);
    char memory[256];
    extatus_buf buf;
    extatus_buf_fixed(&buf, memory, sizeof(memory));
    assert_ok(extatus_expose(&buf, &registry, 1, NULL));
    assert_ok(extatus_expose(&buf, &registry, 1, NULL));
    assert_string_equal(memory, "# HELP g G.\n# TYPE g gauge\ng 5\n"
                                "# HELP g G.\n# TYPE g gauge\ng 5\n");
    assert_int_equal(buf.size, strlen(memory));
    extatus_registry_free(registry);
}

/*
 * A fixed buffer too small: EXTATUS_ERR_NOSPACE, `size` is the full
 * length, and the content is the NUL-terminated prefix that fits.
 */
static void test_fixed_buffer_too_small(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("fixed");
    static const char *const labels[] = {"path"};
    extatus_family *duration =
        make_family(registry, "d_seconds", "fake_histogram", "D.", NULL, labels, 1, NULL);
    static const extatus_value values[] = {FAKE_INT(1), FAKE_INT(2),         FAKE_INT(3),
                                           FAKE_INT(4), FAKE_INT(5),         FAKE_DOUBLE(0.25),
                                           FAKE_INT(5), FAKE_INT(1700000000)};
    set_series(duration, EXTATUS_LABELS("/a"), values);
    set_series(duration, EXTATUS_LABELS("/b"), values);
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    options.format = EXTATUS_FORMAT_OPENMETRICS;
    char *full = render(&registry, 1, EXTATUS_FORMAT_OPENMETRICS, 0);
    size_t length = strlen(full);

    static const size_t capacities[] = {1, 2, 17, 100, 250};
    for (size_t i = 0; i < sizeof(capacities) / sizeof(capacities[0]); i++) {
        size_t capacity = capacities[i];
        assert_true(capacity <= length);
        char *memory = malloc(capacity + 8);
        memset(memory, 'X', capacity + 8);
        extatus_buf buf;
        extatus_buf_fixed(&buf, memory, capacity);
        assert_extatus(EXTATUS_ERR_NOSPACE, extatus_expose(&buf, &registry, 1, &options));
        assert_int_equal(buf.size, length);
        assert_int_equal(strlen(memory), capacity - 1);
        assert_memory_equal(memory, full, capacity - 1);
        assert_int_equal(memory[capacity], 'X'); /* nothing written past the end */
        free(memory);
    }
    /* Exactly the needed size plus the NUL fits. */
    char *memory = malloc(length + 1);
    extatus_buf buf;
    extatus_buf_fixed(&buf, memory, length + 1);
    assert_ok(extatus_expose(&buf, &registry, 1, &options));
    assert_string_equal(memory, full);
    free(memory);
    free(full);
    extatus_registry_free(registry);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    extatus_buf buf = EXTATUS_BUF_INIT;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_expose(NULL, NULL, 0, NULL));
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    options.version = 99;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_expose(&buf, NULL, 0, &options));
    options.version = EXTATUS_EXPOSE_OPTIONS_VERSION;
    options.format = (extatus_format)7;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_expose(&buf, NULL, 0, &options));
    assert_int_equal(buf.size, 0);
    extatus_buf_dispose(&buf);
}

/* NULL or no registries: the default registry. */
static void test_default_registry(void **state)
{
    (void)state;
    static const extatus_value v[] = {FAKE_INT(11), FAKE_UNDEFINED, FAKE_UNDEFINED};
    extatus_family *family =
        make_family(NULL, "default_registry_gauge", "fake_gauge", "In default.", NULL, NULL, 0, v);
    char *text = render(NULL, 0, EXTATUS_FORMAT_TEXT, 0);
    assert_non_null(strstr(text, "\ndefault_registry_gauge 11\n"));
    free(text);
    extatus_registry *none = NULL;
    text = render(&none, 1, EXTATUS_FORMAT_TEXT, 0);
    assert_non_null(strstr(text, "\ndefault_registry_gauge 11\n"));
    free(text);
    assert_ok(extatus_family_unregister(family));
}

/*
 * Registries exposed together: a family whose names clash with a family
 * written from an earlier registry is left out (the whole family) and
 * counted in extatus_expose_skipped_families_total of the default
 * registry; a skipped family takes no name from later registries.
 */
static double skipped_families(void)
{
    char *text = render(NULL, 0, EXTATUS_FORMAT_TEXT, 0);
    const char *line = strstr(text, "\nextatus_expose_skipped_families_total ");
    double value =
        line ? strtod(line + strlen("\nextatus_expose_skipped_families_total "), NULL) : 0;
    free(text);
    return value;
}

static void test_clash_across_registries(void **state)
{
    (void)state;
    extatus_registry *registries[3] = {new_registry("clash_a"), new_registry("clash_b"),
                                       new_registry("clash_c")};
    static const extatus_value one[] = {FAKE_INT(1), FAKE_UNDEFINED, FAKE_UNDEFINED};
    static const extatus_value two[] = {FAKE_INT(2), FAKE_UNDEFINED, FAKE_UNDEFINED};
    static const extatus_value three[] = {FAKE_INT(3), FAKE_UNDEFINED, FAKE_UNDEFINED};
    extatus_counter *jobs = NULL;
    extatus_histogram *latency = NULL;
    assert_ok(extatus_counter_new(&jobs, registries[0], "jobs", "Jobs."));
    assert_ok(extatus_histogram_new(&latency, registries[0], "latency", "Latency.", NULL, 0));
    make_family(registries[0], "y", "fake_gauge", "Y.", NULL, NULL, 0, one);
    make_family(registries[1], "jobs_total", "fake_gauge", "Clashes with counter jobs.", NULL, NULL,
                0, two);
    make_family(registries[1], "latency_count", "fake_gauge", "Clashes with latency.", NULL, NULL,
                0, two);
    make_family(registries[1], "queue", "fake_gauge", "No clash.", NULL, NULL, 0, two);
    make_family(registries[1], "y_total", "fake_counter", "Clashes with gauge y.", NULL, NULL, 0,
                two);
    make_family(registries[2], "queue_total", "fake_counter", "Clashes with gauge queue.", NULL,
                NULL, 0, three);
    make_family(registries[2], "y_total", "fake_gauge", "Clashes only with a skipped family.", NULL,
                NULL, 0, three);
    for (int format = 0; format < 2; format++) {
        double before = skipped_families();
        char *text =
            render(registries, 3, format ? EXTATUS_FORMAT_OPENMETRICS : EXTATUS_FORMAT_TEXT, 0);
        assert_non_null(strstr(text, "\njobs_total 0\n"));
        assert_null(strstr(text, "jobs_total 2"));
        assert_non_null(strstr(text, "\nlatency_count 0\n"));
        assert_null(strstr(text, "latency_count 2"));
        assert_non_null(strstr(text, "\nqueue 2\n"));
        assert_null(strstr(text, "queue_total"));
        assert_non_null(strstr(text, "\ny 1\n"));
        assert_non_null(strstr(text, "\ny_total 3\n"));
        assert_null(strstr(text, "y_total 2"));
        free(text);
        assert_true(skipped_families() == before + 4);
    }
    for (size_t i = 0; i < 3; i++)
        extatus_registry_free(registries[i]);
}

/*
 * 100,000 labelled counters of the built-in type render completely, in
 * creation order, into a reused buffer (speed is measured in bench/).
 */
static void test_many_counters(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("perf");
    static const char *const labels[] = {"worker", "shard"};
    extatus_option options[] = {EXTATUS_OPT_STRING("help", "Work done."),
                                EXTATUS_OPT_STRINGS("labels", labels, 2)};
    extatus_family *family = NULL;
    extatus_option family_options[3] = {options[0], options[1],
                                        EXTATUS_OPT_NUMBER("max_series", 200000)};
    assert_ok(extatus_family_new(&family, registry, "work_total", "counter", family_options, 3));
    for (int i = 0; i < 100000; i++) {
        char worker[16], shard[16];
        snprintf(worker, sizeof(worker), "w%d", i / 100);
        snprintf(shard, sizeof(shard), "%d", i % 100);
        extatus_counter *counter = NULL;
        assert_ok(extatus_counter_get(&counter, family, EXTATUS_LABELS(worker, shard)));
        extatus_counter_add(counter, (uint64_t)i);
    }
    extatus_buf buf = EXTATUS_BUF_INIT;
    for (int round = 0; round < 2; round++) {
        buf.size = 0; /* the second round reuses the grown buffer */
        assert_ok(extatus_expose(&buf, &registry, 1, NULL));
    }
    assert_int_equal(strlen(buf.ptr), buf.size);
    size_t lines = 0;
    for (const char *p = buf.ptr; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    assert_int_equal(lines, 100000 + 2); /* HELP, TYPE, one line per series */
    assert_non_null(strstr(buf.ptr, "\nwork_total{worker=\"w0\",shard=\"0\"} 0\n"));
    assert_non_null(strstr(buf.ptr, "\nwork_total{worker=\"w999\",shard=\"99\"} 99999\n"));
    assert_true(strstr(buf.ptr, "shard=\"1\"} 1\n") < strstr(buf.ptr, "shard=\"2\"} 2\n"));
    extatus_buf_dispose(&buf);
    extatus_registry_free(registry);
}

/*
 * OpenMetrics treats a summary's or histogram's _sum as a counter value and
 * wants a histogram's _count only beside its _sum: in OpenMetrics a NaN or
 * negative sum is left out, with the histogram's _count; a negative
 * quantile value is left out. Text 0.0.4 writes everything.
 */
static void test_negative_sum_only_in_text(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("negative_sum");
    extatus_summary *summary = NULL;
    extatus_histogram *nan_histogram = NULL;
    extatus_histogram *negative_histogram = NULL;
    extatus_histogram *minus_inf_histogram = NULL;
    extatus_histogram *plus_inf_histogram = NULL;
    const double bounds[] = {1, 2};
    const double quantiles[] = {0.5};
    assert_ok(extatus_summary_new(&summary, registry, "delta", "Changes.", quantiles, 1));
    assert_ok(extatus_histogram_new(&nan_histogram, registry, "ratio", "Ratios.", bounds, 2));
    assert_ok(extatus_histogram_new(&negative_histogram, registry, "shift", "Shifts.", bounds, 2));
    assert_ok(extatus_histogram_new(&minus_inf_histogram, registry, "low", "Lows.", bounds, 2));
    assert_ok(extatus_histogram_new(&plus_inf_histogram, registry, "high", "Highs.", bounds, 2));
    extatus_summary_observe(summary, -3);
    extatus_histogram_observe(nan_histogram, NAN);
    extatus_histogram_observe(negative_histogram, -0.5);
    extatus_histogram_observe(minus_inf_histogram, -INFINITY);
    extatus_histogram_observe(plus_inf_histogram, INFINITY);
    char *text = render(&registry, 1, EXTATUS_FORMAT_TEXT, 0);
    assert_non_null(strstr(text, "\ndelta{quantile=\"0.5\"} -3")); /* approximated */
    assert_non_null(strstr(text, "\ndelta_sum -3\n"));
    assert_non_null(strstr(text, "\nratio_sum NaN\nratio_count 1\n"));
    assert_non_null(strstr(text, "\nshift_sum -0.5\nshift_count 1\n"));
    assert_non_null(strstr(text, "\nlow_sum -Inf\nlow_count 1\n"));
    assert_non_null(strstr(text, "\nhigh_sum +Inf\nhigh_count 1\n"));
    free(text);
    text = render(&registry, 1, EXTATUS_FORMAT_OPENMETRICS, 1);
    assert_null(strstr(text, "delta{"));
    assert_null(strstr(text, "delta_sum"));
    assert_non_null(strstr(text, "\ndelta_count 1\n"));
    for (size_t i = 0; i < 3; i++) {
        static const char *const names[] = {"ratio", "shift", "low"};
        char sum[32], count[32], inf[64];
        snprintf(sum, sizeof sum, "%s_sum", names[i]);
        snprintf(count, sizeof count, "%s_count", names[i]);
        snprintf(inf, sizeof inf, "\n%s_bucket{le=\"+Inf\"} 1\n", names[i]);
        assert_null(strstr(text, sum));
        assert_null(strstr(text, count));
        assert_non_null(strstr(text, inf));
    }
    assert_non_null(strstr(text, "\nhigh_sum +Inf\nhigh_count 1\n"));
    free(text);
    extatus_registry_free(registry);
}

/* A function counter's NaN or negative value leaves its series out of OpenMetrics only. */
static int give_value(double *value, const char *const *label_values, void *user_data)
{
    (void)label_values;
    *value = *(const double *)user_data;
    return 0;
}

static void test_bad_counter_value_only_in_text(void **state)
{
    (void)state;
    extatus_registry *registry = new_registry("bad_counter");
    static const double nan_value = NAN;
    static const double negative_value = -1.5;
    static const double good_value = 2.5;
    assert_ok(extatus_function_counter_new(registry, "nan_things", "NaN.", give_value,
                                           (void *)(uintptr_t)&nan_value));
    assert_ok(extatus_function_counter_new(registry, "negative_things", "Negative.", give_value,
                                           (void *)(uintptr_t)&negative_value));
    assert_ok(extatus_function_counter_new(registry, "good_things", "Good.", give_value,
                                           (void *)(uintptr_t)&good_value));
    char *text = render(&registry, 1, EXTATUS_FORMAT_TEXT, 0);
    assert_non_null(strstr(text, "\nnan_things_total NaN\n"));
    assert_non_null(strstr(text, "\nnegative_things_total -1.5\n"));
    free(text);
    text = render(&registry, 1, EXTATUS_FORMAT_OPENMETRICS, 1);
    assert_null(strstr(text, "nan_things_total"));
    assert_null(strstr(text, "negative_things_total"));
    assert_non_null(strstr(text, "# TYPE nan_things counter\n"));
    assert_non_null(strstr(text, "\ngood_things_total 2.5\n"));
    free(text);
    extatus_registry_free(registry);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_types),
        cmocka_unit_test(test_counter),
        cmocka_unit_test(test_gauge),
        cmocka_unit_test(test_untyped),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_builtin),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_appends),
        cmocka_unit_test(test_fixed_buffer_too_small),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_default_registry),
        cmocka_unit_test(test_many_counters),
        cmocka_unit_test(test_negative_sum_only_in_text),
        cmocka_unit_test(test_clash_across_registries),
        cmocka_unit_test(test_bad_counter_value_only_in_text),
    };
    int failed = cmocka_run_group_tests_name("expose/expose", tests, setup, NULL);
    extatus_shutdown();
    return failed;
}
