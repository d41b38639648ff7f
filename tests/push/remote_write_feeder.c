/*
 * remote_write_feeder.c - a program that reports through the remote write
 * reporter, for the tests against real receivers and the fault receiver
 * (remote_write_receivers_test.py):
 *
 *   remote_write_feeder SCENARIO URL RUN_MS [option=value ...]
 *
 * URL "-" leaves the URL to EXTATUS_REMOTE_WRITE_URL. Options go to the
 * reporter (numbers when they parse as numbers;
 * external_labels and headers split at ','). Scenarios:
 *   values  gauges, a counter and a histogram with the values the test
 *           expects; once they were accepted, series room=cellar is
 *           removed and the program waits until its stale marker was sent.
 *   gauge   one gauge rw_fault_gauge{} = 1 for RUN_MS.
 *   dup     a gauge whose label "job" repeats an external label (refused).
 *   worker  a worker rw_worker, up, then deregistered: its activity goes to 0
 *           (down) and, 300 ms later, its series is removed; the program
 *           waits until the stale marker for it was sent.
 *   relabel series of rw_relabel{k,m} made and removed one after the
 *           other, each living for a few deliveries: series i has value i,
 *           k="v<i>" (k="" for odd i: no label) and m="same", so that a
 *           new series may take the memory of the one removed before it.
 *   yaml    the gauge of "gauge", with reporter "rw" and its subscription
 *           loaded from the configuration file named where the URL goes.
 * At the end it removes the reporter, timing the removal, and prints one
 * line of JSON with the counters and remove_ms.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <extatus.h>
#include <extatus/remote_write.h>

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&d, &d) != 0) {
    }
}

static void check(int rc, const char *what)
{
    if (rc != EXTATUS_OK) {
        fprintf(stderr, "feeder: %s: %s (%s)\n", what, extatus_strerror(rc), extatus_error_last());
        exit(2);
    }
}

static void subscribe(const char *metric)
{
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = metric;
    sub.interval_ms = 100;
    check(extatus_subscribe("rw", &sub), metric);
}

static extatus_remote_write_stats stats(void)
{
    extatus_remote_write_stats s;
    check(extatus_remote_write_get_stats("rw", &s), "stats");
    return s;
}

/* Wait until `done` holds or `limit_ms` passed; 1 when it held. */
static int wait_for(int (*done)(const extatus_remote_write_stats *, uint64_t), uint64_t arg,
                    int64_t limit_ms)
{
    int64_t end = now_ms() + limit_ms;
    while (now_ms() < end) {
        extatus_remote_write_stats s = stats();
        if (done(&s, arg))
            return 1;
        sleep_ms(20);
    }
    return 0;
}

static int sent_at_least(const extatus_remote_write_stats *s, uint64_t n)
{
    return s->samples_sent >= n;
}

static int stale_sent(const extatus_remote_write_stats *s, uint64_t sent_before)
{
    return s->stale_markers >= 1 && s->queue_samples == 0 && s->samples_sent > sent_before;
}

static void scenario_values(int64_t run_ms)
{
    extatus_registry *r = extatus_registry_default();
    const char *room[] = {"room"};
    extatus_option gauge_options[] = {EXTATUS_OPT_STRING("help", "Room temperature."),
                                      EXTATUS_OPT_STRINGS("labels", room, 1)};
    extatus_family *temperature = NULL;
    check(extatus_family_new(&temperature, r, "rw_temperature", "gauge", gauge_options, 2),
          "gauge");
    extatus_gauge *kitchen = NULL, *cellar = NULL;
    check(extatus_gauge_get(&kitchen, temperature, EXTATUS_LABELS("kitchen")), "kitchen");
    check(extatus_gauge_get(&cellar, temperature, EXTATUS_LABELS("cellar")), "cellar");
    extatus_gauge_set(kitchen, 21.5);
    extatus_gauge_set(cellar, -3.25);
    const char *kind[] = {"kind"};
    extatus_option counter_options[] = {EXTATUS_OPT_STRING("help", "Jobs done."),
                                        EXTATUS_OPT_STRINGS("labels", kind, 1)};
    extatus_family *jobs = NULL;
    check(extatus_family_new(&jobs, r, "rw_jobs_total", "counter", counter_options, 2), "counter");
    extatus_counter *jobs_a = NULL;
    check(extatus_counter_get(&jobs_a, jobs, EXTATUS_LABELS("a")), "jobs");
    extatus_counter_add(jobs_a, 7);
    static const double bounds[] = {0.1, 1};
    extatus_histogram *latency = NULL;
    check(extatus_histogram_new(&latency, r, "rw_latency_seconds", "Latency.", bounds, 2),
          "histogram");
    extatus_histogram_observe(latency, 0.05);
    extatus_histogram_observe(latency, 0.5);
    extatus_histogram_observe(latency, 3);
    subscribe("rw_temperature");
    subscribe("rw_jobs_total");
    subscribe("rw_latency_seconds");
    /* The reporter's own counters, pushed by itself. */
    check(extatus_remote_write_register_metrics(NULL, "rw"), "self-metrics");
    subscribe("extatus_remote_write_samples_sent_total");
    /* 2 gauges + 1 counter + 3 buckets, sum and count = 8 samples a round. */
    if (!wait_for(sent_at_least, 8, run_ms)) {
        fprintf(stderr, "feeder: nothing accepted in %lld ms: %s\n", (long long)run_ms,
                stats().last_error);
        exit(3);
    }
    uint64_t before = stats().samples_sent;
    check(extatus_family_remove(temperature, EXTATUS_LABELS("cellar")), "remove cellar");
    if (!wait_for(stale_sent, before, run_ms)) {
        fprintf(stderr, "feeder: no stale marker sent in %lld ms\n", (long long)run_ms);
        exit(3);
    }
}

