/*
 * render_test.c - one scrape through extatus_scrape_render()
 * (src/http/render.c, src/http/gzip.c): format and Content-Type by
 * Accept, gzip by Accept-Encoding checked with zlib (an independent
 * decoder), the self-metrics, the options, and every allocation failed in
 * turn.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define OM_TYPE   "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define PROMETHEUS_ACCEPT                                                                          \
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"       \
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

static int setup(void **state)
{
    extatus_family *family;
    extatus_counter *counter;
    const char *labels[] = {"path"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Requests."),
        EXTATUS_OPT_STRINGS("labels", labels, 1),
    };
    char value[32];
    const char *values[] = {value};
    (void)state;

    /* Renders are compared byte for byte: no process collector, whose values move. */
    if (extatus_process_collector_set_default(0) != EXTATUS_OK)
        return -1;
    if (extatus_family_new(&family, NULL, "app_requests_total", "counter", options, 2) !=
        EXTATUS_OK)
        return -1;
    /* Enough series for gzip to have something to work on. */
    for (int i = 0; i < 300; i++) {
        snprintf(value, sizeof value, "/api/v1/item/%d", i);
        if (extatus_counter_get(&counter, family, extatus_labels_of(values, 1)) != EXTATUS_OK)
            return -1;
        extatus_counter_add(counter, (uint64_t)i * 7);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

/* Inflate a gzip member with zlib; returns a malloc'd NUL-terminated text. */
static char *gunzip(const char *data, size_t size, size_t *out_size)
{
    z_stream z;
    size_t capacity = size * 20 + 1024;
    char *out = malloc(capacity);
    int rc;

    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)size;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)(capacity - 1);
    rc = inflate(&z, Z_FINISH);
    assert_int_equal(rc, Z_STREAM_END);
    assert_int_equal(z.avail_in, 0); /* one member, nothing after it */
    *out_size = z.total_out;
    out[z.total_out] = '\0';
    inflateEnd(&z);
    return out;
}

static void test_text_by_default(void **state)
{
    extatus_scrape_options options = EXTATUS_SCRAPE_OPTIONS_INIT;
    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;
    extatus_buf expected = EXTATUS_BUF_INIT;
    (void)state;

    options.no_self_metrics = 1;
    assert_ok(extatus_scrape_render(&scrape, NULL, NULL, &options));
    assert_string_equal(scrape.content_type, TEXT_TYPE);
    assert_null(scrape.content_encoding);
    assert_int_equal(scrape.format, EXTATUS_FORMAT_TEXT);
    assert_ok(extatus_expose(&expected, NULL, 0, NULL));
    assert_int_equal(scrape.body.size, expected.size);
    assert_int_equal(scrape.uncompressed_size, expected.size);
    assert_memory_equal(scrape.body.ptr, expected.ptr, expected.size);
    extatus_buf_dispose(&expected);
    extatus_scrape_dispose(&scrape);
    assert_null(scrape.body.ptr);
    extatus_scrape_dispose(&scrape); /* twice is harmless */
    extatus_scrape_dispose(NULL);
}

static void test_openmetrics_by_accept(void **state)
{
    extatus_scrape_options options = EXTATUS_SCRAPE_OPTIONS_INIT;
    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;
    (void)state;

    options.no_self_metrics = 1;
    assert_ok(extatus_scrape_render(&scrape, PROMETHEUS_ACCEPT, NULL, &options));
    assert_string_equal(scrape.content_type, OM_TYPE);
    assert_int_equal(scrape.format, EXTATUS_FORMAT_OPENMETRICS);
    assert_true(scrape.body.size > 6);
    assert_string_equal(scrape.body.ptr + scrape.body.size - 6, "# EOF\n");
    extatus_scrape_dispose(&scrape);

    options.force_text = 1;
    assert_ok(extatus_scrape_render(&scrape, PROMETHEUS_ACCEPT, NULL, &options));
    assert_string_equal(scrape.content_type, TEXT_TYPE);
    extatus_scrape_dispose(&scrape);
}

