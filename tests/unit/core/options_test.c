/*
 * options_test.c - option lists: deep copies and the merge that setopts
 * stores (src/core/options.c).
 */
#include "test_support.h"

#include <string.h>

#include "core/internal.h"

static int setup(void **state)
{
    (void)state;
    return extatus_init();
}

/* Every allocation through the failure-injecting allocator (set before init). */
static int setup_counting(void **state)
{
    (void)state;
    test_alloc_install();
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

static const extatus_option *find(const extatus_option *list, size_t count, const char *key)
{
    return extatus_option_find(list, count, key);
}

/* A key already in the list takes the new value; a new key is appended. */
static void test_merge_replaces_and_appends(void **state)
{
    (void)state;
    const char *names[] = {"a", "b"};
    const extatus_option first[] = {
        EXTATUS_OPT_NUMBER("limit", 10),
        EXTATUS_OPT_STRING("mode", "fast"),
    };
    const extatus_option second[] = {
        EXTATUS_OPT_NUMBER("limit", 20),
        EXTATUS_OPT_STRINGS("names", names, 2),
        EXTATUS_OPT_STRING("mode", "slow"),
    };
    extatus_option *list = NULL;
    size_t count = 0;
    assert_ok(extatus__options_merge(&list, &count, first, 2));
    assert_int_equal(count, 2);
    assert_ok(extatus__options_merge(&list, &count, second, 3));
    assert_int_equal(count, 3);
    assert_true(find(list, count, "limit")->number == 20);
    assert_string_equal(find(list, count, "mode")->string, "slow");
    const extatus_option *copied = find(list, count, "names");
    assert_int_equal(copied->count, 2);
    assert_string_equal(((const char *const *)copied->list)[1], "b");
    assert_ptr_not_equal(copied->list, names); /* a deep copy */
    extatus__options_free(list, count);
}

/* The same key twice in one call: one entry, the later value. */
static void test_merge_same_key_twice_in_one_call(void **state)
{
    (void)state;
    const extatus_option twice[] = {
        EXTATUS_OPT_NUMBER("limit", 1),
        EXTATUS_OPT_NUMBER("limit", 2),
    };
    extatus_option *list = NULL;
    size_t count = 0;
    assert_ok(extatus__options_merge(&list, &count, twice, 2));
    assert_int_equal(count, 1);
    assert_true(list[0].number == 2);
    extatus__options_free(list, count);
}

/* Repeated setopts never grow the list (it grew by one per call). */
static void test_merge_repeated_stays_bounded(void **state)
{
    (void)state;
    extatus_option *list = NULL;
    size_t count = 0;
    for (int i = 0; i < 1000; i++) {
        const extatus_option one[] = {EXTATUS_OPT_NUMBER("limit", i)};
        assert_ok(extatus__options_merge(&list, &count, one, 1));
    }
    assert_int_equal(count, 1);
    assert_true(list[0].number == 999);
    extatus__options_free(list, count);
}

/* Out of memory at any allocation: an error, and the list as it was. */
static void test_merge_failure_keeps_the_list(void **state)
{
    (void)state;
    const extatus_option first[] = {EXTATUS_OPT_STRING("mode", "fast")};
    const extatus_option second[] = {
        EXTATUS_OPT_STRING("mode", "slow"),
        EXTATUS_OPT_STRING("extra", "x"),
    };
    for (unsigned long nth = 1;; nth++) {
        extatus_option *list = NULL;
        size_t count = 0;
        assert_ok(extatus__options_merge(&list, &count, first, 1));
        test_alloc_fail_at(nth);
        int rc = extatus__options_merge(&list, &count, second, 2);
        test_alloc_fail_at(0);
        if (rc == EXTATUS_OK) {
            assert_int_equal(count, 2);
            assert_string_equal(find(list, count, "mode")->string, "slow");
            extatus__options_free(list, count);
            break;
        }
        assert_int_equal(rc, EXTATUS_ERR_NOMEM);
        assert_int_equal(count, 1);
        assert_string_equal(list[0].string, "fast");
        extatus__options_free(list, count);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_merge_replaces_and_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_same_key_twice_in_one_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_repeated_stays_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_failure_keeps_the_list, setup_counting,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
