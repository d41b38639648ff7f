/*
 * family_test.c - families and series: validation, identity, limits,
 * removal (src/core/family.c); label values carry their count
 * (extatus/labels.h): every call that takes label values refuses a count
 * that does not match the family with EXTATUS_ERR_LABEL, names the family
 * and both counts, and changes nothing (also src/core/metric.c and
 * src/probe/probe.c).
 */
#include "test_support.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extatus/sys/entry.h"

static int setup(void **state)
{
    (void)state;
    /* These tests count the default registry's families: start it empty. */
    if (extatus_process_collector_set_default(0) != EXTATUS_OK)
        return -1;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

typedef struct name_case {
    const char *name;
    int expected;
} name_case;

static void test_metric_names(void **state)
{
    static const name_case cases[] = {
        {"http_requests_total", EXTATUS_OK}, {"_private", EXTATUS_OK},
        {":colon:start", EXTATUS_OK},        {"a1_b2:c3", EXTATUS_OK},
        {"9lives", EXTATUS_ERR_NAME},        {"", EXTATUS_ERR_NAME},
        {"has-dash", EXTATUS_ERR_NAME},      {"has space", EXTATUS_ERR_NAME},
        {"caf\xc3\xa9", EXTATUS_ERR_NAME},   {"dot.name", EXTATUS_ERR_NAME},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = extatus_new(NULL, cases[i].name, "gauge", NULL, 0);
        if (rc != cases[i].expected)
            print_error("name '%s': got %d\n", cases[i].name, rc);
        assert_int_equal(rc, cases[i].expected);
        if (rc != EXTATUS_OK)
            assert_non_null(strstr(extatus_error_last(), cases[i].name));
    }
}

typedef struct label_case {
    const char *type;
    const char *labels[3];
    size_t count;
    int expected;
    const char *mentioned; /* must appear in the error message */
} label_case;

static void test_label_names(void **state)
{
    static const label_case cases[] = {
        {"counter", {"method", "code"}, 2, EXTATUS_OK, NULL},
        {"counter", {"_x"}, 1, EXTATUS_OK, NULL},
        {"counter", {"__reserved"}, 1, EXTATUS_ERR_LABEL, "__reserved"},
        {"counter", {"1abc"}, 1, EXTATUS_ERR_LABEL, "1abc"},
        {"counter", {"a:b"}, 1, EXTATUS_ERR_LABEL, "a:b"},
        {"counter", {"dup", "dup"}, 2, EXTATUS_ERR_LABEL, "dup"},
        {"counter", {"le"}, 1, EXTATUS_OK, NULL},
        {"counter", {"quantile"}, 1, EXTATUS_OK, NULL},
        {"histogram", {"le"}, 1, EXTATUS_ERR_LABEL, "le"},
        {"summary", {"quantile"}, 1, EXTATUS_ERR_LABEL, "quantile"},
        {"histogram", {"quantile"}, 1, EXTATUS_OK, NULL},
        {"summary", {"le"}, 1, EXTATUS_OK, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "label_case_%zu", i);
        if (extatus_type_lookup(cases[i].type, NULL) != EXTATUS_OK)
            fail_msg("type %s is not registered", cases[i].type);
        extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", cases[i].labels, cases[i].count)};
        int rc = extatus_new(NULL, name, cases[i].type, options, 1);
        if (rc != cases[i].expected)
            print_error("case %zu: got %d (%s)\n", i, rc, extatus_error_last());
        assert_int_equal(rc, cases[i].expected);
        if (cases[i].mentioned)
            assert_non_null(strstr(extatus_error_last(), cases[i].mentioned));
    }
}

static void test_label_values(void **state)
{
    const char *labels[] = {"path", "code"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 2)};
    extatus_family *family;
    extatus_series *series;
    (void)state;
    assert_ok(extatus_family_new(&family, NULL, "requests_total", "counter", options, 1));

    const char *good[] = {"/caf\xc3\xa9", "200"};
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(good, 2)));
    const char *const *values = extatus_series_label_values(series);
    assert_string_equal(values[0], "/caf\xc3\xa9");
    assert_string_equal(values[1], "200");

    static const char *const bad_values[][2] = {
        {"\xc3", "200"},             /* truncated sequence */
        {"\xc0\xaf", "200"},         /* overlong '/' */
        {"\xed\xa0\x80", "200"},     /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", "200"}, /* above U+10FFFF */
        {"ok", "\xff"},              /* never valid */
    };
    for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
        assert_extatus(EXTATUS_ERR_LABEL,
                       extatus_family_series(&series, family, extatus_labels_of(bad_values[i], 2)));
        assert_non_null(strstr(extatus_error_last(), "UTF-8"));
        assert_non_null(strstr(extatus_error_last(), i == 4 ? "'code'" : "'path'"));
    }
    /* A carriage return is a character like any other in a label value. */
    const char *carriage_return[] = {"a\rb", "200"};
    assert_extatus(EXTATUS_OK,
                   extatus_family_series(&series, family, extatus_labels_of(carriage_return, 2)));
    assert_string_equal(extatus_series_label_values(series)[0], "a\rb");
    const char *null_value[] = {"x", NULL};
    assert_extatus(EXTATUS_ERR_LABEL,
                   extatus_family_series(&series, family, extatus_labels_of(null_value, 2)));
    assert_extatus(EXTATUS_ERR_LABEL, extatus_family_series(&series, family, EXTATUS_NO_LABELS));
    /* Nothing bad was added. */
    assert_int_equal(extatus_family_series_count(family), 2);
}

