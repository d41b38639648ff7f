/*
 * report_test.c - subscriptions and reporters (src/report/): delivery at
 * the interval, waiting subscriptions, isolation and restart with the
 * subscriptions kept, the callback reporter and the Graphite line reporter
 * against a real TCP listener. Real threads, short real intervals.
 */
#include "test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "extatus/sys/reporter.h"

static void sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0) {
    }
}

static int setup(void **state)
{
    (void)state;
    if (extatus_process_collector_set_default(0) != EXTATUS_OK)
        return -1;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

/* ---- a recorder for the callback reporter (called on the scheduler's threads) ---- */

#define MAX_RECORDS 512

typedef struct record {
    char metric[64];
    char datapoint[32];
    char labels[64]; /* "a=x,b=y" */
    double value;
    int64_t timestamp_ms;
} record;

typedef struct recorder {
    pthread_mutex_t lock;
    record records[MAX_RECORDS];
    int count;   /* records kept */
    int calls;   /* callback calls */
    int fail_at; /* fail the Nth call (1-based); 0: never */
} recorder;

static int record_items(const extatus_report_item *items, size_t count, void *user_data)
{
    recorder *self = user_data;
    pthread_mutex_lock(&self->lock);
    int call = ++self->calls;
    for (size_t i = 0; i < count && self->count < MAX_RECORDS; i++) {
        record *r = &self->records[self->count++];
        snprintf(r->metric, sizeof(r->metric), "%s", items[i].metric);
        snprintf(r->datapoint, sizeof(r->datapoint), "%s", items[i].datapoint);
        r->labels[0] = '\0';
        for (size_t j = 0; j < items[i].label_count; j++) {
            size_t used = strlen(r->labels);
            snprintf(r->labels + used, sizeof(r->labels) - used, "%s%s=%s", j ? "," : "",
                     items[i].label_names[j], items[i].label_values[j]);
        }
        r->value = extatus_value_to_double(&items[i].value);
        r->timestamp_ms = items[i].timestamp_ms;
    }
    pthread_mutex_unlock(&self->lock);
    return call == self->fail_at ? -1 : 0;
}

static recorder *recorder_new(void)
{
    recorder *self = calloc(1, sizeof(*self));
    assert_non_null(self);
    pthread_mutex_init(&self->lock, NULL);
    return self;
}

static void recorder_free(recorder *self)
{
    pthread_mutex_destroy(&self->lock);
    free(self);
}

static int count_matching(recorder *self, const char *metric, const char *datapoint,
                          const char *labels, double *last)
{
    int n = 0;
    pthread_mutex_lock(&self->lock);
    for (int i = 0; i < self->count; i++) {
        const record *r = &self->records[i];
        if (strcmp(r->metric, metric) == 0 &&
            (!datapoint || strcmp(r->datapoint, datapoint) == 0) &&
            (!labels || strcmp(r->labels, labels) == 0)) {
            n++;
            if (last)
                *last = r->value;
        }
    }
    pthread_mutex_unlock(&self->lock);
    return n;
}

/* Wait (at most 10 s: a starved machine is slow, not wrong) for `want` matching records. */
static bool wait_count(recorder *self, const char *metric, const char *datapoint,
                       const char *labels, int want)
{
    for (int waited = 0; waited < 10000; waited += 2) {
        if (count_matching(self, metric, datapoint, labels, NULL) >= want)
            return true;
        sleep_ms(2);
    }
    return false;
}

/* Wait (at most 10 s) until the reporter's restarts reach `want`. */
static bool wait_restarts(const char *name, uint64_t want)
{
    extatus_reporter_status status;
    for (int waited = 0; waited < 10000; waited += 2) {
        if (extatus_reporter_get_status(name, &status) == EXTATUS_OK && status.restarts >= want)
            return true;
        sleep_ms(2);
    }
    return false;
}

static void add_callback_reporter(const char *name, recorder *self)
{
    extatus_option options[] = {EXTATUS_OPT_FUNCTION("function", record_items),
                                EXTATUS_OPT_POINTER("user_data", self),
                                EXTATUS_OPT_NUMBER("restart_delay", 20)};
    assert_ok(extatus_reporter_add(name, extatus_reporter_callback(), options, 3));
}

static extatus_subscription subscription(const char *metric, const char *datapoint,
                                         int64_t interval_ms)
{
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = metric;
    sub.datapoint = datapoint;
    sub.interval_ms = interval_ms;
    return sub;
}

/* ---- tests ------------------------------------------------------------------- */

/* Values arrive at the interval, with their names, labels and a timestamp. */
static void test_delivered_at_interval(void **state)
{
    (void)state;
    recorder *rec = recorder_new();
    extatus_gauge *depth = NULL;
    assert_ok(extatus_gauge_new(&depth, NULL, "queue_depth", "Queued jobs."));
    extatus_gauge_set(depth, 5);
    add_callback_reporter("cb", rec);
    extatus_subscription sub = subscription("queue_depth", "value", 30);
    int64_t start_ms = (int64_t)time(NULL) * 1000;
    struct timespec begin, end;
    clock_gettime(CLOCK_MONOTONIC, &begin); /* before the subscription's clock starts */
    assert_ok(extatus_subscribe("cb", &sub));
    assert_true(wait_count(rec, "queue_depth", "value", "", 5));
    clock_gettime(CLOCK_MONOTONIC, &end);
    long took = (long)(end.tv_sec - begin.tv_sec) * 1000 + (end.tv_nsec - begin.tv_nsec) / 1000000;
    double last = 0;
    int n = count_matching(rec, "queue_depth", "value", "", &last);
    print_message("30 ms subscription: %d deliveries in %ld ms\n", n, took);
    assert_true(took >= 5 * 30 - 5); /* first after one interval, never faster */
    assert_true(n <= took / 30 + 1); /* and no bursts */
    assert_true(last == 5);
    assert_true(rec->records[0].timestamp_ms >= start_ms - 1000 &&
                rec->records[0].timestamp_ms <= start_ms + 3000);
    /* Every datapoint when none is named; a change shows at the next interval. */
    extatus_subscription all = subscription("queue_depth", NULL, 30);
    assert_ok(extatus_subscribe("cb", &all));
    extatus_gauge_set(depth, 9);
    assert_true(wait_count(rec, "queue_depth", "ms_since_reset", "", 2));
    assert_true(count_matching(rec, "queue_depth", "ms_since_reset", "", NULL) >= 1);
    count_matching(rec, "queue_depth", "value", "", &last);
    assert_true(last == 9);
    extatus_reporter_status status;
    assert_ok(extatus_reporter_get_status("cb", &status));
    assert_int_equal(status.subscriptions, 2);
    assert_int_equal(status.running, 1);
    assert_true(status.reports >= 4);
    /* Unsubscribed: no more deliveries of it. */
    assert_ok(extatus_unsubscribe("cb", &sub));
    assert_ok(extatus_unsubscribe("cb", &all));
    int before = count_matching(rec, "queue_depth", NULL, NULL, NULL);
    sleep_ms(90);
    assert_int_equal(count_matching(rec, "queue_depth", NULL, NULL, NULL), before);
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_unsubscribe("cb", &sub));
    assert_ok(extatus_reporter_remove("cb"));
    recorder_free(rec);
}

