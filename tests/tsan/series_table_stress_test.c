/*
 * series_table_stress_test.c - the series table while it grows (its next
 * array zeroed a piece per insert, the old one copied a few slots per
 * insert: src/core/table.c) and family snapshots that hold series through
 * the family rather than a pin on each (src/core/snapshot.c), all under
 * load from several threads: two creators add thousands of series and
 * remove every other one, a reader looks series up by label values and
 * a scraper takes snapshots and reads every series it holds. Built with
 * ThreadSanitizer (halt_on_error): any data race fails the test; at the
 * end the family holds exactly the series not removed, each findable.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "core/reader.h"

#define CREATORS    2
#define PER_CREATOR 6000 /* 12000 series: the table grows past its early-zeroing size */

static extatus_family *family;
static atomic_int creators_done;
static atomic_int thread_failures;

static void value_of(char *out, size_t size, long creator, long i)
{
    snprintf(out, size, "c%ld_%ld", creator, i);
}

static void *create_loop(void *arg)
{
    long creator = (long)(intptr_t)arg;
    char value[32];
    for (long i = 0; i < PER_CREATOR; i++) {
        value_of(value, sizeof value, creator, i);
        extatus_series *series = NULL;
        if (extatus_family_series(&series, family, EXTATUS_LABELS(value)) != EXTATUS_OK)
            atomic_fetch_add(&thread_failures, 1);
        if (i % 2 == 1) { /* remove the one before: removals race growth */
            value_of(value, sizeof value, creator, i - 1);
            if (extatus_family_remove(family, EXTATUS_LABELS(value)) != EXTATUS_OK)
                atomic_fetch_add(&thread_failures, 1);
        }
    }
    atomic_fetch_add(&creators_done, 1);
    return NULL;
}

static void *lookup_loop(void *arg)
{
    (void)arg;
    char value[32];
    unsigned long round = 0;
    while (atomic_load(&creators_done) < CREATORS) {
        long creator = (long)(round % CREATORS);
        long i = (long)((round * 7919u) % PER_CREATOR);
        value_of(value, sizeof value, creator, i);
        extatus_series *series = NULL;
        if (extatus__series_acquire(&series, family, EXTATUS_LABELS(value), false) == EXTATUS_OK) {
            char expected[48];
            snprintf(expected, sizeof expected, "v=\"%s\"", value);
            if (strcmp(series->labels_text, expected) != 0)
                atomic_fetch_add(&thread_failures, 1);
            extatus__series_unpin(series);
        }
        round++;
    }
    return NULL;
}

static void *scrape_loop(void *arg)
{
    (void)arg;
    while (atomic_load(&creators_done) < CREATORS) {
        extatus_series **held = NULL;
        size_t count = 0;
        if (extatus__family_snapshot(family, &held, &count) != EXTATUS_OK) {
            atomic_fetch_add(&thread_failures, 1);
            continue;
        }
        for (size_t i = 0; i < count; i++)
            if (strncmp(held[i]->labels_text, "v=\"c", 4) != 0)
                atomic_fetch_add(&thread_failures, 1);
        extatus__series_release(family, held, count);
    }
    return NULL;
}

static void test_growth_removal_and_snapshots_race(void **state)
{
    (void)state;
    static const char *const names[] = {"v"};
    const extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Table stress."),
        EXTATUS_OPT_STRINGS("labels", names, 1),
        EXTATUS_OPT_NUMBER("max_series", 100000),
    };
    assert_ok(extatus_family_new(&family, NULL, "table_stress_total", "counter", options, 3));
    pthread_t creators[CREATORS];
    pthread_t lookup;
    pthread_t scrape;
    for (long c = 0; c < CREATORS; c++)
        assert_int_equal(pthread_create(&creators[c], NULL, create_loop, (void *)(intptr_t)c), 0);
    assert_int_equal(pthread_create(&lookup, NULL, lookup_loop, NULL), 0);
    assert_int_equal(pthread_create(&scrape, NULL, scrape_loop, NULL), 0);
    for (int c = 0; c < CREATORS; c++)
        pthread_join(creators[c], NULL);
    pthread_join(lookup, NULL);
    pthread_join(scrape, NULL);
    assert_int_equal(atomic_load(&thread_failures), 0);

    extatus_series **held = NULL;
    size_t count = 0;
    assert_ok(extatus__family_snapshot(family, &held, &count));
    extatus__series_release(family, held, count);
    assert_int_equal(count, CREATORS * PER_CREATOR / 2);
    char value[32];
    for (long c = 0; c < CREATORS; c++)
        for (long i = 0; i < PER_CREATOR; i++) {
            value_of(value, sizeof value, c, i);
            extatus_series *series = NULL;
            int rc = extatus__series_acquire(&series, family, EXTATUS_LABELS(value), false);
            assert_int_equal(rc, i % 2 ? EXTATUS_OK : EXTATUS_ERR_NOT_FOUND);
            if (rc == EXTATUS_OK)
                extatus__series_unpin(series);
        }
    assert_null(family->graveyard);
    assert_ok(extatus_family_unregister(family));
}

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_growth_removal_and_snapshots_race, setup, teardown),
    };
    return cmocka_run_group_tests_name("tsan/series_table_stress", tests, NULL, NULL);
}