static void test_same_series_same_handle(void **state)
{
    const char *labels[] = {"a", "b"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 2)};
    extatus_family *family;
    extatus_series *first, *again, *other;
    (void)state;
    assert_ok(extatus_family_new(&family, NULL, "pairs", "gauge", options, 1));
    const char *v1[] = {"x", "yz"};
    const char *v2[] = {"xy", "z"}; /* same bytes concatenated: must differ */
    assert_ok(extatus_family_series(&first, family, extatus_labels_of(v1, 2)));
    assert_ok(extatus_family_series(&other, family, extatus_labels_of(v2, 2)));
    assert_ptr_not_equal(first, other);
    char copy0[] = "x", copy1[] = "yz";
    const char *v1_copy[] = {copy0, copy1};
    assert_ok(extatus_family_series(&again, family, extatus_labels_of(v1_copy, 2)));
    assert_ptr_equal(first, again);
    assert_int_equal(extatus_family_series_count(family), 2);
}

static void test_lookup_allocates_nothing(void **state)
{
    (void)state;
    extatus_shutdown();
    test_alloc_install();
    const char *labels[] = {"k"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
    extatus_family *family;
    extatus_series *series, *again;
    assert_ok(extatus_family_new(&family, NULL, "lookups", "counter", options, 1));
    const char *values[] = {"v"};
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(values, 1)));
    unsigned long before = test_alloc_count();
    for (int i = 0; i < 1000; i++)
        assert_ok(extatus_family_series(&again, family, extatus_labels_of(values, 1)));
    assert_int_equal(test_alloc_count(), before);
    assert_ptr_equal(series, again);
    extatus_shutdown();
    assert_int_equal(test_alloc_live(), 0);
    extatus_set_allocator(NULL);
}

static void test_duplicate_registration(void **state)
{
    const char *ab[] = {"a", "b"};
    const char *ba[] = {"b", "a"};
    extatus_option with_ab[] = {EXTATUS_OPT_STRINGS("labels", ab, 2),
                                EXTATUS_OPT_STRING("help", "first")};
    extatus_option with_ba[] = {EXTATUS_OPT_STRINGS("labels", ba, 2)};
    extatus_family *first, *second;
    (void)state;
    assert_ok(extatus_family_new(&first, NULL, "dup_metric", "counter", with_ab, 2));
    /* Identical definition: the same family comes back. */
    assert_ok(extatus_family_new(&second, NULL, "dup_metric", "counter", with_ab, 1));
    assert_ptr_equal(first, second);
    assert_extatus(EXTATUS_ERR_EXISTS,
                   extatus_family_new(&second, NULL, "dup_metric", "gauge", with_ab, 1));
    assert_non_null(strstr(extatus_error_last(), "'counter'"));
    assert_extatus(EXTATUS_ERR_EXISTS,
                   extatus_family_new(&second, NULL, "dup_metric", "counter", with_ba, 1));
    assert_non_null(strstr(extatus_error_last(), "label"));
    assert_extatus(EXTATUS_ERR_EXISTS,
                   extatus_family_new(&second, NULL, "dup_metric", "counter", NULL, 0));
    assert_int_equal(extatus_registry_family_count(NULL), 1);
}

