/*
 * snapshot_test.c - what a family snapshot holds (src/core/snapshot.c,
 * src/core/series.c): the series of a snapshot stay readable while they
 * are removed (one by one, by clear, or while also pinned by a single
 * reader), later snapshots no longer see them, and they are freed when
 * the last snapshot is released; snapshots keep the creation order
 * across many removals (ASan and valgrind report a use after
 * free or a leak).
 */
#include "test_support.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "core/reader.h"

static int setup(void **state)
{
    (void)state;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

static extatus_family *family_with(const char *const *values, size_t count)
{
    static const char *const names[] = {"l"};
    const extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Snapshot test."),
        EXTATUS_OPT_STRINGS("labels", names, 1),
    };
    extatus_family *family = NULL;
    assert_ok(extatus_family_new(&family, NULL, "snapshot_test_total", "counter", options, 2));
    for (size_t i = 0; i < count; i++) {
        extatus_series *series = NULL;
        assert_ok(extatus_family_series(&series, family, EXTATUS_LABELS(values[i])));
    }
    return family;
}

static void test_removed_series_live_until_release(void **state)
{
    (void)state;
    static const char *const values[] = {"a", "b", "c"};
    extatus_family *family = family_with(values, 3);
    extatus_series **first = NULL;
    size_t first_count = 0;
    assert_ok(extatus__family_snapshot(family, &first, &first_count));
    assert_int_equal(first_count, 3);
    assert_string_equal(first[1]->labels_text, "l=\"b\"");

    assert_ok(extatus_family_remove(family, EXTATUS_LABELS("b")));
    assert_string_equal(first[1]->labels_text, "l=\"b\""); /* still readable */
    assert_ptr_equal(family->graveyard, first[1]);

    extatus_series **second = NULL;
    size_t second_count = 0;
    assert_ok(extatus__family_snapshot(family, &second, &second_count));
    assert_int_equal(second_count, 2);
    assert_string_equal(second[0]->labels_text, "l=\"a\"");
    assert_string_equal(second[1]->labels_text, "l=\"c\"");

    extatus__series_release(family, first, first_count);
    assert_non_null(family->graveyard); /* the second snapshot is still out */
    extatus__series_release(family, second, second_count);
    assert_null(family->graveyard);
    assert_int_equal(family->snapshots, 0);
    assert_ok(extatus_family_unregister(family));
}

static void test_clear_during_snapshot(void **state)
{
    (void)state;
    static const char *const values[] = {"x", "y"};
    extatus_family *family = family_with(values, 2);
    extatus_series **held = NULL;
    size_t count = 0;
    assert_ok(extatus__family_snapshot(family, &held, &count));
    assert_ok(extatus_family_clear(family));
    assert_string_equal(held[0]->labels_text, "l=\"x\"");
    assert_string_equal(held[1]->labels_text, "l=\"y\"");
    extatus_series **after = NULL;
    size_t after_count = 1;
    assert_ok(extatus__family_snapshot(family, &after, &after_count));
    assert_int_equal(after_count, 0);
    extatus__series_release(family, after, after_count);
    extatus__series_release(family, held, count);
    assert_null(family->graveyard);
    assert_ok(extatus_family_unregister(family));
}

/* A series both pinned and in a snapshot goes when the later of the two lets go. */
static void test_pinned_and_snapshotted(void **state)
{
    (void)state;
    static const char *const values[] = {"p"};
    extatus_family *family = family_with(values, 1);
    extatus_series *pinned = NULL;
    assert_ok(extatus__series_acquire(&pinned, family, EXTATUS_LABELS("p"), false));
    extatus_series **held = NULL;
    size_t count = 0;
    assert_ok(extatus__family_snapshot(family, &held, &count));
    assert_ok(extatus_family_remove(family, EXTATUS_LABELS("p")));
    assert_null(family->graveyard); /* pinned: not yet let go */
    extatus__series_unpin(pinned);
    assert_ptr_equal(family->graveyard, held[0]); /* the snapshot still holds it */
    assert_string_equal(held[0]->labels_text, "l=\"p\"");
    extatus__series_release(family, held, count);
    assert_null(family->graveyard);

    /* Released snapshot first, unpin last: the unpin frees it. */
    extatus_series *again = NULL;
    assert_ok(extatus__series_acquire(&again, family, EXTATUS_LABELS("q"), true));
    assert_ok(extatus__family_snapshot(family, &held, &count));
    assert_ok(extatus_family_remove(family, EXTATUS_LABELS("q")));
    extatus__series_release(family, held, count);
    assert_string_equal(again->labels_text, "l=\"q\"");
    extatus__series_unpin(again);
    assert_null(family->graveyard);
    assert_ok(extatus_family_unregister(family));
}

/*
 * The creation order survives removals: holes are squeezed out once they
 * outnumber the live series (here 7500 of 10000 removed), and series
 * created afterwards come last.
 */
static void test_order_after_many_removals(void **state)
{
    (void)state;
    extatus_family *family = family_with(NULL, 0);
    char value[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(value, sizeof value, "s%d", i);
        extatus_series *series = NULL;
        assert_ok(extatus_family_series(&series, family, EXTATUS_LABELS(value)));
    }
    for (int i = 0; i < 10000; i++) {
        if (i % 4 == 0)
            continue;
        snprintf(value, sizeof value, "s%d", i);
        assert_ok(extatus_family_remove(family, EXTATUS_LABELS(value)));
    }
    assert_true(family->order_end < 10000); /* squeezed */
    for (int i = 0; i < 3; i++) {
        snprintf(value, sizeof value, "new%d", i);
        extatus_series *series = NULL;
        assert_ok(extatus_family_series(&series, family, EXTATUS_LABELS(value)));
    }
    extatus_series **held = NULL;
    size_t count = 0;
    assert_ok(extatus__family_snapshot(family, &held, &count));
    assert_int_equal(count, 2503);
    char expected[40];
    for (size_t i = 0; i < count; i++) {
        if (i < 2500)
            snprintf(expected, sizeof expected, "l=\"s%zu\"", 4 * i);
        else
            snprintf(expected, sizeof expected, "l=\"new%zu\"", i - 2500);
        assert_string_equal(held[i]->labels_text, expected);
    }
    extatus__series_release(family, held, count);
    assert_ok(extatus_family_unregister(family));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_removed_series_live_until_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear_during_snapshot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pinned_and_snapshotted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_after_many_removals, setup, teardown),
    };
    return cmocka_run_group_tests_name("core/snapshot", tests, NULL, NULL);
}
