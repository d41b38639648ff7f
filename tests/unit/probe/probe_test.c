/*
 * probe_test.c - probe-kind entries on the scheduler (src/probe/probe.c),
 * the sample_interval and cache options, and type defaults by name
 * pattern (src/core/cache.c, src/core/defaults.c). Real threads, short
 * real intervals.
 */
#include "test_support.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extatus/sys/entry.h"

static void sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0) {
    }
}

static int64_t now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int64_t read_int(const char *name, extatus_labels labels, const char *datapoint);

/*
 * Wait until datapoint "samples" of `name` reaches `want` (at most 10 s,
 * so that a starved machine, valgrind for one, only makes it slower);
 * returns the milliseconds it took, or -1 when it never did.
 */
static int64_t wait_samples(const char *name, int64_t want, int64_t start)
{
    while (read_int(name, EXTATUS_NO_LABELS, "samples") < want) {
        if (now_ms() - start > 10000)
            return -1;
        sleep_ms(2);
    }
    return now_ms() - start;
}

/* ---- a test probe: counts its samples; option "mode" makes it slow or failing ---- */

typedef struct counting {
    atomic_int samples; /* sample calls */
    atomic_int inside;  /* samples running now */
    atomic_int most;    /* most samples running at once */
    int mode;           /* 0 normal, 1 slow (100 ms), 2 failing */
} counting;

static const extatus_datapoint counting_points[] = {{"value", EXTATUS_SAMPLE_VALUE, 0},
                                                    {"samples", EXTATUS_SAMPLE_NONE, 0}};

static int counting_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                           size_t count)
{
    counting *self = calloc(1, sizeof(*self));
    if (!self)
        return EXTATUS_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(options[i].key, "mode") != 0 || options[i].kind != EXTATUS_OPTION_STRING) {
            free(self);
            return extatus_entry_error(EXTATUS_ERR_OPTION, "%s: unknown option '%s'", ctx->name,
                                       options[i].key);
        }
        self->mode = strcmp(options[i].string, "slow") == 0      ? 1
                     : strcmp(options[i].string, "failing") == 0 ? 2
                                                                 : 0;
    }
    *ref = self;
    return EXTATUS_OK;
}

/* Destroys that happened while a sample was running on the ref (must stay 0). */
static atomic_int destroyed_while_sampling;

static void counting_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    counting *self = ref;
    (void)ctx;
    if (atomic_load(&self->inside) != 0)
        atomic_fetch_add(&destroyed_while_sampling, 1);
    free(ref);
}

static int counting_sample(void *ref, const extatus_entry_ctx *ctx)
{
    counting *self = ref;
    int now = atomic_fetch_add(&self->inside, 1) + 1;
    int most = atomic_load(&self->most);
    while (now > most && !atomic_compare_exchange_weak(&self->most, &most, now)) {
    }
    if (self->mode == 1)
        sleep_ms(100);
    atomic_fetch_add(&self->samples, 1);
    atomic_fetch_sub(&self->inside, 1);
    if (self->mode == 2)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "%s: the device is gone", ctx->name);
    return EXTATUS_OK;
}

static int counting_get_value(void *ref, const extatus_entry_ctx *ctx,
                              const char *const *datapoints, size_t count, extatus_value *values)
{
    counting *self = ref;
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        values[i].kind = EXTATUS_VALUE_INT;
        values[i].integer = atomic_load(&self->samples);
        if (datapoints && strcmp(datapoints[i], "value") != 0 &&
            strcmp(datapoints[i], "samples") != 0)
            values[i].kind = EXTATUS_VALUE_UNDEFINED;
    }
    return EXTATUS_OK;
}

static int counting_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                   const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = counting_points;
    *count = 2;
    return EXTATUS_OK;
}

