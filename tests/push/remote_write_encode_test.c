/*
 * remote_write_encode_test.c - label checks and sorting of remote write
 * series (src/push/remote_write_encode.c). The bodies themselves are
 * decoded by protoc in remote_write_protoc_test.py.
 */
#include "test_support.h"

#include <string.h>

#include "push/remote_write_encode.h"

#define L(n, v)                                                                                    \
    {                                                                                              \
        .name = (n), .value = (v)                                                                  \
    }

static void test_sort(void **state)
{
    (void)state;
    extatus__rw_label labels[] = {L("job", "j"), L("__name__", "up"), L("instance", "i"),
                                  L("a", "1"), L("Z", "2")};
    extatus__rw_labels_sort(labels, 5);
    const char *want[] = {"Z", "__name__", "a", "instance", "job"}; /* byte order */
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(labels[i].name, want[i]);
    char why[128];
    assert_int_equal(extatus__rw_labels_check(labels, 5, why, sizeof(why)), EXTATUS_OK);
}

static void test_check_refusals(void **state)
{
    (void)state;
    static const struct {
        extatus__rw_label labels[3];
        size_t count;
        const char *reason_part;
    } cases[] = {
        {{L("__name__", "up"), L("job", "a"), L("job", "b")}, 3, "\"job\" given twice"},
        {{L("", "x"), L("__name__", "up")}, 2, "empty label name"},
        {{L("__name__", "up"), L("job", "")}, 2, "\"job\" has an empty value"},
        {{L("__name__", "")}, 1, "\"__name__\" has an empty value"},
        {{L("instance", "i"), L("job", "j")}, 2, "no __name__"},
        {{L("job", "j"), L("__name__", "up")}, 2, "not sorted"},
        {{L(NULL, "x")}, 1, "empty label name"},
        {{L("__name__", NULL)}, 1, "empty value"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char why[128] = "";
        assert_int_equal(
            extatus__rw_labels_check(cases[i].labels, cases[i].count, why, sizeof(why)),
            EXTATUS_ERR_LABEL);
        if (!strstr(why, cases[i].reason_part))
            fail_msg("case %zu: reason \"%s\" lacks \"%s\"", i, why, cases[i].reason_part);
    }
}

/* A body of many series fails cleanly when memory runs out, and leaks nothing. */
static void test_encode_nomem(void **state)
{
    (void)state;
    extatus__rw_label labels[] = {L("__name__", "m"), L("job", "j")};
    extatus__rw_sample sample = {1.5, 1000};
    extatus__rw_series series[50];
    for (size_t i = 0; i < 50; i++)
        series[i] =
            (extatus__rw_series){labels, 2, &sample, 1, EXTATUS_RW_TYPE_GAUGE, "h", NULL, 0};
    test_alloc_install();
    for (int version = 1; version <= 2; version++) {
        for (unsigned long nth = 1; nth <= 6; nth++) {
            test_alloc_fail_at(nth);
            extatus__proto_writer w;
            extatus__proto_init(&w);
            int rc = version == 1 ? extatus__rw_encode_v1(&w, series, 50)
                                  : extatus__rw_encode_v2(&w, series, 50);
            if (nth == 1 || rc != EXTATUS_OK)
                assert_int_equal(rc, EXTATUS_ERR_NOMEM);
            extatus__proto_dispose(&w);
            assert_int_equal(test_alloc_live(), 0);
        }
    }
    test_alloc_fail_at(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort),
        cmocka_unit_test(test_check_refusals),
        cmocka_unit_test(test_encode_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