/* Every series of a family, or just one; a metric that does not exist yet waits. */
static void test_series_and_waiting(void **state)
{
    (void)state;
    recorder *rec = recorder_new();
    add_callback_reporter("cb", rec);
    extatus_subscription late = subscription("late_jobs_total", "value", 20);
    assert_ok(extatus_subscribe("cb", &late));
    const char *one[] = {"eu"};
    extatus_subscription single = subscription("late_jobs_total", "value", 20);
    single.label_values = one;
    single.label_count = 1;
    assert_ok(extatus_subscribe("cb", &single));
    extatus_subscription other = subscription("jobs", "value", 20);
    other.registry = "not_yet";
    assert_ok(extatus_subscribe("cb", &other));
    sleep_ms(80);
    assert_int_equal(count_matching(rec, "late_jobs_total", NULL, NULL, NULL), 0);
    extatus_reporter_status status;
    assert_ok(extatus_reporter_get_status("cb", &status));
    assert_int_equal(status.subscriptions, 3);

    const char *labels[] = {"region"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
    assert_ok(extatus_new(NULL, "late_jobs_total", "counter", options, 1));
    const char *us[] = {"us"};
    assert_ok(extatus_update(NULL, "late_jobs_total", extatus_labels_of(one, 1), 2));
    assert_ok(extatus_update(NULL, "late_jobs_total", extatus_labels_of(us, 1), 3));
    extatus_registry *registry = NULL;
    assert_ok(extatus_registry_new(&registry, "not_yet", NULL));
    assert_ok(extatus_new(registry, "jobs", "gauge", NULL, 0));
    assert_ok(extatus_update(registry, "jobs", EXTATUS_NO_LABELS, 4));
    assert_true(wait_count(rec, "late_jobs_total", "value", "region=us", 2));
    assert_true(wait_count(rec, "jobs", "value", "", 2));
    double last = 0;
    /* eu twice per tick (all series, and the single one), us once. */
    int eu = count_matching(rec, "late_jobs_total", "value", "region=eu", &last);
    int us_count = count_matching(rec, "late_jobs_total", "value", "region=us", NULL);
    assert_true(us_count >= 2 && eu >= 2 * us_count - 2 && last == 2);
    assert_true(count_matching(rec, "jobs", "value", "", &last) >= 2 && last == 4);
    assert_ok(extatus_reporter_remove("cb"));
    extatus_registry_free(registry);
    recorder_free(rec);
}

/* ---- a reporter of our own that fails, to watch isolation and restart ---- */

typedef struct flaky {
    atomic_int inits;       /* init calls */
    atomic_int subscribes;  /* subscribe calls */
    atomic_int reports;     /* report calls */
    atomic_int terminates;  /* terminate calls */
    atomic_int last_reason; /* terminate's reason */
    atomic_int fail_every;  /* report fails when reports % fail_every == 0 */
    atomic_int new_entries; /* new_entry calls */
    atomic_int setopts;     /* setopts calls */
} flaky;

static flaky flaky_counts;

static int flaky_init(void **state, const char *name, const extatus_option *options, size_t count)
{
    (void)name;
    (void)options;
    (void)count;
    atomic_fetch_add(&flaky_counts.inits, 1);
    *state = &flaky_counts;
    return EXTATUS_OK;
}

static int flaky_report(void *state, const extatus_report_item *item)
{
    flaky *self = state;
    (void)item;
    int n = atomic_fetch_add(&self->reports, 1) + 1;
    int every = atomic_load(&self->fail_every);
    return every && n % every == 0 ? EXTATUS_ERR_SYSTEM : EXTATUS_OK;
}

static int flaky_subscribe(void *state, const extatus_subscription *sub)
{
    flaky *self = state;
    (void)sub;
    atomic_fetch_add(&self->subscribes, 1);
    return EXTATUS_OK;
}

static void flaky_new_entry(void *state, const char *registry, const char *metric, const char *type)
{
    flaky *self = state;
    if (strcmp(registry, "default") == 0 && strcmp(metric, "announced") == 0 &&
        strcmp(type, "gauge") == 0)
        atomic_fetch_add(&self->new_entries, 1);
}

static void flaky_setopts(void *state, const char *registry, const char *metric,
                          const extatus_option *options, size_t count)
{
    flaky *self = state;
    (void)registry;
    if (strcmp(metric, "tuned") == 0 && count == 1 && strcmp(options[0].key, "buckets") == 0)
        atomic_fetch_add(&self->setopts, 1);
}

static void flaky_terminate(void *state, int reason)
{
    flaky *self = state;
    atomic_fetch_add(&self->terminates, 1);
    atomic_store(&self->last_reason, reason);
}

static const extatus_reporter_ops flaky_ops = {
    .version = EXTATUS_REPORTER_OPS_VERSION,
    .init = flaky_init,
    .report = flaky_report,
    .report_bulk = NULL,
    .subscribe = flaky_subscribe,
    .unsubscribe = NULL,
    .new_entry = flaky_new_entry,
    .setopts = flaky_setopts,
    .terminate = flaky_terminate,
};

/* A reporter that refuses to start without saying why. */
static int silent_init(void **state, const char *name, const extatus_option *options,
                       size_t option_count)
{
    (void)state;
    (void)name;
    (void)options;
    (void)option_count;
    return EXTATUS_ERR_OPTION;
}

static const extatus_reporter_ops silent_ops = {
    .version = EXTATUS_REPORTER_OPS_VERSION,
    .init = silent_init,
    .report = flaky_report,
};

/* The message after a silent init failure is the library's, never the
 * text of an earlier failure with the same code. */
static void test_init_failure_message_is_never_stale(void **state)
{
    (void)state;
    extatus_option bad[] = {EXTATUS_OPT_NUMBER("restart_delay", -1)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_reporter_add("first", &flaky_ops, bad, 1));
    assert_non_null(strstr(extatus_error_last(), "restart_delay"));
    assert_extatus(EXTATUS_ERR_OPTION, extatus_reporter_add("quiet", &silent_ops, NULL, 0));
    assert_null(strstr(extatus_error_last(), "restart_delay"));
    assert_non_null(strstr(extatus_error_last(), "reporter 'quiet': init failed"));
}

/* A failing reporter is terminated and restarted with its subscriptions, others go on. */
static void test_restart_keeps_subscriptions(void **state)
{
    (void)state;
    memset(&flaky_counts, 0, sizeof(flaky_counts));
    atomic_store(&flaky_counts.fail_every, 5);
    recorder *rec = recorder_new();
    add_callback_reporter("steady", rec);
    extatus_option options[] = {EXTATUS_OPT_NUMBER("restart_delay", 30)};
    assert_ok(extatus_reporter_add("flaky", &flaky_ops, options, 1));
    assert_ok(extatus_new(NULL, "load_a", "gauge", NULL, 0));
    assert_ok(extatus_new(NULL, "load_b", "gauge", NULL, 0));
    extatus_subscription a = subscription("load_a", "value", 15);
    extatus_subscription b = subscription("load_b", "value", 15);
    assert_ok(extatus_subscribe("flaky", &a));
    assert_ok(extatus_subscribe("flaky", &b));
    assert_ok(extatus_subscribe("steady", &a));
    assert_int_equal(atomic_load(&flaky_counts.subscribes), 2);
    assert_true(wait_restarts("flaky", 2));
    /* Healthy again: once running, the counters hold still for the checks below. */
    atomic_store(&flaky_counts.fail_every, 0);
    extatus_reporter_status status;
    for (int i = 0; i < 5000 && (extatus_reporter_get_status("flaky", &status), !status.running);
         i++)
        sleep_ms(2);

    assert_ok(extatus_reporter_get_status("flaky", &status));
    print_message("flaky: %llu failures, %llu restarts, %d inits, %d subscribes, %d reports\n",
                  (unsigned long long)status.failures, (unsigned long long)status.restarts,
                  atomic_load(&flaky_counts.inits), atomic_load(&flaky_counts.subscribes),
                  atomic_load(&flaky_counts.reports));
    assert_true(status.failures >= 2);
    assert_true(status.restarts >= 1);
    assert_int_equal(status.subscriptions, 2); /* kept across restarts */
    assert_int_equal(status.last_error, EXTATUS_ERR_SYSTEM);
    /* Each restart: init again, then both subscriptions handed back. */
    int inits = atomic_load(&flaky_counts.inits);
    assert_true(inits >= 2);
    assert_int_equal(atomic_load(&flaky_counts.subscribes), 2 * inits);
    assert_true(atomic_load(&flaky_counts.terminates) >= (int)status.failures - 1);
    assert_int_equal(atomic_load(&flaky_counts.last_reason), EXTATUS_ERR_SYSTEM);
    /* Deliveries went on after restarts (more than one failure cycle's worth). */
    assert_true(atomic_load(&flaky_counts.reports) > 8);
    /* The other reporter was not disturbed. */
    assert_true(wait_count(rec, "load_a", "value", "", 8));
    assert_ok(extatus_reporter_get_status("steady", &status));
    assert_int_equal(status.failures, 0);

    /* Healthy again: it stays up. */
    for (int i = 0; i < 5000 && (extatus_reporter_get_status("flaky", &status), !status.running);
         i++)
        sleep_ms(2);
    assert_int_equal(status.running, 1);
    uint64_t failures = status.failures;
    sleep_ms(80);
    assert_ok(extatus_reporter_get_status("flaky", &status));
    assert_int_equal(status.failures, failures);

    /* New entries and option changes are announced. */
    assert_ok(extatus_new(NULL, "announced", "gauge", NULL, 0));
    assert_int_equal(atomic_load(&flaky_counts.new_entries), 1);
    const double bounds[] = {1, 2};
    extatus_option buckets[] = {EXTATUS_OPT_DOUBLES("buckets", bounds, 2)};
    assert_ok(extatus_new(NULL, "tuned", "histogram", buckets, 1));
    assert_ok(extatus_setopts(NULL, "tuned", EXTATUS_ALL_SERIES, buckets, 1));
    assert_int_equal(atomic_load(&flaky_counts.setopts), 1);

    int terminates = atomic_load(&flaky_counts.terminates);
    assert_ok(extatus_reporter_remove("flaky"));
    assert_int_equal(atomic_load(&flaky_counts.terminates), terminates + 1);
    assert_int_equal(atomic_load(&flaky_counts.last_reason), EXTATUS_OK);
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_reporter_get_status("flaky", &status));
    assert_ok(extatus_reporter_remove("steady"));
    recorder_free(rec);
}

