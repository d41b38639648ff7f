/*
 * demo.c - the `make demo` program: counter servers watched by the process
 * handler, served over HTTP by the exporter.
 *
 * Each worker is the seed's counter server (inc, dec, value) on a thread of
 * its own, reporting its value as instrument_gauge{label="<its name>"}:
 *
 *   steady_counter   answers every poll: always up (2);
 *   busy_counter     every 5 periods gets one request that takes 3 periods,
 *                    so it shows idle (1), then recovers;
 *   short_counter    ends after 3 periods (down, 0) and is restarted under
 *                    the same name 5 periods later; it alternates between
 *                    deregistering ("normal") and just letting its thread
 *                    end ("thread_exit").
 *   job_queue        a mutex-guarded queue in lock mode: up, its depth moving.
 *   pool_worker_1..4 a pool serving one queue (examples/pool.h), waiting for
 *                    work in extatus_worker_wait(): up while they wait; jobs
 *                    arrive every 3 periods; pool_worker_4 gets stuck outside
 *                    its wait for 2 periods in every 8 and shows idle then
 *                    (the gauge pool_stuck is 1 meanwhile).
 *
 * A period is the handler's `timeout` (EXTATUS_TIMEOUT or --timeout=,
 * default 1000 ms); the exporter listens on EXTATUS_PORT or --port=
 * (default 4000; 0 picks a free port). When EXTATUS_PUSHGATEWAY_URL is set
 * (and the push library was built), the gauges and worker states are also
 * pushed to that Pushgateway every 2 s, job "extatus_demo" (or
 * EXTATUS_PUSHGATEWAY_JOB). Stop with Ctrl-C or SIGTERM.
 *
 * The counter servers time their requests in a native histogram,
 * demo_request_seconds{worker}, and every 16th request carries an
 * exemplar with a made-up trace id (visible in OpenMetrics on the +Inf
 * bucket: curl -H 'Accept: application/openmetrics-text; version=1.0.0'
 * .../metrics).
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <extatus.h>

#include "pool.h"

static extatus_family *instrument; /* instrument_gauge{label} */
static unsigned period_ms;         /* the handler's timeout */
static atomic_int stopping;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- the counter server ----------------------------------------------------- */

typedef enum behaviour { STEADY, BUSY, SHORT } behaviour;

typedef struct counter_server {
    const char *name;                  /* unique worker name */
    behaviour behaviour;               /* how this one behaves */
    long n;                            /* the state: inc, dec, value */
    extatus_gauge *gauge;              /* instrument_gauge{label=name} */
    extatus_native_histogram *latency; /* demo_request_seconds{worker=name} */
    unsigned seed;                     /* for inc/dec */
    unsigned lives;                    /* times started */
    pthread_t thread;                  /* current life */
    bool running;                      /* a life was started and not joined */
    atomic_bool ended;                 /* the current life has returned */
} counter_server;

static const char *server_name(void *state)
{
    return ((counter_server *)state)->name;
}

/* The seed's report/1: Gauge.set(:instrument_gauge, [label: ...], n). */
static void server_report(void *state)
{
    counter_server *server = state;
    extatus_gauge_set(server->gauge, (double)server->n);
}

static const extatus_worker_ops server_ops = {
    .version = EXTATUS_WORKER_OPS_VERSION,
    .get_name = server_name,
    .report = server_report,
};

