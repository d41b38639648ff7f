/*
 * error_test.c - when extatus_error_last() has something to say: after a
 * call that failed, its message; a call that succeeds leaves the text as
 * it was, and failures the library absorbs inside a successful call leave
 * no text (src/core/error.c and the best-effort paths that use it).
 */
#include "test_support.h"

#include <string.h>

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

static void assert_no_message(void)
{
    if (extatus_error_last()[0] != '\0')
        print_error("unexpected message: %s\n", extatus_error_last());
    assert_string_equal(extatus_error_last(), "");
    assert_int_equal(extatus_error_last_code(), EXTATUS_OK);
}

/* The process collector's probes create the probe error counter on first use. */
static void test_init_leaves_no_message(void **state)
{
    (void)state;
    assert_ok(extatus_process_collector_set_default(1));
    extatus_error_clear();
    assert_ok(extatus_init());
    assert_no_message();
}

/* A program's first probe does the same. */
static void test_first_probe_leaves_no_message(void **state)
{
    extatus_option options[] = {EXTATUS_OPT_NUMBER("sample_interval", 0)};
    extatus_family *errors = NULL;
    (void)state;
    assert_ok(extatus_process_collector_set_default(0));
    assert_ok(extatus_init());
    /* The probe error counter is not there yet, so creating the probe makes it. */
    assert_extatus(EXTATUS_ERR_NOT_FOUND,
                   extatus_family_lookup(&errors, NULL, "extatus_probe_sample_errors_total"));
    extatus_error_clear();
    assert_ok(extatus_new(NULL, "load", "cpu", options, 1));
    assert_no_message();
    assert_ok(extatus_sample(NULL, "load", EXTATUS_NO_LABELS));
    assert_no_message();
    assert_ok(extatus_family_lookup(&errors, NULL, "extatus_probe_sample_errors_total"));
}

/* After a failure the message stays until the next failure or a clear. */
static void test_success_keeps_the_last_failure(void **state)
{
    extatus_counter *counter;
    (void)state;
    assert_ok(extatus_process_collector_set_default(0));
    assert_ok(extatus_init());
    assert_extatus(EXTATUS_ERR_NAME, extatus_new(NULL, "9lives", "counter", NULL, 0));
    assert_non_null(strstr(extatus_error_last(), "'9lives'"));
    assert_ok(extatus_counter_new(&counter, NULL, "lives_total", NULL));
    assert_ok(extatus_update(NULL, "lives_total", EXTATUS_NO_LABELS, 1));
    assert_non_null(strstr(extatus_error_last(), "'9lives'"));
    assert_int_equal(extatus_error_last_code(), EXTATUS_ERR_NAME);
    extatus_error_clear();
    assert_no_message();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_init_leaves_no_message, teardown),
        cmocka_unit_test_teardown(test_first_probe_leaves_no_message, teardown),
        cmocka_unit_test_teardown(test_success_keeps_the_last_failure, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