static int setup(void **state)
{
    (void)state;
    if (extatus_process_collector_set_default(0) != EXTATUS_OK)
        return -1;
    extatus_entry_ops ops = {
        .version = EXTATUS_ENTRY_OPS_VERSION,
        .kind = EXTATUS_ENTRY_KIND_PROBE,
        .metric_type = EXTATUS_METRIC_GAUGE,
        .create = counting_create,
        .destroy = counting_destroy,
        .get_value = counting_get_value,
        .sample = counting_sample,
        .get_datapoints = counting_get_datapoints,
    };
    return extatus_type_register("counting", &ops, NULL);
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return atomic_load(&destroyed_while_sampling) == 0 ? 0 : -1;
}

static int64_t read_int(const char *name, extatus_labels labels, const char *datapoint)
{
    extatus_value value = {EXTATUS_VALUE_UNDEFINED, 0, 0};
    const char *wanted[] = {datapoint};
    assert_ok(extatus_get_value(NULL, name, labels, wanted, 1, &value));
    return value.kind == EXTATUS_VALUE_INT ? value.integer : (int64_t)value.number;
}

static double counter_of(const char *metric, const char *probe)
{
    extatus_value value = {EXTATUS_VALUE_UNDEFINED, 0, 0};
    const char *labels[] = {probe};
    const char *wanted[] = {"value"};
    if (extatus_get_value(NULL, metric, extatus_labels_of(labels, 1), wanted, 1, &value) !=
        EXTATUS_OK)
        return -1;
    return extatus_value_to_double(&value);
}

/* Sampled at its interval (first at once), by the library, without any call. */
static void test_sampled_at_interval(void **state)
{
    (void)state;
    extatus_option options[] = {EXTATUS_OPT_NUMBER("sample_interval", 25)};
    int64_t start = now_ms();
    assert_ok(extatus_new(NULL, "ticks", "counting", options, 1));
    /* The first sample comes at once, then one every 25 ms, never faster. */
    int64_t took = wait_samples("ticks", 9, start);
    int64_t samples = read_int("ticks", EXTATUS_NO_LABELS, "samples");
    print_message("25 ms probe: %lld samples in %lld ms\n", (long long)samples, (long long)took);
    assert_true(took >= 0);          /* it was sampled at all, without any call */
    assert_true(took >= 8 * 25 - 5); /* 9 samples need 8 intervals */
    assert_true(samples <= took / 25 + 2);
    extatus_probe_stats stats;
    assert_ok(extatus_probe_get_stats(NULL, "ticks", EXTATUS_NO_LABELS, &stats));
    assert_int_equal(stats.interval_ms, 25);
    assert_true(stats.samples >= (uint64_t)samples);
    assert_int_equal(stats.errors, 0);
    /* Deleting stops the sampling first: no sample runs on a destroyed ref. */
    assert_ok(extatus_delete(NULL, "ticks"));
    assert_int_equal(atomic_load(&destroyed_while_sampling), 0);
    assert_extatus(EXTATUS_ERR_NOT_FOUND,
                   extatus_probe_get_stats(NULL, "ticks", EXTATUS_NO_LABELS, &stats));
}