static unsigned next_random(unsigned *state)
{
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* Seconds since `start` (CLOCK_MONOTONIC). */
static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Time one request; every 16th carries an exemplar with a made-up trace id. */
static void observe_request(counter_server *server, long tick, const struct timespec *start)
{
    double seconds = seconds_since(start);
    if (tick % 16 == 0) {
        char trace_id[17];
        const char *names[] = {"trace_id"};
        const char *values[] = {trace_id};
        extatus_exemplar exemplar = {names, values, 1, 0};
        snprintf(trace_id, sizeof(trace_id), "%08x%08x", next_random(&server->seed),
                 next_random(&server->seed));
        extatus_native_histogram_observe_exemplar(server->latency, seconds, &exemplar);
    } else {
        extatus_native_histogram_observe(server->latency, seconds);
    }
}

static void *serve(void *arg)
{
    counter_server *server = arg;
    extatus_worker *self;
    if (extatus_process_register(&self, &server_ops, server, NULL) != EXTATUS_OK) {
        fprintf(stderr, "demo: %s\n", extatus_error_last());
        return NULL;
    }
    long tick_ms = 10;
    long ticks_per_period = period_ms / tick_ms ? (long)period_ms / tick_ms : 1;
    for (long tick = 1; !atomic_load(&stopping); tick++) {
        struct timespec start;
        clock_gettime(CLOCK_MONOTONIC, &start);
        /* One request: inc most of the time, dec sometimes. */
        if (next_random(&server->seed) % 4)
            server->n++;
        else
            server->n--;
        extatus_worker_checkpoint(self);
        if (server->behaviour == BUSY && tick % (5 * ticks_per_period) == 0)
            sleep_ms(3 * (long)period_ms); /* a slow request: no answer meanwhile */
        else
            sleep_ms(tick_ms);
        observe_request(server, tick, &start);
        if (server->behaviour == SHORT && tick >= 3 * ticks_per_period) {
            if (server->lives % 2)
                extatus_process_deregister(self, EXTATUS_REASON_NORMAL);
            /* Every other life the thread just ends, still registered: down all the same. */
            atomic_store(&server->ended, true);
            return NULL;
        }
    }
    extatus_process_deregister(self, EXTATUS_REASON_SHUTDOWN);
    return NULL;
}

static int start_life(counter_server *server)
{
    server->lives++;
    atomic_store(&server->ended, false);
    server->running = pthread_create(&server->thread, NULL, serve, server) == 0;
    return server->running ? 0 : -1;
}

/* ---- a queue in lock mode ------------------------------------------------------ */

typedef struct job_queue {
    pthread_mutex_t lock; /* guards depth */
    int depth;            /* jobs waiting */
    extatus_gauge *gauge; /* instrument_gauge{label="job_queue"} */
} job_queue;

static const char *queue_name(void *state)
{
    (void)state;
    return "job_queue";
}

static void queue_report(void *state)
{
    job_queue *queue = state;
    extatus_gauge_set(queue->gauge, queue->depth); /* the library holds queue->lock */
}

static const extatus_worker_ops queue_ops = {
    .version = EXTATUS_WORKER_OPS_VERSION,
    .get_name = queue_name,
    .report = queue_report,
};

/* ---- pushing (optional) --------------------------------------------------------- */

#define PUSH_INTERVAL_MS 2000

/*
 * With EXTATUS_PUSHGATEWAY_URL set, push instrument_gauge and
 * extatus_process_activity to it with the pushgateway reporter. Returns
 * the Pushgateway URL (NULL when not pushing).
 */
static const char *start_push(void)
{
    const char *url = getenv("EXTATUS_PUSHGATEWAY_URL");
    if (!url || !*url)
        return NULL;
#ifdef EXTATUS_EXAMPLE_PUSH
    const char *job = getenv("EXTATUS_PUSHGATEWAY_JOB");
    extatus_option push[] = {
        EXTATUS_OPT_STRING("job", job && *job ? job : "extatus_demo"),
    };
    if (extatus_reporter_add("pushgateway", extatus_reporter_pushgateway(), push, 1) !=
        EXTATUS_OK) {
        fprintf(stderr, "demo: not pushing: %s\n", extatus_error_last());
        return NULL;
    }
    const char *pushed[] = {"instrument_gauge", "extatus_process_activity"};
    for (size_t i = 0; i < sizeof(pushed) / sizeof(pushed[0]); i++) {
        extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
        sub.metric = pushed[i];
        sub.interval_ms = PUSH_INTERVAL_MS;
        if (extatus_subscribe("pushgateway", &sub) != EXTATUS_OK) {
            fprintf(stderr, "demo: not pushing %s: %s\n", pushed[i], extatus_error_last());
            return NULL;
        }
    }
    return url;
#else
    fprintf(stderr, "demo: EXTATUS_PUSHGATEWAY_URL is set, but this build has no extatus-push\n");
    return NULL;
#endif
}

/* ---- main ------------------------------------------------------------------------- */

static int fail(const char *what)
{
    fprintf(stderr, "demo: %s: %s\n", what, extatus_error_last());
    return 1;
}

/*
 * With EXTATUS_REMOTE_WRITE_URL set, push the worker states and the
 * instrument gauge there too (remote write, job extatus_demo unless
 * EXTATUS_REMOTE_WRITE_EXTERNAL_LABELS says otherwise), every period.
 */
static int start_remote_write(unsigned interval_ms)
{
#ifdef EXTATUS_EXAMPLE_PUSH
    static const char *const external[] = {"job=extatus_demo"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("external_labels", external, 1)};
    bool own_labels = getenv("EXTATUS_REMOTE_WRITE_EXTERNAL_LABELS") != NULL;
    if (extatus_remote_write_add("remote_write", options, own_labels ? 0 : 1) != EXTATUS_OK ||
        extatus_remote_write_register_metrics(NULL, "remote_write") != EXTATUS_OK)
        return -1;
    static const char *const metrics[] = {"extatus_process_activity", "instrument_gauge",
                                          "extatus_remote_write_samples_sent_total"};
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
        extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
        sub.metric = metrics[i];
        sub.interval_ms = interval_ms;
        if (extatus_subscribe("remote_write", &sub) != EXTATUS_OK)
            return -1;
    }
    printf("  remote write:  %s\n", getenv("EXTATUS_REMOTE_WRITE_URL"));
    return 0;
#else
    (void)interval_ms;
    fprintf(stderr, "demo: EXTATUS_REMOTE_WRITE_URL is set, but this build has no extatus-push\n");
    return 0;
#endif
}

