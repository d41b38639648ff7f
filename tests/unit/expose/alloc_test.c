/*
 * alloc_test.c - the exposition under allocation failure.
 *
 * With the failing allocator of test_support, every allocation an
 * extatus_expose() call makes is failed in turn: each call must return
 * EXTATUS_ERR_NOMEM, leave in the buffer only whole lines of the correct
 * output (a prefix of it) and leak nothing; once no allocation fails the
 * output is complete.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_entry.h"

static extatus_registry *registry;

static int setup(void **state)
{
    (void)state;
    test_alloc_install();
    if (fake_register() != EXTATUS_OK)
        return -1;
    if (extatus_registry_new(&registry, "alloc", NULL) != EXTATUS_OK)
        return -1;
    static const char *const labels[] = {"path"};
    extatus_option options[] = {EXTATUS_OPT_STRING("help", "Latency."),
                                EXTATUS_OPT_STRINGS("labels", labels, 1)};
    extatus_family *latency = NULL;
    if (extatus_family_new(&latency, registry, "latency_seconds", "fake_histogram", options, 2))
        return -1;
    static const extatus_value values[] = {FAKE_INT(1), FAKE_INT(2),       FAKE_INT(3),
                                           FAKE_INT(4), FAKE_INT(5),       FAKE_DOUBLE(0.5),
                                           FAKE_INT(5), FAKE_DOUBLE(1.7e9)};
    /* Enough series that the buffer grows while it is written. */
    for (int i = 0; i < 40; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/path/%d", i);
        if (fake_set(latency, EXTATUS_LABELS(path), values, 0) != EXTATUS_OK)
            return -1;
    }
    extatus_counter *counter = NULL;
    if (extatus_counter_new(&counter, registry, "events_total", "Events."))
        return -1;
    extatus_counter_add(counter, 42);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    extatus_registry_free(registry);
    extatus_shutdown();
    return 0;
}

static void check_failures(extatus_format format)
{
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    options.format = format;
    options.omit_created = 1; /* the counter's _created changes with time */

    test_alloc_fail_at(0);
    extatus_buf buf = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&buf, &registry, 1, &options));
    char *expected = strdup(buf.ptr);
    extatus_buf_dispose(&buf);

    unsigned long failures = 0;
    for (unsigned long nth = 1;; nth++) {
        long live = test_alloc_live();
        test_alloc_fail_at(nth);
        int rc = extatus_expose(&buf, &registry, 1, &options);
        unsigned long attempts = test_alloc_count();
        test_alloc_fail_at(0);
        if (rc == EXTATUS_OK) {
            /* Every allocation succeeded: the output is whole. */
            assert_true(attempts < nth);
            assert_string_equal(buf.ptr, expected);
            extatus_buf_dispose(&buf);
            assert_int_equal(test_alloc_live(), live);
            break;
        }
        assert_extatus(EXTATUS_ERR_NOMEM, rc);
        failures++;
        if (buf.ptr) {
            assert_int_equal(strlen(buf.ptr), buf.size);
            assert_memory_equal(buf.ptr, expected, buf.size);
            assert_true(buf.size == 0 || buf.ptr[buf.size - 1] == '\n');
        }
        extatus_buf_dispose(&buf);
        assert_int_equal(test_alloc_live(), live);
        assert_true(nth < 10000);
    }
    /* At least the buffer's first block, a snapshot and the growth failed. */
    assert_true(failures >= 3);
    free(expected);
}

static void test_text_under_allocation_failure(void **state)
{
    (void)state;
    check_failures(EXTATUS_FORMAT_TEXT);
}

static void test_openmetrics_under_allocation_failure(void **state)
{
    (void)state;
    check_failures(EXTATUS_FORMAT_OPENMETRICS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_under_allocation_failure),
        cmocka_unit_test(test_openmetrics_under_allocation_failure),
    };
    return cmocka_run_group_tests_name("expose/alloc", tests, setup, teardown);
}