static void test_series_limit(void **state)
{
    const char *labels[] = {"id"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1),
                                EXTATUS_OPT_NUMBER("max_series", 3)};
    extatus_family *family;
    extatus_series *series;
    (void)state;
    assert_ok(extatus_family_new(&family, NULL, "limited", "counter", options, 2));
    const char *ids[] = {"1", "2", "3", "4"};
    for (int i = 0; i < 3; i++)
        assert_ok(extatus_family_series(&series, family, extatus_labels_of(&ids[i], 1)));
    assert_extatus(EXTATUS_ERR_LIMIT,
                   extatus_family_series(&series, family, extatus_labels_of(&ids[3], 1)));
    assert_non_null(strstr(extatus_error_last(), "limited"));
    assert_non_null(strstr(extatus_error_last(), "3"));
    /* Existing series are still found; removing one makes room. */
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(&ids[0], 1)));
    assert_ok(extatus_family_remove(family, extatus_labels_of(&ids[0], 1)));
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(&ids[3], 1)));
    assert_int_equal(extatus_family_series_count(family), 3);

    extatus_option bad[] = {EXTATUS_OPT_NUMBER("max_series", 0)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "limited_bad", "counter", bad, 1));
    extatus_option fractional[] = {EXTATUS_OPT_NUMBER("max_series", 2.5)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "limited_bad", "counter", fractional, 1));
}

static void test_default_series_limit(void **state)
{
    extatus_registry *registry;
    extatus_registry_options options = EXTATUS_REGISTRY_OPTIONS_INIT;
    const char *labels[] = {"id"};
    extatus_option family_options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
    extatus_family *family;
    extatus_series *series;
    (void)state;
    options.max_series_per_family = 2;
    assert_ok(extatus_registry_new(&registry, "small", &options));
    assert_ok(extatus_family_new(&family, registry, "capped", "gauge", family_options, 1));
    const char *ids[] = {"a", "b", "c"};
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(&ids[0], 1)));
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(&ids[1], 1)));
    assert_extatus(EXTATUS_ERR_LIMIT,
                   extatus_family_series(&series, family, extatus_labels_of(&ids[2], 1)));
    extatus_registry_free(registry);
}

static void test_remove_clear_unregister(void **state)
{
    const char *labels[] = {"id"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
    extatus_family *family, *found;
    extatus_series *series;
    (void)state;
    assert_ok(extatus_family_new(&family, NULL, "churn", "counter", options, 1));
    char id[16];
    for (int i = 0; i < 500; i++) {
        const char *values[] = {id};
        snprintf(id, sizeof(id), "%d", i);
        assert_ok(extatus_family_series(&series, family, extatus_labels_of(values, 1)));
    }
    /* Remove every other one, then check the rest are all still found. */
    for (int i = 0; i < 500; i += 2) {
        const char *values[] = {id};
        snprintf(id, sizeof(id), "%d", i);
        assert_ok(extatus_family_remove(family, extatus_labels_of(values, 1)));
        assert_extatus(EXTATUS_ERR_NOT_FOUND,
                       extatus_family_remove(family, extatus_labels_of(values, 1)));
    }
    assert_int_equal(extatus_family_series_count(family), 250);
    for (int i = 1; i < 500; i += 2) {
        extatus_value value;
        const char *values[] = {id};
        const char *datapoint[] = {"value"};
        snprintf(id, sizeof(id), "%d", i);
        assert_ok(extatus_update(NULL, "churn", extatus_labels_of(values, 1), i));
        assert_ok(
            extatus_get_value(NULL, "churn", extatus_labels_of(values, 1), datapoint, 1, &value));
        assert_int_equal(value.kind, EXTATUS_VALUE_INT);
        assert_int_equal(value.integer, i);
    }
    assert_int_equal(extatus_family_series_count(family), 250);
    assert_ok(extatus_family_clear(family));
    assert_int_equal(extatus_family_series_count(family), 0);
    assert_ok(extatus_family_lookup(&found, NULL, "churn"));
    assert_ptr_equal(found, family);
    assert_ok(extatus_family_unregister(family));
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_family_lookup(&found, NULL, "churn"));
    /* The name is free again, even for another type. */
    assert_ok(extatus_new(NULL, "churn", "gauge", NULL, 0));
}