/* A callback reporter whose function fails is restarted the same way. */
static void test_callback_failure_isolated(void **state)
{
    (void)state;
    recorder *rec = recorder_new();
    rec->fail_at = 2;
    add_callback_reporter("cb", rec);
    assert_ok(extatus_new(NULL, "pulse", "gauge", NULL, 0));
    extatus_subscription sub = subscription("pulse", "value", 10);
    assert_ok(extatus_subscribe("cb", &sub));
    assert_true(wait_restarts("cb", 1));
    assert_true(wait_count(rec, "pulse", "value", "", 4));
    extatus_reporter_status status;
    assert_ok(extatus_reporter_get_status("cb", &status));
    assert_int_equal(status.failures, 1);
    assert_int_equal(status.restarts, 1);
    assert_int_equal(status.last_error, EXTATUS_ERR_CALLBACK);
    assert_int_equal(status.running, 1);
    assert_true(count_matching(rec, "pulse", "value", "", NULL) >= 4);
    assert_ok(extatus_reporter_remove("cb"));
    recorder_free(rec);
}

/* ---- loss accounting ------------------------------------------------------------ */

typedef struct half_failing {
    atomic_int calls;
    atomic_int items_ok;     /* items of calls that succeeded */
    atomic_int items_failed; /* items of calls that failed */
} half_failing;

