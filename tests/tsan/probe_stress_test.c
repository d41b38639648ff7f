/*
 * probe_stress_test.c - probes sampled on the scheduler while other
 * threads create and delete probe families, sample by hand, read and
 * scrape; the process collector runs too. Built with ThreadSanitizer
 * (halt_on_error): any data race fails the test. It also checks that
 * sampling happened and that no sample ever ran on a destroyed entry.
 */
#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extatus/sys/entry.h"

#define CHURN_ROUNDS 150
#define RUN_MS       600

static atomic_int thread_failures;
static atomic_int samples;
static atomic_int destroyed_while_sampling;
static atomic_int stop;

#define thread_check(call)                                                                         \
    do {                                                                                           \
        int thread_rc_ = (call);                                                                   \
        if (thread_rc_ != EXTATUS_OK) {                                                            \
            fprintf(stderr, "%s:%d: %s returned %d: %s\n", __FILE__, __LINE__, #call, thread_rc_,  \
                    extatus_error_last());                                                         \
            atomic_fetch_add(&thread_failures, 1);                                                 \
        }                                                                                          \
    } while (0)

typedef struct ticker {
    atomic_int inside; /* samples in progress */
    _Atomic double value;
} ticker;

static const extatus_datapoint ticker_points[] = {{"value", EXTATUS_SAMPLE_VALUE, 0}};

static int ticker_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                         size_t count)
{
    (void)ctx;
    (void)options;
    (void)count;
    ticker *self = calloc(1, sizeof(*self));
    if (!self)
        return EXTATUS_ERR_NOMEM;
    *ref = self;
    return EXTATUS_OK;
}

static void ticker_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    ticker *self = ref;
    (void)ctx;
    if (atomic_load(&self->inside))
        atomic_fetch_add(&destroyed_while_sampling, 1);
    free(self);
}

static int ticker_sample(void *ref, const extatus_entry_ctx *ctx)
{
    ticker *self = ref;
    (void)ctx;
    atomic_fetch_add(&self->inside, 1);
    atomic_store(&self->value, atomic_load(&self->value) + 1);
    atomic_fetch_add(&samples, 1);
    atomic_fetch_sub(&self->inside, 1);
    /* Every third sample of some probes fails: counted, never fatal. */
    return atomic_load(&samples) % 3 == 0 ? EXTATUS_ERR_SYSTEM : EXTATUS_OK;
}

static int ticker_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                            size_t count, extatus_value *values)
{
    ticker *self = ref;
    (void)ctx;
    (void)datapoints;
    for (size_t i = 0; i < count; i++) {
        values[i].kind = EXTATUS_VALUE_DOUBLE;
        values[i].number = atomic_load(&self->value);
    }
    return EXTATUS_OK;
}

static int ticker_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                 const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = ticker_points;
    *count = 1;
    return EXTATUS_OK;
}

static void *churn_loop(void *arg)
{
    long id = (long)(intptr_t)arg;
    char name[32];
    extatus_option options[] = {EXTATUS_OPT_NUMBER("sample_interval", 1),
                                EXTATUS_OPT_NUMBER("cache", 2)};
    for (int round = 0; round < CHURN_ROUNDS; round++) {
        snprintf(name, sizeof(name), "churn_%ld_%d", id, round % 4);
        thread_check(extatus_new(NULL, name, "ticker", options, 2));
        int rc = extatus_sample(NULL, name, EXTATUS_NO_LABELS); /* fails by design now and then */
        if (rc != EXTATUS_ERR_SYSTEM)
            thread_check(rc);
        extatus_value value;
        const char *wanted[] = {"value"};
        thread_check(extatus_get_value(NULL, name, EXTATUS_NO_LABELS, wanted, 1, &value));
        thread_check(extatus_delete(NULL, name));
    }
    return NULL;
}

static void *scrape_loop(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        extatus_buf text = EXTATUS_BUF_INIT;
        thread_check(extatus_expose(&text, NULL, 0, NULL));
        extatus_buf_dispose(&text);
        extatus_probe_stats stats;
        thread_check(extatus_probe_get_stats(NULL, "steady", EXTATUS_NO_LABELS, &stats));
    }
    return NULL;
}

static void test_probes_under_churn(void **state)
{
    (void)state;
    assert_ok(extatus_process_collector_set_default(1));
    assert_ok(extatus_init());
    extatus_entry_ops ops = {
        .version = EXTATUS_ENTRY_OPS_VERSION,
        .kind = EXTATUS_ENTRY_KIND_PROBE,
        .metric_type = EXTATUS_METRIC_GAUGE,
        .create = ticker_create,
        .destroy = ticker_destroy,
        .get_value = ticker_get_value,
        .sample = ticker_sample,
        .get_datapoints = ticker_get_datapoints,
    };
    assert_ok(extatus_type_register("ticker", &ops, NULL));
    extatus_option fast[] = {EXTATUS_OPT_NUMBER("sample_interval", 2)};
    assert_ok(extatus_new(NULL, "steady", "ticker", fast, 1));
    extatus_option quick_collector[] = {EXTATUS_OPT_NUMBER("sample_interval", 5)};
    extatus_registry *registry = NULL;
    assert_ok(extatus_registry_new(&registry, "collector", NULL));
    assert_ok(extatus_process_collector_register(registry, quick_collector, 1));

    pthread_t churners[2], scraper;
    for (long i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&churners[i], NULL, churn_loop, (void *)(intptr_t)i), 0);
    assert_int_equal(pthread_create(&scraper, NULL, scrape_loop, NULL), 0);
    struct timespec delay = {0, RUN_MS * 1000000L};
    nanosleep(&delay, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(churners[i], NULL);
    atomic_store(&stop, 1);
    pthread_join(scraper, NULL);

    extatus_probe_stats stats;
    assert_ok(extatus_probe_get_stats(NULL, "steady", EXTATUS_NO_LABELS, &stats));
    print_message("steady: %llu samples, %llu errors, %llu skips; %d samples in all\n",
                  (unsigned long long)stats.samples, (unsigned long long)stats.errors,
                  (unsigned long long)stats.skips, atomic_load(&samples));
    assert_true(stats.samples >= 20);
    assert_true(stats.errors > 0 && stats.errors < stats.samples);
    assert_int_equal(atomic_load(&thread_failures), 0);
    extatus_registry_free(registry);
    extatus_shutdown(); /* stops the scheduler with probes still registered */
    assert_int_equal(atomic_load(&destroyed_while_sampling), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probes_under_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