static void test_unlabelled_family_has_its_series(void **state)
{
    extatus_family *family;
    extatus_value value;
    (void)state;
    assert_ok(extatus_family_new(&family, NULL, "single", "gauge", NULL, 0));
    assert_int_equal(extatus_family_series_count(family), 1);
    assert_ok(extatus_update(NULL, "single", EXTATUS_NO_LABELS, 4.5));
    assert_ok(extatus_get_value(NULL, "single", EXTATUS_NO_LABELS, NULL, 2, (extatus_value[2]){0}));
    const char *datapoint[] = {"value"};
    assert_ok(extatus_get_value(NULL, "single", EXTATUS_NO_LABELS, datapoint, 1, &value));
    assert_true(value.kind == EXTATUS_VALUE_DOUBLE && value.number == 4.5);
    /* Clearing an unlabelled family leaves a fresh series. */
    assert_ok(extatus_family_clear(family));
    assert_int_equal(extatus_family_series_count(family), 1);
    assert_ok(extatus_get_value(NULL, "single", EXTATUS_NO_LABELS, datapoint, 1, &value));
    assert_true(value.number == 0);
}

static void test_help_and_unit(void **state)
{
    (void)state;
    extatus_option ok_unit[] = {EXTATUS_OPT_STRING("unit", "seconds")};
    assert_ok(extatus_new(NULL, "request_duration_seconds", "gauge", ok_unit, 1));
    assert_ok(extatus_new(NULL, "busy_seconds_total", "counter", ok_unit, 1));
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "request_duration", "gauge", ok_unit, 1));
    assert_non_null(strstr(extatus_error_last(), "seconds"));
    extatus_option bad_help[] = {EXTATUS_OPT_STRING("help", "bad \xff help")};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "bad_help", "gauge", bad_help, 1));
    extatus_option help_cr[] = {EXTATUS_OPT_STRING("help", "line\rover")};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "bad_help", "gauge", help_cr, 1));
    assert_non_null(strstr(extatus_error_last(), "carriage return"));
    extatus_option wrong_kind[] = {EXTATUS_OPT_NUMBER("help", 1)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "bad_help", "gauge", wrong_kind, 1));
    extatus_option unknown[] = {EXTATUS_OPT_NUMBER("no_such_option", 1)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "unknown_opt", "counter", unknown, 1));
    assert_non_null(strstr(extatus_error_last(), "no_such_option"));
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_new(NULL, "typo", "countr", NULL, 0));
    assert_non_null(strstr(extatus_error_last(), "countr"));
    /* Nothing of the failed calls was registered. */
    assert_int_equal(extatus_registry_family_count(NULL), 2);
}

/* ---- label values with their count ------------------------------------------ */

/* The whole default registry as text (caller frees). */
static char *exposition(void)
{
    extatus_buf buf = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&buf, NULL, 0, NULL));
    char *text = malloc(buf.size + 1);
    assert_non_null(text);
    memcpy(text, buf.ptr, buf.size);
    text[buf.size] = '\0';
    extatus_buf_dispose(&buf);
    return text;
}