/* A slow and a failing probe do not disturb a normal one. */
static void test_slow_and_failing_probes_disturb_no_other(void **state)
{
    (void)state;
    extatus_option slow[] = {EXTATUS_OPT_NUMBER("sample_interval", 20),
                             EXTATUS_OPT_STRING("mode", "slow")};
    extatus_option failing[] = {EXTATUS_OPT_NUMBER("sample_interval", 20),
                                EXTATUS_OPT_STRING("mode", "failing")};
    extatus_option normal[] = {EXTATUS_OPT_NUMBER("sample_interval", 20)};
    assert_ok(extatus_new(NULL, "slow_probe", "counting", slow, 2));
    assert_ok(extatus_new(NULL, "failing_probe", "counting", failing, 2));
    int64_t start = now_ms();
    assert_ok(extatus_new(NULL, "normal_probe", "counting", normal, 1));
    int64_t took = wait_samples("normal_probe", 12, start);
    assert_true(took >= 0);
    int64_t failing_samples = read_int("failing_probe", EXTATUS_NO_LABELS, "samples");
    extatus_probe_stats slow_stats, failing_stats;
    assert_ok(extatus_probe_get_stats(NULL, "slow_probe", EXTATUS_NO_LABELS, &slow_stats));
    assert_ok(extatus_probe_get_stats(NULL, "failing_probe", EXTATUS_NO_LABELS, &failing_stats));
    print_message("normal 12 samples in %lld ms; failing %lld; slow %llu samples %llu skips\n",
                  (long long)took, (long long)failing_samples,
                  (unsigned long long)slow_stats.samples, (unsigned long long)slow_stats.skips);
    /* The normal probe kept its pace beside a probe that takes 100 ms a sample. */
    assert_true(took >= 11 * 20 - 5);
    assert_true(failing_samples >= 6); /* failing never stops it */
    /* The slow one: at most one sample per 100 ms, the turns between skipped. */
    assert_true(slow_stats.samples >= 1 && slow_stats.samples <= (uint64_t)(took / 100 + 2));
    assert_true(slow_stats.skips >= 1);
    extatus_series *series = NULL;
    extatus_family *family = NULL;
    assert_ok(extatus_family_lookup(&family, NULL, "slow_probe"));
    assert_ok(extatus_family_series(&series, family, EXTATUS_NO_LABELS));
    assert_int_equal(atomic_load(&((counting *)extatus_series_ref(series))->most), 1);

    /* Failures are counted per probe, and so are skipped turns. */
    assert_true(failing_stats.errors >= 6 && failing_stats.errors >= failing_stats.samples - 1);
    assert_true(counter_of("extatus_probe_sample_errors_total", "failing_probe") >= 6);
    assert_true(counter_of("extatus_probe_sample_errors_total", "normal_probe") == 0);
    assert_true(counter_of("extatus_probe_sample_errors_total", "slow_probe") == 0);
    /* The skip counter is updated at the slow probe's next run. */
    for (int i = 0; i < 500 && counter_of("extatus_probe_sample_skips_total", "slow_probe") < 1;
         i++)
        sleep_ms(2);
    assert_true(counter_of("extatus_probe_sample_skips_total", "slow_probe") >= 1);
    /* The normal probe skips only if the whole machine starves (parallel tests, valgrind). */
    assert_true(counter_of("extatus_probe_sample_skips_total", "normal_probe") <= 2);
}

/* sample_interval 0: sampled only on request; extatus_sample counts and reports errors. */
static void test_manual_sampling(void **state)
{
    (void)state;
    extatus_option manual[] = {EXTATUS_OPT_NUMBER("sample_interval", 0)};
    extatus_option manual_failing[] = {EXTATUS_OPT_NUMBER("sample_interval", 0),
                                       EXTATUS_OPT_STRING("mode", "failing")};
    assert_ok(extatus_new(NULL, "on_request", "counting", manual, 1));
    assert_ok(extatus_new(NULL, "on_request_bad", "counting", manual_failing, 2));
    sleep_ms(30);
    assert_int_equal(read_int("on_request", EXTATUS_NO_LABELS, "value"), 0);
    assert_ok(extatus_sample(NULL, "on_request", EXTATUS_NO_LABELS));
    assert_ok(extatus_sample(NULL, "on_request", EXTATUS_NO_LABELS));
    assert_int_equal(read_int("on_request", EXTATUS_NO_LABELS, "value"), 2);
    assert_extatus(EXTATUS_ERR_SYSTEM, extatus_sample(NULL, "on_request_bad", EXTATUS_NO_LABELS));
    assert_non_null(strstr(extatus_error_last(), "the device is gone"));
    extatus_probe_stats stats;
    assert_ok(extatus_probe_get_stats(NULL, "on_request_bad", EXTATUS_NO_LABELS, &stats));
    assert_int_equal(stats.samples, 1);
    assert_int_equal(stats.errors, 1);
    assert_int_equal(stats.interval_ms, 0);

    /* Not a probe, or no such metric: errors that say so. */
    assert_ok(extatus_new(NULL, "plain_total", "counter", NULL, 0));
    assert_extatus(EXTATUS_ERR_TYPE, extatus_sample(NULL, "plain_total", EXTATUS_NO_LABELS));
    assert_non_null(strstr(extatus_error_last(), "plain_total"));
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_sample(NULL, "nothing_here", EXTATUS_NO_LABELS));
    assert_extatus(EXTATUS_ERR_INVALID,
                   extatus_probe_get_stats(NULL, "on_request", EXTATUS_NO_LABELS, NULL));
}

