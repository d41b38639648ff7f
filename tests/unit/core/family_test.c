/*
 * family_test.c - families and series: validation, identity, limits,
 * removal (src/core/family.c).
 */
#include "test_support.h"

#include <stdio.h>
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
    assert_ok(extatus_family_series(&series, family, good));
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
        assert_extatus(EXTATUS_ERR_LABEL, extatus_family_series(&series, family, bad_values[i]));
        assert_non_null(strstr(extatus_error_last(), "UTF-8"));
        assert_non_null(strstr(extatus_error_last(), i == 4 ? "'code'" : "'path'"));
    }
    const char *carriage_return[] = {"a\rb", "200"};
    assert_extatus(EXTATUS_ERR_LABEL, extatus_family_series(&series, family, carriage_return));
    assert_non_null(strstr(extatus_error_last(), "carriage return"));
    const char *null_value[] = {"x", NULL};
    assert_extatus(EXTATUS_ERR_LABEL, extatus_family_series(&series, family, null_value));
    assert_extatus(EXTATUS_ERR_LABEL, extatus_family_series(&series, family, NULL));
    /* Nothing bad was added. */
    assert_int_equal(extatus_family_series_count(family), 1);
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
    assert_ok(extatus_family_series(&first, family, v1));
    assert_ok(extatus_family_series(&other, family, v2));
    assert_ptr_not_equal(first, other);
    char copy0[] = "x", copy1[] = "yz";
    const char *v1_copy[] = {copy0, copy1};
    assert_ok(extatus_family_series(&again, family, v1_copy));
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
    assert_ok(extatus_family_series(&series, family, values));
    unsigned long before = test_alloc_count();
    for (int i = 0; i < 1000; i++)
        assert_ok(extatus_family_series(&again, family, values));
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
        assert_ok(extatus_family_series(&series, family, &ids[i]));
    assert_extatus(EXTATUS_ERR_LIMIT, extatus_family_series(&series, family, &ids[3]));
    assert_non_null(strstr(extatus_error_last(), "limited"));
    assert_non_null(strstr(extatus_error_last(), "3"));
    /* Existing series are still found; removing one makes room. */
    assert_ok(extatus_family_series(&series, family, &ids[0]));
    assert_ok(extatus_family_remove(family, &ids[0]));
    assert_ok(extatus_family_series(&series, family, &ids[3]));
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
    assert_ok(extatus_family_series(&series, family, &ids[0]));
    assert_ok(extatus_family_series(&series, family, &ids[1]));
    assert_extatus(EXTATUS_ERR_LIMIT, extatus_family_series(&series, family, &ids[2]));
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
        assert_ok(extatus_family_series(&series, family, values));
    }
    /* Remove every other one, then check the rest are all still found. */
    for (int i = 0; i < 500; i += 2) {
        const char *values[] = {id};
        snprintf(id, sizeof(id), "%d", i);
        assert_ok(extatus_family_remove(family, values));
        assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_family_remove(family, values));
    }
    assert_int_equal(extatus_family_series_count(family), 250);
    for (int i = 1; i < 500; i += 2) {
        extatus_value value;
        const char *values[] = {id};
        const char *datapoint[] = {"value"};
        snprintf(id, sizeof(id), "%d", i);
        assert_ok(extatus_update(NULL, "churn", values, i));
        assert_ok(extatus_get_value(NULL, "churn", values, datapoint, 1, &value));
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
    assert_ok(extatus_update(NULL, "single", NULL, 4.5));
    assert_ok(extatus_get_value(NULL, "single", NULL, NULL, 2, (extatus_value[2]){0}));
    const char *datapoint[] = {"value"};
    assert_ok(extatus_get_value(NULL, "single", NULL, datapoint, 1, &value));
    assert_true(value.kind == EXTATUS_VALUE_DOUBLE && value.number == 4.5);
    /* Clearing an unlabelled family leaves a fresh series. */
    assert_ok(extatus_family_clear(family));
    assert_int_equal(extatus_family_series_count(family), 1);
    assert_ok(extatus_get_value(NULL, "single", NULL, datapoint, 1, &value));
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