/* The counter family http_requests_total{method, code}. */
static extatus_family *two_label_family(void)
{
    const char *label_names[] = {"method", "code"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", label_names, 2)};
    extatus_family *family = NULL;
    assert_ok(extatus_family_new(&family, NULL, "http_requests_total", "counter", options, 1));
    return family;
}

/* The registry exposes what it exposed before (`before`, freed here). */
static void assert_exposition_unchanged(char *before)
{
    char *after = exposition();
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* The thread's message names the family and both counts. */
static void assert_count_message(const char *family, const char *expected, const char *given)
{
    const char *message = extatus_error_last();
    if (!strstr(message, family) || !strstr(message, expected) || !strstr(message, given))
        print_error("message '%s' should name '%s', '%s' and '%s'\n", message, family, expected,
                    given);
    assert_non_null(strstr(message, family));
    assert_non_null(strstr(message, expected));
    assert_non_null(strstr(message, given));
    assert_int_equal(extatus_error_last_code(), EXTATUS_ERR_LABEL);
}

/* A wrong set of label values given to a labelled and to an unlabelled family. */
typedef struct mismatch {
    const char *what;
    extatus_labels labels; /* for the two-label family "http_requests_total" */
    const char *given;     /* how the message states the given count */
} mismatch;

/* Every call taking label values, given `labels` for family `name`. */
static void assert_every_call_refuses(const char *name, extatus_family *family,
                                      extatus_labels labels, const char *expected,
                                      const char *given)
{
    extatus_series *series = NULL;
    extatus_counter *counter = NULL;
    extatus_value value;
    const extatus_datapoint *datapoints = NULL;
    size_t count = 0;
    extatus_option option = EXTATUS_OPT_NUMBER("max_series", 5);

    assert_extatus(EXTATUS_ERR_LABEL, extatus_family_series(&series, family, labels));
    assert_count_message(name, expected, given);
    assert_null(series);
    assert_extatus(EXTATUS_ERR_LABEL, extatus_counter_get(&counter, family, labels));
    assert_count_message(name, expected, given);
    assert_null(counter);
    assert_extatus(EXTATUS_ERR_LABEL, extatus_family_remove(family, labels));
    assert_count_message(name, expected, given);
    assert_extatus(EXTATUS_ERR_LABEL, extatus_update(NULL, name, labels, 1));
    assert_count_message(name, expected, given);
    assert_extatus(EXTATUS_ERR_LABEL, extatus_get_value(NULL, name, labels, NULL, 3, &value));
    assert_count_message(name, expected, given);
    assert_extatus(EXTATUS_ERR_LABEL,
                   extatus_get_datapoints(NULL, name, labels, &datapoints, &count));
    assert_count_message(name, expected, given);
    assert_extatus(EXTATUS_ERR_LABEL, extatus_reset(NULL, name, labels));
    assert_count_message(name, expected, given);
    assert_extatus(EXTATUS_ERR_LABEL, extatus_setopts(NULL, name, labels, &option, 1));
    assert_count_message(name, expected, given);
}

static void test_wrong_count_refused_and_nothing_changes(void **state)
{
    extatus_family *requests = two_label_family(), *plain;
    extatus_counter *ok_gets, *total;
    (void)state;

    assert_ok(extatus_counter_get(&ok_gets, requests, EXTATUS_LABELS("GET", "200")));
    extatus_counter_add(ok_gets, 7);
    assert_ok(extatus_counter_new(&total, NULL, "jobs_total", "Jobs."));
    extatus_counter_add(total, 3);
    char *before = exposition();

    const char *one[] = {"GET"};
    const mismatch shapes[] = {
        {"fewer", EXTATUS_LABELS("GET"), "1 label value"},
        {"fewer, counted by hand", extatus_labels_of(one, 1), "1 label value"},
        {"more", EXTATUS_LABELS("GET", "200", "extra"), "3 label values"},
        {"none", EXTATUS_NO_LABELS, "0 label values"},
    };
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        print_message("shape: %s\n", shapes[i].what);
        assert_every_call_refuses("http_requests_total", requests, shapes[i].labels, "2 labels",
                                  shapes[i].given);
    }

    /* Values given to an unlabelled family. */
    assert_ok(extatus_family_lookup(&plain, NULL, "jobs_total"));
    assert_every_call_refuses("jobs_total", plain, EXTATUS_LABELS("x"), "0 labels",
                              "1 label value");
    extatus_series *series = NULL;
    assert_extatus(EXTATUS_ERR_LABEL, extatus_family_series(&series, plain, EXTATUS_LABELS("x")));
    assert_count_message("jobs_total", "0 labels", "1 label value");
    assert_extatus(EXTATUS_ERR_LABEL,
                   extatus_family_series(&series, plain, EXTATUS_LABELS("x", "y")));
    assert_count_message("jobs_total", "0 labels", "2 label values");

    /* Every series is no label tuple: only reset and setopts take it. */
    assert_extatus(EXTATUS_ERR_LABEL, extatus_family_series(&series, requests, EXTATUS_ALL_SERIES));
    assert_non_null(strstr(extatus_error_last(), "http_requests_total"));
    assert_extatus(EXTATUS_ERR_LABEL,
                   extatus_update(NULL, "http_requests_total", EXTATUS_ALL_SERIES, 1));

    /* Nothing was created, changed or removed. */
    assert_int_equal(extatus_family_series_count(requests), 1);
    assert_int_equal(extatus_family_series_count(plain), 1);
    assert_true(extatus_counter_value(ok_gets) == 7);
    assert_true(extatus_counter_value(total) == 3);
    assert_exposition_unchanged(before);
}

static void test_null_value_refused(void **state)
{
    extatus_family *requests = two_label_family();
    extatus_series *series = NULL;
    (void)state;

    char *before = exposition();
    assert_extatus(EXTATUS_ERR_LABEL,
                   extatus_family_series(&series, requests, EXTATUS_LABELS("GET", NULL)));
    assert_non_null(strstr(extatus_error_last(), "http_requests_total"));
    assert_non_null(strstr(extatus_error_last(), "'code'"));
    assert_non_null(strstr(extatus_error_last(), "NULL"));
    assert_extatus(EXTATUS_ERR_LABEL,
                   extatus_update(NULL, "http_requests_total", EXTATUS_LABELS(NULL, "200"), 1));
    assert_non_null(strstr(extatus_error_last(), "'method'"));
    /* A count without the array. */
    assert_extatus(EXTATUS_ERR_LABEL,
                   extatus_family_series(&series, requests, extatus_labels_of(NULL, 2)));
    assert_non_null(strstr(extatus_error_last(), "http_requests_total"));
    assert_non_null(strstr(extatus_error_last(), "NULL"));
    assert_int_equal(extatus_family_series_count(requests), 0);
    assert_exposition_unchanged(before);
}

static void test_right_count_works(void **state)
{
    extatus_family *requests = two_label_family();
    extatus_counter *by_macro, *by_array;
    extatus_value value;
    const char *wanted[] = {"value"};
    (void)state;

    assert_ok(extatus_counter_get(&by_macro, requests, EXTATUS_LABELS("GET", "200")));
    const char *values[] = {"GET", "200"};
    assert_ok(extatus_counter_get(&by_array, requests, extatus_labels_of(values, 2)));
    assert_ptr_equal(by_macro, by_array);
    assert_ok(extatus_update(NULL, "http_requests_total", EXTATUS_LABELS("GET", "200"), 2));
    assert_ok(extatus_get_value(NULL, "http_requests_total", EXTATUS_LABELS("GET", "200"), wanted,
                                1, &value));
    assert_true(extatus_value_to_double(&value) == 2);

    /* reset and setopts take every series; an unlabelled family's one series too. */
    assert_ok(extatus_update(NULL, "http_requests_total", EXTATUS_LABELS("PUT", "201"), 4));
    assert_ok(extatus_reset(NULL, "http_requests_total", EXTATUS_ALL_SERIES));
    assert_true(extatus_counter_value(by_macro) == 0);
    extatus_counter *total;
    assert_ok(extatus_counter_new(&total, NULL, "jobs_total", NULL));
    extatus_counter_add(total, 5);
    assert_ok(extatus_reset(NULL, "jobs_total", EXTATUS_ALL_SERIES));
    assert_true(extatus_counter_value(total) == 0);
    extatus_counter_add(total, 5);
    assert_ok(extatus_reset(NULL, "jobs_total", EXTATUS_NO_LABELS));
    assert_true(extatus_counter_value(total) == 0);
    assert_ok(extatus_family_remove(requests, EXTATUS_LABELS("PUT", "201")));
    assert_int_equal(extatus_family_series_count(requests), 1);
}

/* A probe series is named by its labels too. */
static void test_probe_calls_count(void **state)
{
    const char *label_names[] = {"host"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", label_names, 1),
                                EXTATUS_OPT_NUMBER("sample_interval", 0)};
    extatus_probe_stats stats;
    extatus_series *series = NULL;
    extatus_family *family = NULL;
    (void)state;

    assert_ok(extatus_family_new(&family, NULL, "load", "cpu", options, 2));
    assert_ok(extatus_family_series(&series, family, EXTATUS_LABELS("a")));
    assert_ok(extatus_sample(NULL, "load", EXTATUS_LABELS("a")));
    assert_ok(extatus_probe_get_stats(NULL, "load", EXTATUS_LABELS("a"), &stats));
    assert_true(stats.samples >= 1);
    assert_extatus(EXTATUS_ERR_LABEL, extatus_sample(NULL, "load", EXTATUS_LABELS("a", "b")));
    assert_count_message("load", "1 label", "2 label values");
    assert_extatus(EXTATUS_ERR_LABEL,
                   extatus_probe_get_stats(NULL, "load", EXTATUS_NO_LABELS, &stats));
    assert_count_message("load", "1 label", "0 label values");
    assert_int_equal(extatus_family_series_count(family), 1);
}

/* ---- name clashes ------------------------------------------------------- */

static int fixed_value(double *value, const char *const *label_values, void *user_data)
{
    (void)label_values;
    (void)user_data;
    *value = 1;
    return 0;
}

/* A custom type exposed as unknown: one value. */
static const extatus_datapoint custom_points[] = {{"value", EXTATUS_SAMPLE_VALUE, 0}};

static int custom_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                         size_t option_count)
{
    (void)ctx;
    (void)options;
    (void)option_count;
    static int state;
    *ref = &state;
    return EXTATUS_OK;
}