/* Fails every second call. */
static int fail_every_second(const extatus_report_item *items, size_t count, void *user_data)
{
    (void)items;
    half_failing *self = user_data;
    bool fail = atomic_fetch_add(&self->calls, 1) % 2 == 1;
    atomic_fetch_add(fail ? &self->items_failed : &self->items_ok, (int)count);
    return fail ? -1 : 0;
}

/* Reads a sample of the default registry's text exposition (-1 when absent). */
static double exposed_value(const char *sample)
{
    extatus_buf buf = EXTATUS_BUF_INIT;
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    assert_ok(extatus_expose(&buf, NULL, 0, &options));
    double value = -1;
    const char *at = strstr(buf.ptr, sample);
    if (at)
        value = strtod(at + strlen(sample), NULL);
    extatus_buf_dispose(&buf);
    return value;
}

/*
 * Every item read is counted once: delivered, or dropped with a reason
 * (the failed call's items as errors, the ticks while waiting to restart
 * as down); the same numbers are exposed as self-metrics.
 */
static void test_loss_counted(void **state)
{
    (void)state;
    half_failing counts = {0};
    extatus_option options[] = {EXTATUS_OPT_FUNCTION("function", fail_every_second),
                                EXTATUS_OPT_POINTER("user_data", &counts),
                                EXTATUS_OPT_NUMBER("restart_delay", 40)};
    assert_ok(extatus_reporter_add("lossy", extatus_reporter_callback(), options, 3));
    assert_ok(extatus_new(NULL, "loss_level", "gauge", NULL, 0));
    extatus_subscription sub = subscription("loss_level", "value", 10);
    assert_ok(extatus_subscribe("lossy", &sub));
    for (int i = 0; i < 5000 && atomic_load(&counts.calls) < 6; i++)
        sleep_ms(2);
    assert_ok(extatus_unsubscribe("lossy", &sub)); /* waits for a tick in progress */

    extatus_reporter_status status;
    assert_ok(extatus_reporter_get_status("lossy", &status));
    print_message("delivered %llu, dropped error %llu, down %llu\n",
                  (unsigned long long)status.delivered, (unsigned long long)status.dropped_error,
                  (unsigned long long)status.dropped_down);
    assert_true(atomic_load(&counts.calls) >= 6);
    assert_int_equal(status.delivered, atomic_load(&counts.items_ok));
    assert_int_equal(status.dropped_error, atomic_load(&counts.items_failed));
    assert_true(status.dropped_error >= 3);
    /* restart_delay 40 ms at a 10 ms interval: ticks in between are read and dropped. */
    assert_true(status.dropped_down >= status.dropped_error);
    assert_int_equal(status.dropped_timeout, 0);
    assert_int_equal(status.dropped_stopped, 0);

    assert_true(exposed_value("extatus_reporter_delivered_total{reporter=\"lossy\"} ") ==
                (double)status.delivered);
    assert_true(
        exposed_value("extatus_reporter_dropped_total{reporter=\"lossy\",reason=\"error\"} ") ==
        (double)status.dropped_error);
    assert_true(
        exposed_value("extatus_reporter_dropped_total{reporter=\"lossy\",reason=\"down\"} ") ==
        (double)status.dropped_down);
    assert_true(exposed_value(
                    "extatus_reporter_dropped_total{reporter=\"lossy\",reason=\"timeout\"} ") == 0);
    assert_ok(extatus_reporter_remove("lossy"));
    /* A removed reporter's self-metrics are left out of the exposition. */
    assert_true(exposed_value("extatus_reporter_delivered_total{reporter=\"lossy\"} ") == -1);
}