/* sample_interval is for probes only, and must be a whole number of ms. */
static void test_sample_interval_checked(void **state)
{
    (void)state;
    extatus_option interval[] = {EXTATUS_OPT_NUMBER("sample_interval", 100)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "not_a_probe", "gauge", interval, 1));
    assert_non_null(strstr(extatus_error_last(), "not_a_probe"));
    extatus_option negative[] = {EXTATUS_OPT_NUMBER("sample_interval", -5)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "neg", "counting", negative, 1));
    extatus_option fraction[] = {EXTATUS_OPT_NUMBER("sample_interval", 2.5)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "frac", "counting", fraction, 1));
    extatus_option text[] = {EXTATUS_OPT_STRING("sample_interval", "1s")};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "text", "counting", text, 1));
    assert_non_null(strstr(extatus_error_last(), "sample_interval"));
    /* Default interval when not given. */
    assert_ok(extatus_new(NULL, "defaulted", "counting", NULL, 0));
    extatus_probe_stats stats;
    assert_ok(extatus_probe_get_stats(NULL, "defaulted", EXTATUS_NO_LABELS, &stats));
    assert_int_equal(stats.interval_ms, EXTATUS_PROBE_DEFAULT_INTERVAL_MS);
}

/* Each series of a labelled probe family is sampled on its own. */
static void test_labelled_probe(void **state)
{
    (void)state;
    const char *labels[] = {"disk"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1),
                                EXTATUS_OPT_NUMBER("sample_interval", 20)};
    assert_ok(extatus_new(NULL, "disk_probe", "counting", options, 2));
    const char *sda[] = {"sda"}, *sdb[] = {"sdb"};
    extatus_family *family = NULL;
    extatus_series *series = NULL;
    assert_ok(extatus_family_lookup(&family, NULL, "disk_probe"));
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(sda, 1)));
    while (read_int("disk_probe", extatus_labels_of(sda, 1), "value") < 4)
        sleep_ms(2);
    assert_ok(extatus_family_series(&series, family, extatus_labels_of(sdb, 1)));
    while (read_int("disk_probe", extatus_labels_of(sdb, 1), "value") < 1)
        sleep_ms(2);
    int64_t a = read_int("disk_probe", extatus_labels_of(sda, 1), "value"),
            b = read_int("disk_probe", extatus_labels_of(sdb, 1), "value");
    assert_true(a > b && b >= 1);
    assert_ok(extatus_family_remove(family, extatus_labels_of(sda, 1)));
    assert_ok(extatus_family_remove(family, extatus_labels_of(sdb, 1)));
}

/* ---- cache ---------------------------------------------------------------- */

static atomic_int reads;

static int read_counter(double *value, const char *const *labels, void *user_data)
{
    (void)labels;
    (void)user_data;
    *value = atomic_fetch_add(&reads, 1) + 1;
    return 0;
}

