/*
 * native_histogram_stress_test.c - native histogram observers (more than
 * the exclusive shards, so some share) spreading over many octaves, so
 * windows change and the schema drops while a reader reads the buckets,
 * a scraper exposes (OpenMetrics too, reading the exemplars some
 * observers record) and a resetter resets. Built with ThreadSanitizer
 * (halt_on_error): any data race fails the test. Every read must have a
 * count at least the buckets' total, and after the last reset every
 * observation made after it is in a bucket.
 */
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "entries/entries.h"

#define OBSERVERS    20
#define OBSERVATIONS 20000

static extatus_native_histogram *histogram;
static atomic_int observers_done;
static atomic_long bad_reads;

static void *observer(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < OBSERVATIONS; i++)
        extatus_native_histogram_observe(histogram, ldexp(1.0 + (i % 5) / 7.0, (i + id) % 50 - 25) *
                                                        (i % 4 == 0 ? -1 : 1));
    atomic_fetch_add(&observers_done, 1);
    return NULL;
}

static uint64_t in_buckets(const extatus__native_read *read)
{
    uint64_t total = read->zero_count;
    for (int sign = 0; sign < 2; sign++)
        for (uint32_t i = 0; i < read->length[sign]; i++)
            total += read->counts[sign][i];
    return total;
}

static void *reader(void *arg)
{
    static extatus__native_read read;
    (void)arg;
    while (atomic_load(&observers_done) < OBSERVERS) {
        if (extatus__native_histogram_read(histogram, &read) != EXTATUS_OK ||
            read.count < in_buckets(&read)) {
            fprintf(stderr, "bad read: count %llu\n", (unsigned long long)read.count);
            atomic_fetch_add(&bad_reads, 1);
        }
    }
    return NULL;
}

/* Scrapes in both formats: OpenMetrics reads the exemplars. */
static void *scraper(void *arg)
{
    unsigned round = 0;
    (void)arg;
    while (atomic_load(&observers_done) < OBSERVERS) {
        extatus_buf buf = EXTATUS_BUF_INIT;
        extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
        options.format = round++ % 2 ? EXTATUS_FORMAT_OPENMETRICS : EXTATUS_FORMAT_TEXT;
        if (extatus_expose(&buf, NULL, 0, &options) != EXTATUS_OK)
            atomic_fetch_add(&bad_reads, 1);
        extatus_buf_dispose(&buf);
    }
    return NULL;
}

static void *resetter(void *arg)
{
    extatus_family *family = arg;
    for (int i = 0; i < 20 && atomic_load(&observers_done) < OBSERVERS; i++)
        if (extatus_family_reset(family) != EXTATUS_OK)
            atomic_fetch_add(&bad_reads, 1);
    return NULL;
}

static void test_observe_during_reads(void **state)
{
    pthread_t observers[OBSERVERS];
    pthread_t others[3];
    extatus_family *family;
    static extatus__native_read read;
    (void)state;

    assert_ok(extatus_init());
    assert_ok(extatus_native_histogram_new(&histogram, NULL, "nh_stress", NULL, 8));
    assert_ok(extatus_family_lookup(&family, NULL, "nh_stress"));
    assert_int_equal(pthread_create(&others[0], NULL, reader, NULL), 0);
    assert_int_equal(pthread_create(&others[1], NULL, scraper, NULL), 0);
    assert_int_equal(pthread_create(&others[2], NULL, resetter, family), 0);
    for (int i = 0; i < OBSERVERS; i++)
        assert_int_equal(pthread_create(&observers[i], NULL, observer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < OBSERVERS; i++)
        pthread_join(observers[i], NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(others[i], NULL);
    assert_int_equal(atomic_load(&bad_reads), 0);

    /* Quiet now: a reset, then every observation lands in a bucket. */
    assert_ok(extatus_family_reset(family));
    pthread_t again[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&again[i], NULL, observer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(again[i], NULL);
    assert_ok(extatus__native_histogram_read(histogram, &read));
    assert_int_equal(read.count, 4 * OBSERVATIONS);
    assert_int_equal(in_buckets(&read), 4 * OBSERVATIONS);
    extatus_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observe_during_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