/* ---- the line reporter -------------------------------------------------------- */

static int listen_local(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t length = sizeof(addr);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &length), 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

/* Wait up to timeout_ms for fd to be readable. */
static bool readable(int fd, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, timeout_ms) == 1;
}

/* Read from fd until `needle` appears or the time is up; returns the text (static). */
static const char *read_until(int fd, const char *needle, int timeout_ms)
{
    static char text[16384];
    size_t used = 0;
    text[0] = '\0';
    for (int waited = 0; waited < timeout_ms && !strstr(text, needle); waited += 10) {
        if (!readable(fd, 10))
            continue;
        ssize_t n = read(fd, text + used, sizeof(text) - 1 - used);
        if (n <= 0)
            break;
        used += (size_t)n;
        text[used] = '\0';
    }
    return text;
}

static void test_line_reporter_tcp(void **state)
{
    (void)state;
    int port = 0;
    int server = listen_local(&port);
    char address[64];
    snprintf(address, sizeof(address), "127.0.0.1:%d", port);

    const char *labels[] = {"room", "sensor"};
    extatus_option family[] = {EXTATUS_OPT_STRINGS("labels", labels, 2)};
    assert_ok(extatus_new(NULL, "temp_celsius", "gauge", family, 1));
    const char *kitchen[] = {"kitchen", "a b;c"};
    assert_ok(extatus_update(NULL, "temp_celsius", extatus_labels_of(kitchen, 2), 21.5));
    assert_ok(extatus_new(NULL, "door_opens_total", "counter", NULL, 0));
    assert_ok(extatus_update(NULL, "door_opens_total", EXTATUS_NO_LABELS, 3));

    extatus_option options[] = {EXTATUS_OPT_STRING("address", address),
                                EXTATUS_OPT_STRING("prefix", "home.ground floor"),
                                EXTATUS_OPT_NUMBER("restart_delay", 20)};
    assert_ok(extatus_reporter_add("graphite", extatus_reporter_line(), options, 3));
    extatus_subscription temp = subscription("temp_celsius", "value", 20);
    extatus_subscription door = subscription("door_opens_total", "value", 20);
    assert_ok(extatus_subscribe("graphite", &temp));
    assert_ok(extatus_subscribe("graphite", &door));

    assert_true(readable(server, 2000));
    int conn = accept(server, NULL, NULL);
    assert_true(conn >= 0);
    const char *text = read_until(conn, "door_opens_total", 2000);
    long now = (long)time(NULL);
    char expected_temp[128], expected_door[128];
    /*
     * Path characters Graphite does not take (the space) become '_'; in tag values the space
     * and the tag separator are %XX-escaped.
     */
    const char *line =
        strstr(text, "home.ground_floor.temp_celsius.value;room=kitchen;sensor=a%20b%3Bc 21.5 ");
    assert_non_null(line);
    long stamp = strtol(strchr(line, ' ') + 6, NULL, 10);
    assert_true(stamp >= now - 5 && stamp <= now + 1);
    snprintf(expected_temp, sizeof(expected_temp), "21.5 %ld\n", stamp);
    assert_non_null(strstr(line, expected_temp));
    snprintf(expected_door, sizeof(expected_door), "home.ground_floor.door_opens_total.value 3 ");
    assert_non_null(strstr(text, expected_door));

    /*
     * The listener drops the connection: the reporter connects again (noticing the closed
     * connection before its next write, or failing and restarting when it was writing).
     */
    close(conn);
    assert_true(readable(server, 3000));
    conn = accept(server, NULL, NULL);
    assert_true(conn >= 0);
    text = read_until(conn, "door_opens_total.value 3 ", 2000);
    assert_non_null(strstr(text, "door_opens_total.value 3 "));
    extatus_reporter_status status;
    assert_ok(extatus_reporter_get_status("graphite", &status));
    assert_true(status.delivered >= 2);
    assert_true(status.failures <= status.restarts + 1);
    assert_int_equal(status.subscriptions, 2);
    assert_ok(extatus_reporter_remove("graphite"));
    close(conn);
    close(server);
}

