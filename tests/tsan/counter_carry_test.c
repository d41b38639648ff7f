/*
 * counter_carry_test.c - counters carried past 2^64 on exclusive and
 * shared shards while other threads read, reset and scrape. Built with
 * ThreadSanitizer (halt_on_error): any data race fails the test. Readers
 * check the value never goes down between two resets.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define WRITERS 24 /* more than the exclusive shards of a small machine: some share */
#define ADDS    4000

static extatus_counter *carried;
static atomic_int writers_done;
static atomic_uint resets; /* odd while `carried` is being reset */
static atomic_long backwards;

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < ADDS; i++)
        extatus_counter_add(carried, UINT64_C(1) << 61); /* every 8 adds pass 2^64 */
    atomic_fetch_add(&writers_done, 1);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    double last = 0;
    unsigned last_resets = 0;
    while (atomic_load(&writers_done) < WRITERS) {
        unsigned before = atomic_load(&resets);
        double now = extatus_counter_value(carried);
        unsigned after = atomic_load(&resets);
        bool clean = before == after && !(before & 1u); /* no reset during the read */
        if (clean && before == last_resets && now < last) {
            fprintf(stderr, "went back from %.17g to %.17g\n", last, now);
            atomic_fetch_add(&backwards, 1);
        }
        /* A read that overlapped a reset is no reference for the next one. */
        last = clean ? now : 0;
        last_resets = after;
    }
    return NULL;
}

static void *resetter(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20 && atomic_load(&writers_done) < WRITERS; i++) {
        atomic_fetch_add(&resets, 1);
        extatus_counter_reset(carried);
        atomic_fetch_add(&resets, 1);
        extatus_buf buf = EXTATUS_BUF_INIT;
        if (extatus_expose(&buf, NULL, 0, NULL) != EXTATUS_OK)
            atomic_fetch_add(&backwards, 1000000);
        extatus_buf_dispose(&buf);
    }
    return NULL;
}

static void test_carry_under_threads(void **state)
{
    (void)state;
    assert_ok(extatus_init());
    assert_ok(extatus_counter_new(&carried, NULL, "carried_total", "Carried past 2^64."));
    pthread_t writers[WRITERS];
    pthread_t readers[2];
    pthread_t reset_thread;
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, reader, NULL), 0);
    assert_int_equal(pthread_create(&reset_thread, NULL, resetter, NULL), 0);
    for (int i = 0; i < WRITERS; i++)
        assert_int_equal(pthread_create(&writers[i], NULL, writer, NULL), 0);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(writers[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(readers[i], NULL);
    pthread_join(reset_thread, NULL);
    assert_int_equal(atomic_load(&backwards), 0);
    /* After a last reset, exact arithmetic again. */
    extatus_counter_reset(carried);
    extatus_counter_add(carried, UINT64_MAX);
    extatus_counter_add(carried, UINT64_MAX);
    extatus_counter_add(carried, 2);
    assert_true(extatus_counter_value(carried) == 2 * 18446744073709551616.0);
    extatus_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_carry_under_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