static int custom_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                            size_t count, extatus_value *values)
{
    (void)ref;
    (void)ctx;
    (void)datapoints;
    for (size_t i = 0; i < count; i++)
        values[i] = (extatus_value){EXTATUS_VALUE_INT, 1, 0};
    return EXTATUS_OK;
}

static int custom_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                 const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = custom_points;
    *count = 1;
    return EXTATUS_OK;
}

static int new_family_of(extatus_registry *registry, const char *name, const char *type)
{
    extatus_option function[] = {EXTATUS_OPT_FUNCTION("function", fixed_value)};
    bool callback = strncmp(type, "function_", 9) == 0;
    return extatus_new(registry, name, type, callback ? function : NULL, callback ? 1 : 0);
}

typedef struct clash_case {
    const char *first_type;
    const char *first_name;
    const char *second_type;
    const char *second_name;
    const char *shared; /* the name both would expose; NULL: no clash */
} clash_case;

/*
 * Every pair is registered in both orders in a fresh registry: a clash is
 * refused with EXTATUS_ERR_EXISTS naming both families and the shared
 * name, and leaves the registry as it was; a pair without one is accepted.
 */
static void test_name_clashes(void **state)
{
    (void)state;
    extatus_entry_ops ops = {0};
    ops.version = EXTATUS_ENTRY_OPS_VERSION;
    ops.kind = EXTATUS_ENTRY_KIND_ENTRY;
    ops.metric_type = EXTATUS_METRIC_UNKNOWN;
    ops.create = custom_create;
    ops.get_value = custom_get_value;
    ops.get_datapoints = custom_get_datapoints;
    assert_extatus(EXTATUS_OK, extatus_type_register("clash_custom", &ops, NULL));
    extatus_type_options as_summary = EXTATUS_TYPE_OPTIONS_INIT;
    as_summary.metric_type = EXTATUS_METRIC_SUMMARY;
    assert_extatus(EXTATUS_OK, extatus_type_register("clash_custom_summary", &ops, &as_summary));

    static const clash_case cases[] = {
        {"counter", "x", "counter", "x_total", "x_total"},
        {"counter", "x", "gauge", "x_total", "x_total"},
        {"counter", "x", "gauge", "x_created", "x_created"},
        {"counter", "x_total", "gauge", "x_created", "x_created"},
        {"counter", "x_total", "gauge", "x", "x"},
        {"counter", "x", "gauge", "x", "x"},
        {"histogram", "x", "gauge", "x_bucket", "x_bucket"},
        {"histogram", "x", "gauge", "x_count", "x_count"},
        {"histogram", "x", "gauge", "x_sum", "x_sum"},
        {"histogram", "x", "gauge", "x_created", "x_created"},
        {"summary", "x", "gauge", "x_count", "x_count"},
        {"summary", "x", "gauge", "x_sum", "x_sum"},
        {"summary", "x", "counter", "x_created", "x_created"},
        {"summary", "x", "function_gauge", "x_sum", "x_sum"},
        {"histogram", "x", "counter", "x_bucket", "x_bucket"},
        {"histogram", "x", "counter", "x_bucket_total", "x_bucket"},
        {"histogram", "x", "summary", "x_count", "x_count"},
        {"histogram", "x", "histogram", "x_sum", "x_sum"},
        {"function_counter", "x", "function_gauge", "x_total", "x_total"},
        {"function_counter", "x_total", "counter", "x", "x_total"},
        {"clash_custom", "x_count", "histogram", "x", "x_count"},
        {"clash_custom", "x_total", "counter", "x", "x_total"},
        {"clash_custom_summary", "x", "gauge", "x_sum", "x_sum"},
        {"clash_custom_summary", "x", "counter", "x_count_total", "x_count"},
        /* No clash: the names differ in every exposed sample. */
        {"gauge", "x", "gauge", "x_total", NULL},
        {"gauge", "x", "gauge", "x_count", NULL},
        {"counter", "x", "gauge", "x_count", NULL},
        {"counter", "x", "counter", "y", NULL},
        {"histogram", "x", "gauge", "x_bucket_total", NULL},
        {"summary", "x", "gauge", "x_bucket", NULL},
        {"counter", "x_created", "gauge", "x", NULL},
        {"clash_custom", "x_sum", "gauge", "x", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const clash_case *c = &cases[i];
        for (int order = 0; order < 2; order++) {
            const char *type_a = order ? c->second_type : c->first_type;
            const char *name_a = order ? c->second_name : c->first_name;
            const char *type_b = order ? c->first_type : c->second_type;
            const char *name_b = order ? c->first_name : c->second_name;
            extatus_registry *registry = NULL;
            assert_extatus(EXTATUS_OK, extatus_registry_new(&registry, "clashes", NULL));
            assert_extatus(EXTATUS_OK, new_family_of(registry, name_a, type_a));
            int rc = new_family_of(registry, name_b, type_b);
            if (!c->shared) {
                if (rc != EXTATUS_OK)
                    fail_msg("%s %s then %s %s: refused (%s)", type_a, name_a, type_b, name_b,
                             extatus_error_last());
                assert_int_equal(extatus_registry_family_count(registry), 2);
            } else if (strcmp(name_a, name_b) == 0) {
                assert_int_equal(rc, EXTATUS_ERR_EXISTS); /* the same name: refused as before */
            } else {
                if (rc != EXTATUS_ERR_EXISTS)
                    fail_msg("%s %s then %s %s: got %d, expected EXTATUS_ERR_EXISTS", type_a,
                             name_a, type_b, name_b, rc);
                char first[64], second[64], shared[64];
                snprintf(first, sizeof first, "'%s'", name_a);
                snprintf(second, sizeof second, "'%s'", name_b);
                snprintf(shared, sizeof shared, "'%s'", c->shared);
                const char *message = extatus_error_last();
                if (!strstr(message, first) || !strstr(message, second) || !strstr(message, shared))
                    fail_msg("message does not name %s, %s and %s: %s", first, second, shared,
                             message);
                assert_int_equal(extatus_registry_family_count(registry), 1);
                extatus_family *lost = NULL;
                assert_int_equal(extatus_family_lookup(&lost, registry, name_b),
                                 EXTATUS_ERR_NOT_FOUND);
            }
            extatus_registry_free(registry);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metric_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_label_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_series_same_handle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_allocates_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_series_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_series_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_clear_unregister, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unlabelled_family_has_its_series, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_and_unit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_count_refused_and_nothing_changes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_null_value_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_right_count_works, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_calls_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_name_clashes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
