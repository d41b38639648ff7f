/*
 * stress_test.c - updates, series creation and removal, name-based calls
 * and scrapes in both formats, all at once from several threads. Built
 * with ThreadSanitizer (halt_on_error): any data race fails the test. It
 * also checks that nothing is lost and that every scrape's histogram is
 * consistent (+Inf bucket == _count).
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UPDATERS     3
#define UPDATES      60000
#define CHURN_ROUNDS 1500
#define SCRAPES      40

static extatus_family *requests;
static extatus_family *latency;
static extatus_family *churn;
static atomic_int updaters_done;
static atomic_int thread_failures;

/* cmocka's asserts must not run off the main thread: record and report instead. */
#define thread_check(call)                                                                         \
    do {                                                                                           \
        int thread_rc_ = (call);                                                                   \
        if (thread_rc_ != EXTATUS_OK) {                                                            \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call, thread_rc_,  \
                    extatus_error_last());                                                         \
            atomic_fetch_add(&thread_failures, 1);                                                 \
        }                                                                                          \
    } while (0)

static void *update_loop(void *arg)
{
    long id = (long)(intptr_t)arg;
    char name[16];
    snprintf(name, sizeof(name), "u%ld", id);
    const char *values[] = {name};
    extatus_counter *counter;
    extatus_histogram *histogram;
    thread_check(extatus_counter_get(&counter, requests, extatus_labels_of(values, 1)));
    thread_check(extatus_histogram_get(&histogram, latency, extatus_labels_of(values, 1)));
    for (int i = 0; i < UPDATES; i++) {
        extatus_counter_inc(counter);
        extatus_histogram_observe(histogram, (i % 100) / 10.0);
        if (i % 997 == 0)
            thread_check(
                extatus_update(NULL, "stress_by_name_total", extatus_labels_of(values, 1), 1));
    }
    atomic_fetch_add(&updaters_done, 1);
    return NULL;
}

static void *churn_loop(void *arg)
{
    char name[32];
    const char *values[] = {name};
    (void)arg;
    for (int i = 0; i < CHURN_ROUNDS; i++) {
        extatus_gauge *gauge;
        snprintf(name, sizeof(name), "tmp%d", i % 37);
        thread_check(extatus_gauge_get(&gauge, churn, extatus_labels_of(values, 1)));
        extatus_gauge_set(gauge, i);
        if (i % 3 == 0)
            thread_check(extatus_family_remove(churn, extatus_labels_of(values, 1)));
        if (i % 100 == 0) {
            /* A whole family comes and goes while scrapes run. */
            thread_check(extatus_new(NULL, "stress_transient", "counter", NULL, 0));
            thread_check(extatus_update(NULL, "stress_transient", EXTATUS_NO_LABELS, 2));
            thread_check(extatus_delete(NULL, "stress_transient"));
        }
    }
    return NULL;
}

/* Every "_bucket{...le="+Inf"} N" must be followed by "_count{...} N". */
static void check_histograms(const char *text)
{
    const char *at = text;
    while ((at = strstr(at, "le=\"+Inf\"} ")) != NULL) {
        unsigned long long inf = strtoull(at + strlen("le=\"+Inf\"} "), NULL, 10);
        const char *count = strstr(at, "_count{");
        if (count)
            count = strchr(count, ' ');
        if (!count) {
            fprintf(stderr, "histogram without _count\n");
            atomic_fetch_add(&thread_failures, 1);
            return;
        }
        unsigned long long total = strtoull(count + 1, NULL, 10);
        if (inf != total) {
            fprintf(stderr, "+Inf bucket %llu != _count %llu\n", inf, total);
            atomic_fetch_add(&thread_failures, 1);
        }
        at = count;
    }
}

static void *scrape_loop(void *arg)
{
    (void)arg;
    for (int i = 0; i < SCRAPES || atomic_load(&updaters_done) < UPDATERS; i++) {
        extatus_buf text = EXTATUS_BUF_INIT;
        extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
        options.format = i % 2 ? EXTATUS_FORMAT_OPENMETRICS : EXTATUS_FORMAT_TEXT;
        thread_check(extatus_expose(&text, NULL, 0, &options));
        if (!text.ptr || !strstr(text.ptr, "stress_requests")) {
            fprintf(stderr, "scrape %d lacks stress_requests\n", i);
            atomic_fetch_add(&thread_failures, 1);
        }
        check_histograms(text.ptr);
        extatus_buf_dispose(&text);
    }
    return NULL;
}

static void test_everything_at_once(void **state)
{
    const char *worker[] = {"worker"};
    const char *slot[] = {"slot"};
    extatus_option worker_labels[] = {EXTATUS_OPT_STRINGS("labels", worker, 1)};
    extatus_option slot_labels[] = {EXTATUS_OPT_STRINGS("labels", slot, 1)};
    pthread_t updaters[UPDATERS], churner, scrapers[2];
    (void)state;
    assert_ok(
        extatus_family_new(&requests, NULL, "stress_requests_total", "counter", worker_labels, 1));
    assert_ok(extatus_family_new(&latency, NULL, "stress_latency", "histogram", worker_labels, 1));
    assert_ok(extatus_family_new(&churn, NULL, "stress_churn", "gauge", slot_labels, 1));
    assert_ok(extatus_new(NULL, "stress_by_name_total", "counter", worker_labels, 1));

    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&scrapers[i], NULL, scrape_loop, NULL), 0);
    assert_int_equal(pthread_create(&churner, NULL, churn_loop, NULL), 0);
    for (long i = 0; i < UPDATERS; i++)
        assert_int_equal(pthread_create(&updaters[i], NULL, update_loop, (void *)(intptr_t)i), 0);
    for (int i = 0; i < UPDATERS; i++)
        pthread_join(updaters[i], NULL);
    pthread_join(churner, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(scrapers[i], NULL);

    assert_int_equal(atomic_load(&thread_failures), 0);
    /* Nothing lost: every updater's counter and histogram count are exact. */
    for (int i = 0; i < UPDATERS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "u%d", i);
        const char *values[] = {name};
        const char *value[] = {"value"}, *count[] = {"count"};
        extatus_value got;
        assert_ok(extatus_get_value(NULL, "stress_requests_total", extatus_labels_of(values, 1),
                                    value, 1, &got));
        assert_int_equal(got.integer, UPDATES);
        assert_ok(extatus_get_value(NULL, "stress_latency", extatus_labels_of(values, 1), count, 1,
                                    &got));
        assert_int_equal(got.integer, UPDATES);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_at_once),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    extatus_shutdown();
    return failed;
}