int main(int argc, char **argv)
{
    extatus_config config = EXTATUS_CONFIG_INIT;
    const char *label[] = {"label"};
    const char *worker[] = {"worker"};
    extatus_option latency_options[] = {
        EXTATUS_OPT_STRING("help", "Time the counter servers take for a request."),
        EXTATUS_OPT_STRINGS("labels", worker, 1),
    };
    extatus_family *latency;
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Instrument gauge"),
        EXTATUS_OPT_STRINGS("labels", label, 1),
    };
    counter_server servers[] = {
        {.name = "steady_counter", .behaviour = STEADY, .seed = 1},
        {.name = "busy_counter", .behaviour = BUSY, .seed = 2},
        {.name = "short_counter", .behaviour = SHORT, .seed = 3},
    };
    const size_t server_count = sizeof(servers) / sizeof(servers[0]);
    job_queue queue = {PTHREAD_MUTEX_INITIALIZER, 0, NULL};
    static pool workers; /* pool_worker_1..4 */
    extatus_worker *queue_worker;
    extatus_exporter *exporter;
    sigset_t signals;

    /* Signals go to the sigwait below only: block them before any thread starts. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    if (extatus_config_from_env(&config) != EXTATUS_OK ||
        extatus_config_from_args(&config, &argc, argv) != EXTATUS_OK)
        return fail("configuration");
    period_ms = config.timeout_ms;

    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    process.timeout_ms = config.timeout_ms;
    process.retention_ms = 60 * config.timeout_ms; /* a minute at the default period */
    extatus_exporter_options http = EXTATUS_EXPORTER_OPTIONS_INIT;
    http.port = config.port;
    if (extatus_family_new(&instrument, NULL, "instrument_gauge", "gauge", options, 2) !=
            EXTATUS_OK ||
        extatus_family_new(&latency, NULL, "demo_request_seconds", "native_histogram",
                           latency_options, 2) != EXTATUS_OK ||
        extatus_process_start(&process) != EXTATUS_OK)
        return fail("set-up");
    if (extatus_exporter_start(&exporter, &http) != EXTATUS_OK)
        return fail("exporter");

    for (size_t i = 0; i < server_count; i++) {
        if (extatus_gauge_get(&servers[i].gauge, instrument, EXTATUS_LABELS(servers[i].name)) !=
                EXTATUS_OK ||
            extatus_native_histogram_get(&servers[i].latency, latency,
                                         EXTATUS_LABELS(servers[i].name)) != EXTATUS_OK)
            return fail("gauge");
        start_life(&servers[i]);
    }
    extatus_worker_options lock_mode = EXTATUS_WORKER_OPTIONS_INIT;
    lock_mode.mode = EXTATUS_WORKER_LOCK;
    lock_mode.lock = &queue.lock;
    if (extatus_gauge_get(&queue.gauge, instrument, EXTATUS_LABELS("job_queue")) != EXTATUS_OK ||
        extatus_process_register(&queue_worker, &queue_ops, &queue, &lock_mode) != EXTATUS_OK)
        return fail("job_queue");
    if (pool_start(&workers, 4, 4, period_ms, instrument) != 0)
        return fail("pool");

    const char *pushgateway = start_push();
    unsigned port = extatus_exporter_port(exporter);
    printf("extatus demo: polling 8 workers every %u ms\n", config.timeout_ms);
    printf("  metrics:       http://localhost:%u/metrics\n", port);
    printf("  status events: http://localhost:%u/events\n", port);
    printf("  workers page:  http://localhost:%u/\n", port);
    if (pushgateway)
        printf("  pushing to:    %s every %d ms\n", pushgateway, PUSH_INTERVAL_MS);
    if (getenv("EXTATUS_REMOTE_WRITE_URL") && start_remote_write(config.timeout_ms) != 0)
        return fail("remote write");
    printf("Stop with Ctrl-C.\n");
    fflush(stdout);

    /* Main loop: move the queue, restart the short-lived server, wait for a signal. */
    struct timespec step = {0, 100 * 1000000};
    long down_since = -1;
    long jobs_pushed_ms = 0;
    for (long tick = 0;; tick++) {
        if (sigtimedwait(&signals, NULL, &step) > 0)
            break;
        pthread_mutex_lock(&queue.lock);
        queue.depth = (int)(tick % 20);
        pthread_mutex_unlock(&queue.lock);
        counter_server *restartable = &servers[2];
        long now_ms = tick * 100;
        if (restartable->running && atomic_load(&restartable->ended)) {
            pthread_join(restartable->thread, NULL);
            restartable->running = false;
            down_since = now_ms;
        }
        if (!restartable->running && down_since >= 0 && now_ms - down_since >= 5 * (long)period_ms)
            start_life(restartable);
        if (now_ms - jobs_pushed_ms >= 3 * (long)period_ms) { /* jobs for the pool */
            pool_push(&workers, 2);
            jobs_pushed_ms = now_ms;
        }
    }

    printf("extatus demo: stopping\n");
    atomic_store(&stopping, 1);
    for (size_t i = 0; i < server_count; i++)
        if (servers[i].running)
            pthread_join(servers[i].thread, NULL);
    pool_stop(&workers);
    extatus_process_deregister(queue_worker, EXTATUS_REASON_SHUTDOWN);
    extatus_process_stop();
    extatus_exporter_stop(exporter);
    extatus_shutdown();
    printf("extatus demo: stopped\n");
    return 0;
}