static void test_cache(void **state)
{
    (void)state;
    atomic_store(&reads, 0);
    extatus_option options[] = {EXTATUS_OPT_STRING("help", "Cached."),
                                EXTATUS_OPT_FUNCTION("function", read_counter),
                                EXTATUS_OPT_NUMBER("cache", 1000)};
    assert_ok(extatus_new(NULL, "expensive", "function_gauge", options, 3));
    extatus_value first, second, all[1];
    const char *value[] = {"value"};
    assert_ok(extatus_get_value(NULL, "expensive", EXTATUS_NO_LABELS, value, 1, &first));
    assert_ok(extatus_get_value(NULL, "expensive", EXTATUS_NO_LABELS, value, 1, &second));
    assert_ok(extatus_get_value(NULL, "expensive", EXTATUS_NO_LABELS, NULL, 1, all));
    assert_true(first.number == second.number && all[0].number == first.number);
    assert_int_equal(atomic_load(&reads), 1);
    /* The exposition reads through the cache too. */
    extatus_buf text = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&text, NULL, 0, NULL));
    assert_non_null(strstr(text.ptr, "\nexpensive 1\n"));
    extatus_buf_dispose(&text);
    /* An unknown datapoint is undefined, not an error. */
    const char *bogus[] = {"bogus"};
    assert_ok(extatus_get_value(NULL, "expensive", EXTATUS_NO_LABELS, bogus, 1, &second));
    assert_int_equal(second.kind, EXTATUS_VALUE_UNDEFINED);
    sleep_ms(1050);
    assert_ok(extatus_get_value(NULL, "expensive", EXTATUS_NO_LABELS, value, 1, &second));
    assert_true(second.number > first.number); /* read again once the cache expired */
    assert_int_equal(atomic_load(&reads), (int)second.number);

    /* Without the option every read reaches the entry. */
    extatus_option uncached[] = {EXTATUS_OPT_FUNCTION("function", read_counter)};
    assert_ok(extatus_new(NULL, "cheap", "function_gauge", uncached, 1));
    int before = atomic_load(&reads);
    assert_ok(extatus_get_value(NULL, "cheap", EXTATUS_NO_LABELS, value, 1, &first));
    assert_ok(extatus_get_value(NULL, "cheap", EXTATUS_NO_LABELS, value, 1, &second));
    assert_int_equal(atomic_load(&reads), before + 2);

    extatus_option bad[] = {EXTATUS_OPT_NUMBER("cache", -1)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "bad_cache", "gauge", bad, 1));
    assert_non_null(strstr(extatus_error_last(), "'cache'"));
    /* Fixed at registration, like help. */
    extatus_option later[] = {EXTATUS_OPT_NUMBER("cache", 10)};
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "cheap", EXTATUS_ALL_SERIES, later, 1));
}

/* ---- type defaults by name pattern ------------------------------------------- */

