/*
 * function_test.c - callback-backed gauges and counters
 * (src/entries/function.c).
 */
#include "test_support.h"

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

static int queue_length(double *value, const char *const *labels, void *user_data)
{
    const int *length = user_data;
    (void)labels;
    *value = *length;
    return 0;
}

static int per_queue(double *value, const char *const *labels, void *user_data)
{
    (void)user_data;
    if (strcmp(labels[0], "broken") == 0)
        return -1;
    *value = (double)strlen(labels[0]);
    return 0;
}

static void test_value_computed_at_read(void **state)
{
    int length = 3;
    extatus_value value;
    const char *datapoint[] = {"value"};
    (void)state;
    assert_ok(extatus_function_gauge_new(NULL, "queue_length", "Queued.", queue_length, &length));
    assert_ok(extatus_get_value(NULL, "queue_length", EXTATUS_NO_LABELS, datapoint, 1, &value));
    assert_true(value.kind == EXTATUS_VALUE_DOUBLE && value.number == 3);
    length = 11;
    assert_ok(extatus_get_value(NULL, "queue_length", EXTATUS_NO_LABELS, datapoint, 1, &value));
    assert_true(value.number == 11);
    assert_extatus(EXTATUS_ERR_UNSUPPORTED,
                   extatus_update(NULL, "queue_length", EXTATUS_NO_LABELS, 1));
}

/* Datapoint names a read cannot serve (NULL, unknown) are undefined, and the others still read. */
static void test_unknown_and_null_names(void **state)
{
    int length = 5;
    extatus_value values[3];
    const char *datapoints[] = {NULL, "value", "count"};
    (void)state;
    assert_ok(extatus_function_gauge_new(NULL, "backlog", "Backlog.", queue_length, &length));
    assert_ok(extatus_get_value(NULL, "backlog", EXTATUS_NO_LABELS, datapoints, 3, values));
    assert_int_equal(values[0].kind, EXTATUS_VALUE_UNDEFINED);
    assert_int_equal(values[1].kind, EXTATUS_VALUE_DOUBLE);
    assert_true(values[1].number == 5);
    assert_int_equal(values[2].kind, EXTATUS_VALUE_UNDEFINED);
}

static void test_two_names_one_implementation(void **state)
{
    extatus_entry_ops gauge_ops = EXTATUS_ENTRY_OPS_INIT;
    extatus_entry_ops counter_ops = EXTATUS_ENTRY_OPS_INIT;
    int length = 1;
    extatus_family *family;
    (void)state;
    assert_ok(extatus_type_lookup("function_gauge", &gauge_ops));
    assert_ok(extatus_type_lookup("function_counter", &counter_ops));
    assert_ptr_equal(gauge_ops.create, counter_ops.create);
    assert_ok(extatus_function_counter_new(NULL, "bytes_total", "Bytes.", queue_length, &length));
    assert_ok(extatus_family_lookup(&family, NULL, "bytes_total"));
    assert_string_equal(extatus_family_type(family), "function_counter");
}

static void test_labelled_and_failing_callback(void **state)
{
    const char *labels[] = {"queue"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1),
                                EXTATUS_OPT_FUNCTION("function", per_queue)};
    extatus_family *family;
    extatus_series *series;
    extatus_value value;
    const char *datapoint[] = {"value"};
    (void)state;
    assert_ok(extatus_family_new(&family, NULL, "queue_name_length", "function_gauge", options, 2));
    const char *inbox[] = {"inbox"}, *broken[] = {"broken"};
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(inbox, 1)));
    assert_ok(extatus_series_get_value(series, datapoint, 1, &value));
    assert_true(value.number == 5);
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(broken, 1)));
    assert_ok(extatus_series_get_value(series, datapoint, 1, &value));
    assert_int_equal(value.kind, EXTATUS_VALUE_UNDEFINED);
}

static void test_options_checked(void **state)
{
    (void)state;
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "no_function", "function_gauge", NULL, 0));
    assert_non_null(strstr(extatus_error_last(), "function"));
    extatus_option wrong[] = {EXTATUS_OPT_NUMBER("function", 1)};
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_new(NULL, "bad_function", "function_gauge", wrong, 1));
    assert_int_equal(extatus_registry_family_count(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_value_computed_at_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_null_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_names_one_implementation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labelled_and_failing_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_checked, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