static void test_gzip(void **state)
{
    static const int levels[] = {0, 1, 6, 12};
    extatus_scrape_options options = EXTATUS_SCRAPE_OPTIONS_INIT;
    extatus_scrape plain = EXTATUS_SCRAPE_INIT;
    (void)state;

    options.no_self_metrics = 1;
    assert_ok(extatus_scrape_render(&plain, PROMETHEUS_ACCEPT, NULL, &options));
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        extatus_scrape zipped = EXTATUS_SCRAPE_INIT;
        size_t size;
        char *text;

        options.gzip_level = levels[i];
        assert_ok(extatus_scrape_render(&zipped, PROMETHEUS_ACCEPT, "gzip, deflate", &options));
        assert_string_equal(zipped.content_encoding, "gzip");
        assert_string_equal(zipped.content_type, OM_TYPE);
        assert_int_equal(zipped.uncompressed_size, plain.body.size);
        assert_true(zipped.body.size < plain.body.size / 4);
        text = gunzip(zipped.body.ptr, zipped.body.size, &size);
        assert_int_equal(size, plain.body.size);
        assert_memory_equal(text, plain.body.ptr, size);
        free(text);
        extatus_scrape_dispose(&zipped);
    }
    extatus_scrape_dispose(&plain);

    /* Not accepted, or switched off: identity. */
    options.gzip_level = 0;
    assert_ok(extatus_scrape_render(&plain, NULL, "gzip;q=0, identity", &options));
    assert_null(plain.content_encoding);
    extatus_scrape_dispose(&plain);
    options.no_gzip = 1;
    assert_ok(extatus_scrape_render(&plain, NULL, "gzip", &options));
    assert_null(plain.content_encoding);
    assert_non_null(strstr(plain.body.ptr, "app_requests_total{path=\"/api/v1/item/3\"} 21\n"));
    extatus_scrape_dispose(&plain);
}

/* The value of the sample whose line starts with `prefix`, or -1. */
static double sample(const char *text, const char *prefix)
{
    const char *line = strstr(text, prefix);
    if (!line)
        return -1;
    return strtod(line + strlen(prefix), NULL);
}

static void test_self_metrics(void **state)
{
    extatus_registry *other;
    extatus_registry *both[2];
    extatus_scrape_options options = EXTATUS_SCRAPE_OPTIONS_INIT;
    extatus_scrape first = EXTATUS_SCRAPE_INIT;
    extatus_scrape second = EXTATUS_SCRAPE_INIT;
    (void)state;

    assert_ok(extatus_registry_new(&other, "other", NULL));
    options.registries = &other;
    options.registry_count = 1;
    assert_ok(extatus_scrape_render(&first, NULL, NULL, &options));
    /* The families exist from the first scrape on, in the rendered registry. */
    assert_non_null(strstr(first.body.ptr, "# TYPE extatus_scrape_duration_seconds summary\n"));
    assert_non_null(strstr(first.body.ptr, "# TYPE extatus_scrape_size_bytes summary\n"));
    assert_null(strstr(first.body.ptr, "app_requests_total"));
    assert_ok(extatus_scrape_render(&second, PROMETHEUS_ACCEPT, "gzip", &options));
    extatus_scrape_dispose(&second);
    options.no_gzip = 1;
    assert_ok(extatus_scrape_render(&second, NULL, NULL, &options));

    /* One text scrape and one OpenMetrics scrape were observed before `second`. */
    assert_true(sample(second.body.ptr, "extatus_scrape_duration_seconds_count{registry=\"other\","
                                        "content_type=\"" TEXT_TYPE "\"} ") == 1);
    assert_true(sample(second.body.ptr,
                       "extatus_scrape_size_bytes_sum{registry=\"other\","
                       "content_type=\"" TEXT_TYPE "\"} ") == (double)first.uncompressed_size);
    assert_true(sample(second.body.ptr, "extatus_scrape_size_bytes_count{registry=\"other\","
                                        "content_type=\"" OM_TYPE "\"} ") == 1);
    double duration = sample(second.body.ptr, "extatus_scrape_duration_seconds_sum{registry="
                                              "\"other\",content_type=\"" TEXT_TYPE "\"} ");
    assert_true(duration > 0 && duration < 5);
    extatus_scrape_dispose(&first);
    extatus_scrape_dispose(&second);

    /* Two registries: the label names both; self_registry chooses where they go. */
    both[0] = NULL;
    both[1] = other;
    options.registries = both;
    options.registry_count = 2;
    options.self_registry = other;
    assert_ok(extatus_scrape_render(&first, NULL, NULL, &options));
    assert_ok(extatus_scrape_render(&second, NULL, NULL, &options));
    assert_true(sample(second.body.ptr, "extatus_scrape_size_bytes_count{registry="
                                        "\"default,other\",content_type=\"" TEXT_TYPE "\"} ") == 1);
    assert_non_null(strstr(second.body.ptr, "app_requests_total"));
    extatus_scrape_dispose(&first);
    extatus_scrape_dispose(&second);

    /* no_self_metrics observes nothing. */
    options.no_self_metrics = 1;
    options.registries = &other;
    options.registry_count = 1;
    options.self_registry = NULL;
    assert_ok(extatus_scrape_render(&first, NULL, NULL, &options));
    assert_ok(extatus_scrape_render(&second, NULL, NULL, &options));
    assert_true(sample(first.body.ptr, "extatus_scrape_size_bytes_count{registry=\"other\","
                                       "content_type=\"" TEXT_TYPE "\"} ") ==
                sample(second.body.ptr, "extatus_scrape_size_bytes_count{registry=\"other\","
                                        "content_type=\"" TEXT_TYPE "\"} "));
    extatus_scrape_dispose(&first);
    extatus_scrape_dispose(&second);
    extatus_registry_free(other);
}