static const char *worker_name(void *state)
{
    (void)state;
    return "rw_worker";
}

/* The stale marker left the queue (its request ends before the reporter's removal returns). */
static int stale_taken(const extatus_remote_write_stats *s, uint64_t unused)
{
    (void)unused;
    return s->stale_markers >= 1 && s->queue_samples == 0;
}

static int down_sent(const extatus_remote_write_stats *s, uint64_t sent_before)
{
    return s->samples_sent > sent_before + 2; /* a few rounds with the worker down */
}

static void scenario_worker(int64_t run_ms)
{
    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = 100;
    process.retention_ms = 300; /* the down worker's series goes 300 ms after it went down */
    check(extatus_process_start(&process), "process handler");
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static const extatus_worker_ops ops = {.version = EXTATUS_WORKER_OPS_VERSION,
                                           .get_name = worker_name};
    extatus_worker_options lock_mode = EXTATUS_WORKER_OPTIONS_INIT;
    lock_mode.mode = EXTATUS_WORKER_LOCK;
    lock_mode.lock = &lock;
    extatus_worker *worker = NULL;
    check(extatus_process_register(&worker, &ops, NULL, &lock_mode), "worker");
    subscribe("extatus_process_activity");
    if (!wait_for(sent_at_least, 2, run_ms)) {
        fprintf(stderr, "feeder: nothing accepted in %lld ms\n", (long long)run_ms);
        exit(3);
    }
    check(extatus_process_deregister(worker, EXTATUS_REASON_NORMAL), "deregister");
    if (!wait_for(down_sent, stats().samples_sent, run_ms) || !wait_for(stale_taken, 0, run_ms)) {
        extatus_remote_write_stats s = stats();
        fprintf(stderr,
                "feeder: the retired worker's stale marker was not sent (sent %llu, stale %llu, "
                "queued %llu)\n",
                (unsigned long long)s.samples_sent, (unsigned long long)s.stale_markers,
                (unsigned long long)s.queue_samples);
        exit(3);
    }
    extatus_process_stop();
}

static void scenario_gauge(int64_t run_ms)
{
    extatus_gauge *g = NULL;
    check(extatus_gauge_new(&g, NULL, "rw_fault_gauge", "A gauge."), "gauge");
    extatus_gauge_set(g, 1);
    subscribe("rw_fault_gauge");
    sleep_ms(run_ms);
}