static void test_line_reporter_fd(void **state)
{
    (void)state;
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    assert_ok(extatus_new(NULL, "lat_seconds", "summary", NULL, 0));
    assert_ok(extatus_update(NULL, "lat_seconds", EXTATUS_NO_LABELS, 0.25));
    assert_ok(extatus_update(NULL, "lat_seconds", EXTATUS_NO_LABELS, 0.5));
    extatus_option options[] = {EXTATUS_OPT_NUMBER("fd", pipe_fds[1])};
    assert_ok(extatus_reporter_add("pipe", extatus_reporter_line(), options, 1));
    extatus_subscription all = subscription("lat_seconds", NULL, 20);
    assert_ok(extatus_subscribe("pipe", &all));
    const char *text = read_until(pipe_fds[0], "lat_seconds.sum ", 2000);
    assert_non_null(strstr(text, "lat_seconds.count 2 "));
    assert_non_null(strstr(text, "lat_seconds.sum 0.75 "));
    assert_ok(extatus_reporter_remove("pipe"));
    /* The reporter never closes a descriptor it was given. */
    assert_int_equal(write(pipe_fds[1], "x", 1), 1);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

/*
 * Graphite tags keep every label set apart: UTF-8 and "=!^" stay, what the
 * line or the tag syntax cannot carry is %XX-escaped (so is '%'), and the
 * label `name` (Graphite's own tag) becomes `_name`, `_name` becomes `__name`.
 */
static void test_line_reporter_tags(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        const char *line; /* the expected line up to the timestamp */
    } cases[] = {
        {"müller", "tag_level.value;tenant=müller 1 "},
        {"with space", "tag_level.value;tenant=with%20space 2 "},
        {"with_space", "tag_level.value;tenant=with_space 3 "},
        {"a%20b", "tag_level.value;tenant=a%2520b 4 "},
        {"~x~", "tag_level.value;tenant=%7Ex~ 5 "},
        {"semi;colon", "tag_level.value;tenant=semi%3Bcolon 6 "},
        {"x=y!^", "tag_level.value;tenant=x=y!^ 7 "},
        {"{end}", "tag_level.value;tenant={end%7D 8 "},
        {"tab\there", "tag_level.value;tenant=tab%09here 9 "},
    };
    const size_t count = sizeof(cases) / sizeof(cases[0]);
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    const char *tenant[] = {"tenant"};
    extatus_option tenant_family[] = {EXTATUS_OPT_STRINGS("labels", tenant, 1)};
    assert_ok(extatus_new(NULL, "tag_level", "gauge", tenant_family, 1));
    for (size_t i = 0; i < count; i++) {
        const char *values[] = {cases[i].value};
        assert_ok(extatus_update(NULL, "tag_level", extatus_labels_of(values, 1), (double)(i + 1)));
    }
    const char *names[] = {"name", "_name"};
    extatus_option named_family[] = {EXTATUS_OPT_STRINGS("labels", names, 2)};
    assert_ok(extatus_new(NULL, "named_level", "gauge", named_family, 1));
    const char *ab[] = {"a", "b"};
    assert_ok(extatus_update(NULL, "named_level", extatus_labels_of(ab, 2), 10));

    extatus_option options[] = {EXTATUS_OPT_NUMBER("fd", pipe_fds[1])};
    assert_ok(extatus_reporter_add("tags", extatus_reporter_line(), options, 1));
    extatus_subscription tags = subscription("tag_level", "value", 20);
    extatus_subscription named = subscription("named_level", "value", 20);
    assert_ok(extatus_subscribe("tags", &tags));
    assert_ok(extatus_subscribe("tags", &named));
    /* Read until the last line of one whole delivery has arrived twice (so all of one did). */
    static char text[32768];
    size_t used = 0;
    text[0] = '\0';
    for (int waited = 0; waited < 3000; waited += 10) {
        const char *first = strstr(text, "named_level.value;");
        if (first && strstr(first + 1, "named_level.value;"))
            break;
        if (!readable(pipe_fds[0], 10))
            continue;
        ssize_t n = read(pipe_fds[0], text + used, sizeof(text) - 1 - used);
        assert_true(n > 0);
        used += (size_t)n;
        text[used] = '\0';
    }
    assert_ok(extatus_reporter_remove("tags"));
    assert_non_null(strstr(text, "named_level.value;_name=a;__name=b 10 "));
    for (size_t i = 0; i < count; i++) {
        if (!strstr(text, cases[i].line))
            print_error("missing: %s\nin: %s\n", cases[i].line, text);
        assert_non_null(strstr(text, cases[i].line));
    }
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

/* Bad input is refused with an error that names the offender. */
static void test_errors(void **state)
{
    (void)state;
    extatus_option both[] = {EXTATUS_OPT_NUMBER("fd", 1), EXTATUS_OPT_STRING("address", "x:1")};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_reporter_add("g", extatus_reporter_line(), both, 2));
    assert_non_null(strstr(extatus_error_last(), "'g'"));
    assert_extatus(EXTATUS_ERR_OPTION, extatus_reporter_add("g", extatus_reporter_line(), NULL, 0));
    extatus_option odd[] = {EXTATUS_OPT_STRING("adress", "x:1")};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_reporter_add("g", extatus_reporter_line(), odd, 1));
    assert_non_null(strstr(extatus_error_last(), "adress"));
    extatus_option no_port[] = {EXTATUS_OPT_STRING("address", "localhost")};
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_reporter_add("g", extatus_reporter_line(), no_port, 1));
    assert_non_null(strstr(extatus_error_last(), "host:port"));
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_reporter_add("c", extatus_reporter_callback(), NULL, 0));
    assert_non_null(strstr(extatus_error_last(), "function"));
    extatus_option delay[] = {EXTATUS_OPT_NUMBER("restart_delay", 0)};
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_reporter_add("c", extatus_reporter_callback(), delay, 1));
    assert_extatus(EXTATUS_ERR_INVALID,
                   extatus_reporter_add("", extatus_reporter_callback(), NULL, 0));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_reporter_add("x", NULL, NULL, 0));
    extatus_reporter_ops no_report = flaky_ops;
    no_report.report = NULL;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_reporter_add("x", &no_report, NULL, 0));
    extatus_reporter_ops future = flaky_ops;
    future.version = 99;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_reporter_add("x", &future, NULL, 0));

    recorder *rec = recorder_new();
    add_callback_reporter("cb", rec);
    extatus_option again[] = {EXTATUS_OPT_FUNCTION("function", record_items)};
    assert_extatus(EXTATUS_ERR_EXISTS,
                   extatus_reporter_add("cb", extatus_reporter_callback(), again, 1));
    extatus_subscription sub = subscription("m", NULL, 0);
    assert_extatus(EXTATUS_ERR_INVALID, extatus_subscribe("cb", &sub));
    assert_non_null(strstr(extatus_error_last(), "'m'"));
    sub.interval_ms = 10;
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_subscribe("nobody", &sub));
    assert_non_null(strstr(extatus_error_last(), "nobody"));
    sub.metric = NULL;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_subscribe("cb", &sub));
    sub = subscription("m", NULL, 10);
    sub.version = 7;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_subscribe("cb", &sub));
    sub = subscription("m", NULL, 10);
    sub.label_count = 1;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_subscribe("cb", &sub));
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_reporter_remove("nobody"));
    /* Subscribing the same thing again changes its interval, not the count. */
    sub = subscription("m", NULL, 10);
    assert_ok(extatus_subscribe("cb", &sub));
    sub.interval_ms = 20;
    assert_ok(extatus_subscribe("cb", &sub));
    extatus_reporter_status status;
    assert_ok(extatus_reporter_get_status("cb", &status));
    assert_int_equal(status.subscriptions, 1);
    /* Shutdown with a reporter and subscriptions left: everything is freed. */
    extatus_shutdown();
    assert_ok(extatus_init());
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_reporter_get_status("cb", &status));
    recorder_free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delivered_at_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_series_and_waiting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_subscriptions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_failure_isolated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_reporter_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_reporter_fd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loss_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_line_reporter_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_failure_message_is_never_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