/* A family of that name defined differently by the program: the scrape goes on without it. */
static void test_self_metric_name_taken(void **state)
{
    extatus_registry *registry;
    extatus_gauge *gauge;
    extatus_scrape_options options = EXTATUS_SCRAPE_OPTIONS_INIT;
    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;
    (void)state;

    assert_ok(extatus_registry_new(&registry, "taken", NULL));
    assert_ok(
        extatus_gauge_new(&gauge, registry, "extatus_scrape_size_bytes", "The program's own."));
    extatus_gauge_set(gauge, 3);
    options.registries = &registry;
    options.registry_count = 1;
    /*
     * The scrape succeeds, so it leaves no error message: not from looking
     * up the self-metrics the fresh registry lacks, nor from the one taken.
     */
    extatus_error_clear();
    assert_ok(extatus_scrape_render(&scrape, NULL, NULL, &options));
    extatus_scrape_dispose(&scrape);
    assert_string_equal(extatus_error_last(), "");
    assert_int_equal(extatus_error_last_code(), EXTATUS_OK);
    assert_ok(extatus_scrape_render(&scrape, NULL, NULL, &options));
    assert_string_equal(extatus_error_last(), "");
    assert_non_null(strstr(scrape.body.ptr, "\nextatus_scrape_size_bytes 3\n"));
    assert_non_null(strstr(scrape.body.ptr, "extatus_scrape_duration_seconds_count{"));
    extatus_scrape_dispose(&scrape);
    extatus_registry_free(registry);
}

static void test_bad_options(void **state)
{
    extatus_scrape_options options = EXTATUS_SCRAPE_OPTIONS_INIT;
    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;
    (void)state;

    assert_extatus(EXTATUS_ERR_INVALID, extatus_scrape_render(NULL, NULL, NULL, NULL));
    options.version = 0;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_scrape_render(&scrape, NULL, NULL, &options));
    options.version = EXTATUS_SCRAPE_OPTIONS_VERSION + 1;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_scrape_render(&scrape, NULL, NULL, &options));
    options.version = EXTATUS_SCRAPE_OPTIONS_VERSION;
    options.gzip_level = 13;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_scrape_render(&scrape, NULL, "gzip", &options));
    assert_non_null(strstr(extatus_error_last(), "13"));
    options.gzip_level = -1;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_scrape_render(&scrape, NULL, "gzip", &options));
    assert_null(scrape.body.ptr);
    /* NULL options: the defaults. */
    assert_ok(extatus_scrape_render(&scrape, NULL, NULL, NULL));
    assert_string_equal(scrape.content_type, TEXT_TYPE);
    extatus_scrape_dispose(&scrape);
}

/* Every allocation of a gzip scrape failed in turn: an error, no leak, never a crash. */
static void test_allocation_failures(void **state)
{
    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;
    unsigned long nth;
    (void)state;

    /* Warm up: the self-metric families and series exist. */
    assert_ok(extatus_scrape_render(&scrape, NULL, "gzip", NULL));
    extatus_scrape_dispose(&scrape);
    for (nth = 1; nth < 10000; nth++) {
        long live = test_alloc_live();
        int rc;
        unsigned long before = test_alloc_count();
        test_alloc_fail_at(before + nth); /* counts from the installation on */
        rc = extatus_scrape_render(&scrape, NULL, "gzip", NULL);
        unsigned long attempts = test_alloc_count() - before;
        test_alloc_fail_at(0);
        if (rc == EXTATUS_OK) {
            extatus_scrape_dispose(&scrape);
            assert_int_equal(test_alloc_live(), live);
            if (attempts < nth)
                break; /* the nth allocation was never made: every one has been failed */
            continue;
        }
        assert_int_equal(rc, EXTATUS_ERR_NOMEM);
        assert_null(scrape.body.ptr);
        assert_int_equal(test_alloc_live(), live);
    }
    assert_true(nth > 1);
    assert_true(nth < 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_by_default),
        cmocka_unit_test(test_openmetrics_by_accept),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_self_metrics),
        cmocka_unit_test(test_self_metric_name_taken),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_allocation_failures),
    };
    test_alloc_install();
    return cmocka_run_group_tests_name("http/render", tests, setup, teardown);
}