static void test_type_defaults(void **state)
{
    (void)state;
    const double io_buckets[] = {0.5, 1};
    const double fine_buckets[] = {0.1};
    extatus_option io[] = {EXTATUS_OPT_DOUBLES("buckets", io_buckets, 2),
                           EXTATUS_OPT_STRING("help", "I/O timing.")};
    extatus_option fine[] = {EXTATUS_OPT_DOUBLES("buckets", fine_buckets, 1)};
    assert_ok(extatus_type_set_default("io_*_seconds", "histogram", io, 2));
    assert_ok(extatus_type_set_default("io_disk_*_seconds", "histogram", fine, 1));

    const extatus_datapoint *points;
    size_t count;
    /* Matches io_*_seconds only: two buckets plus +Inf, and the default help. */
    assert_ok(extatus_new(NULL, "io_net_seconds", "histogram", NULL, 0));
    assert_ok(extatus_get_datapoints(NULL, "io_net_seconds", EXTATUS_NO_LABELS, &points, &count));
    assert_int_equal(points[0].bound, 0.5);
    assert_true(points[2].role == EXTATUS_SAMPLE_BUCKET && isinf(points[2].bound));
    extatus_buf text = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&text, NULL, 0, NULL));
    assert_non_null(strstr(text.ptr, "# HELP io_net_seconds I/O timing.\n"));
    extatus_buf_dispose(&text);
    /* Both match: the more specific (more literal characters) wins. */
    assert_ok(extatus_new(NULL, "io_disk_read_seconds", "histogram", NULL, 0));
    assert_ok(
        extatus_get_datapoints(NULL, "io_disk_read_seconds", EXTATUS_NO_LABELS, &points, &count));
    assert_true(points[0].bound == 0.1 && isinf(points[1].bound));
    /* The caller's options win over the default. */
    const double mine[] = {7};
    extatus_option own[] = {EXTATUS_OPT_DOUBLES("buckets", mine, 1)};
    assert_ok(extatus_new(NULL, "io_web_seconds", "histogram", own, 1));
    assert_ok(extatus_get_datapoints(NULL, "io_web_seconds", EXTATUS_NO_LABELS, &points, &count));
    assert_true(points[0].bound == 7);
    /* Another type, or a name the pattern does not match, gets no default. */
    assert_ok(extatus_new(NULL, "io_x_seconds_total", "counter", NULL, 0));
    assert_ok(extatus_new(NULL, "web_io_seconds", "histogram", NULL, 0));
    assert_ok(extatus_get_datapoints(NULL, "web_io_seconds", EXTATUS_NO_LABELS, &points, &count));
    assert_true(points[0].bound == 0.005); /* the library's default buckets */
    /* Removing a default. */
    assert_ok(extatus_type_set_default("io_*_seconds", "histogram", NULL, 0));
    assert_ok(extatus_new(NULL, "io_tape_seconds", "histogram", NULL, 0));
    assert_ok(extatus_get_datapoints(NULL, "io_tape_seconds", EXTATUS_NO_LABELS, &points, &count));
    assert_true(points[0].bound == 0.005);
    /* A default with a bad option fails the creation, naming the metric. */
    extatus_option wrong[] = {EXTATUS_OPT_NUMBER("no_such_option", 1)};
    assert_ok(extatus_type_set_default("odd_*", "gauge", wrong, 1));
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "odd_one", "gauge", NULL, 0));
    assert_non_null(strstr(extatus_error_last(), "odd_one"));
    /* Options that are defaults for probes and caches. */
    extatus_option every_50ms[] = {EXTATUS_OPT_NUMBER("sample_interval", 50)};
    assert_ok(extatus_type_set_default("dev_*", "counting", every_50ms, 1));
    assert_ok(extatus_new(NULL, "dev_sensor", "counting", NULL, 0));
    extatus_probe_stats stats;
    assert_ok(extatus_probe_get_stats(NULL, "dev_sensor", EXTATUS_NO_LABELS, &stats));
    assert_int_equal(stats.interval_ms, 50);
}

static void test_type_defaults_refused(void **state)
{
    (void)state;
    const char *labels[] = {"a"};
    extatus_option with_labels[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
    extatus_option help[] = {EXTATUS_OPT_STRING("help", "x")};
    extatus_option no_key[] = {{NULL, EXTATUS_OPTION_NUMBER, NULL, 1, NULL, 0, NULL, NULL}};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_type_set_default("a_*", "gauge", with_labels, 1));
    assert_non_null(strstr(extatus_error_last(), "labels"));
    assert_extatus(EXTATUS_ERR_OPTION, extatus_type_set_default("a_*", "gauge", no_key, 1));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_set_default("a b", "gauge", help, 1));
    assert_non_null(strstr(extatus_error_last(), "'a b'"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_set_default("", "gauge", help, 1));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_set_default(NULL, "gauge", help, 1));
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_type_set_default("a_*", "gauges", help, 1));
    assert_non_null(strstr(extatus_error_last(), "gauges"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_set_default("a_*", "gauge", NULL, 2));
    /* A caller option without a key is still refused with its own error. */
    assert_ok(extatus_type_set_default("b_*", "gauge", help, 1));
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "b_x", "gauge", no_key, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sampled_at_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_and_failing_probes_disturb_no_other, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_manual_sampling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sample_interval_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labelled_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_type_defaults_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