static void scenario_relabel(int64_t run_ms)
{
    const char *names[] = {"k", "m"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", names, 2)};
    extatus_family *f = NULL;
    check(extatus_family_new(&f, NULL, "rw_relabel", "gauge", options, 1), "relabel family");
    subscribe("rw_relabel");
    int64_t end = now_ms() + run_ms;
    for (int i = 0; now_ms() < end; i++) {
        char k[32];
        snprintf(k, sizeof(k), i % 2 ? "" : "v%d", i);
        extatus_gauge *g = NULL;
        check(extatus_gauge_get(&g, f, EXTATUS_LABELS(k, "same")), "relabel series");
        extatus_gauge_set(g, i);
        sleep_ms(250); /* a few deliveries at the 100 ms interval */
        check(extatus_family_remove(f, EXTATUS_LABELS(k, "same")), "relabel remove");
    }
}

static void scenario_dup(int64_t run_ms)
{
    const char *job[] = {"job"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", job, 1)};
    extatus_family *f = NULL;
    check(extatus_family_new(&f, NULL, "rw_dup", "gauge", options, 1), "dup family");
    extatus_gauge *g = NULL;
    check(extatus_gauge_get(&g, f, EXTATUS_LABELS("from_the_family")), "dup series");
    extatus_gauge_set(g, 5);
    subscribe("rw_dup");
    sleep_ms(run_ms);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s values|gauge|dup URL RUN_MS [option=value ...]\n", argv[0]);
        return 2;
    }
    check(extatus_process_collector_set_default(0), "collector");
    int64_t run_ms = atoll(argv[3]);
    extatus_option options[32];
    const char *lists[32][16];
    size_t count = 0;
    if (strcmp(argv[2], "-") != 0) /* "-": the URL comes from EXTATUS_REMOTE_WRITE_URL */
        options[count++] = (extatus_option)EXTATUS_OPT_STRING("url", argv[2]);
    for (int i = 4; i < argc && count < 32; i++) {
        char *equals = strchr(argv[i], '=');
        if (!equals)
            continue;
        *equals = '\0';
        const char *key = argv[i];
        char *value = equals + 1;
        char *end = NULL;
        double number = strtod(value, &end);
        if (strcmp(key, "external_labels") == 0 || strcmp(key, "headers") == 0) {
            size_t n = 0;
            for (char *piece = strtok(value, ","); piece && n < 16; piece = strtok(NULL, ","))
                lists[count][n++] = piece;
            options[count] = (extatus_option)EXTATUS_OPT_STRINGS(key, lists[count], n);
            count++;
        } else if (end != value && *end == '\0' && strcmp(key, "protocol") != 0) {
            options[count++] = (extatus_option)EXTATUS_OPT_NUMBER(key, number);
        } else {
            options[count++] = (extatus_option)EXTATUS_OPT_STRING(key, value);
        }
    }
    if (strcmp(argv[1], "yaml") == 0) {
#ifdef EXTATUS_FEEDER_YAML
        extatus_gauge *g = NULL;
        check(extatus_gauge_new(&g, NULL, "rw_fault_gauge", "A gauge."), "gauge");
        extatus_gauge_set(g, 1);
        check(extatus_config_load(argv[2]), "configuration file");
        sleep_ms(run_ms);
#else
        fprintf(stderr, "feeder: built without extatus-yaml\n");
        return 2;
#endif
    } else {
        check(extatus_remote_write_add("rw", options, count), "add reporter");
    }
    if (strcmp(argv[1], "yaml") == 0)
        ;
    else if (strcmp(argv[1], "values") == 0)
        scenario_values(run_ms);
    else if (strcmp(argv[1], "dup") == 0)
        scenario_dup(run_ms);
    else if (strcmp(argv[1], "worker") == 0)
        scenario_worker(run_ms);
    else if (strcmp(argv[1], "relabel") == 0)
        scenario_relabel(run_ms);
    else
        scenario_gauge(run_ms);
    int64_t start = now_ms();
    check(extatus_reporter_remove("rw"), "remove reporter");
    int64_t remove_ms = now_ms() - start;
    extatus_remote_write_stats s = stats();
    printf("{\"samples_sent\": %llu, \"bytes_sent\": %llu, \"requests_sent\": %llu, "
           "\"requests_failed\": %llu, \"samples_retried\": %llu, \"dropped_invalid\": %llu, "
           "\"dropped_queue_full\": %llu, \"dropped_rejected\": %llu, "
           "\"dropped_retry_limit\": %llu, \"dropped_shutdown\": %llu, \"stale_markers\": %llu, "
           "\"queue_samples\": %llu, \"last_success_ms\": %lld, \"protocol\": %d, "
           "\"last_status\": %ld, \"remove_ms\": %lld, \"last_error\": \"",
           (unsigned long long)s.samples_sent, (unsigned long long)s.bytes_sent,
           (unsigned long long)s.requests_sent, (unsigned long long)s.requests_failed,
           (unsigned long long)s.samples_retried, (unsigned long long)s.dropped_invalid,
           (unsigned long long)s.dropped_queue_full, (unsigned long long)s.dropped_rejected,
           (unsigned long long)s.dropped_retry_limit, (unsigned long long)s.dropped_shutdown,
           (unsigned long long)s.stale_markers, (unsigned long long)s.queue_samples,
           (long long)s.last_success_ms, s.protocol, s.last_status, (long long)remove_ms);
    for (const char *c = s.last_error; *c; c++)
        if (*c == '"' || *c == '\\')
            printf("\\%c", *c);
        else if ((unsigned char)*c >= 0x20)
            putchar(*c);
    printf("\"}\n");
    extatus_shutdown();
    return 0;
}
