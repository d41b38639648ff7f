/*
 * load_target.c - the program the load test hammers: an exporter on
 * loopback serving a registry that two threads keep changing, one updating
 * kept handles, one creating and removing series. It prints its port and
 * runs until its standard input closes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <extatus.h>
#include <extatus/exporter.h>

static atomic_int running = 1;
static extatus_family *requests;
static extatus_family *sessions;
static extatus_family *latency;

static void *update_loop(void *arg)
{
    (void)arg;
    extatus_counter *counters[64];
    extatus_histogram *histograms[8];
    for (int i = 0; i < 64; i++) {
        char code[8];
        snprintf(code, sizeof(code), "%d", 200 + i);
        const char *values[] = {i % 2 ? "GET" : "POST", code};
        if (extatus_counter_get(&counters[i], requests, extatus_labels_of(values, 2)) != EXTATUS_OK)
            abort();
    }
    for (int i = 0; i < 8; i++) {
        char route[16];
        snprintf(route, sizeof(route), "/r%d", i);
        const char *values[] = {route};
        if (extatus_histogram_get(&histograms[i], latency, extatus_labels_of(values, 1)) !=
            EXTATUS_OK)
            abort();
    }
    for (unsigned long n = 0; atomic_load(&running); n++) {
        extatus_counter_inc(counters[n % 64]);
        extatus_histogram_observe(histograms[n % 8], (double)(n % 1000) / 1000.0);
    }
    return NULL;
}

/* Series come and go: at most 2,000 live, each removed after a while. */
static void *churn_loop(void *arg)
{
    (void)arg;
    struct timespec pause = {0, 50 * 1000};
    for (unsigned long n = 0; atomic_load(&running); n++) {
        char id[24];
        snprintf(id, sizeof(id), "s%lu", n % 4000);
        const char *values[] = {id};
        if (n % 4000 < 2000) {
            extatus_gauge *gauge;
            if (extatus_gauge_get(&gauge, sessions, extatus_labels_of(values, 1)) != EXTATUS_OK)
                abort();
            extatus_gauge_set(gauge, (double)n);
        } else {
            snprintf(id, sizeof(id), "s%lu", n % 4000 - 2000);
            if (extatus_family_remove(sessions, extatus_labels_of(values, 1)) != EXTATUS_OK)
                abort();
        }
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int main(void)
{
    const char *request_labels[] = {"method", "code"};
    const char *session_labels[] = {"session"};
    const char *latency_labels[] = {"route"};
    extatus_option request_options[] = {EXTATUS_OPT_STRINGS("labels", request_labels, 2)};
    extatus_option session_options[] = {EXTATUS_OPT_STRINGS("labels", session_labels, 1)};
    extatus_option latency_options[] = {EXTATUS_OPT_STRINGS("labels", latency_labels, 1)};
    if (extatus_family_new(&requests, NULL, "load_requests_total", "counter", request_options, 1) !=
            EXTATUS_OK ||
        extatus_family_new(&sessions, NULL, "load_session_value", "gauge", session_options, 1) !=
            EXTATUS_OK ||
        extatus_family_new(&latency, NULL, "load_latency_seconds", "histogram", latency_options,
                           1) != EXTATUS_OK) {
        fprintf(stderr, "load_target: %s\n", extatus_error_last());
        return 1;
    }
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    options.port = 0;
    options.bind_address = "127.0.0.1";
    options.max_connections = 1024;
    options.connection_timeout = 120;
    extatus_exporter *exporter;
    if (extatus_exporter_start(&exporter, &options) != EXTATUS_OK) {
        fprintf(stderr, "load_target: %s\n", extatus_error_last());
        return 1;
    }
    pthread_t threads[2];
    pthread_create(&threads[0], NULL, update_loop, NULL);
    pthread_create(&threads[1], NULL, churn_loop, NULL);
    printf("%u\n", extatus_exporter_port(exporter));
    fflush(stdout);
    char byte;
    while (read(STDIN_FILENO, &byte, 1) > 0) {
    }
    atomic_store(&running, 0);
    pthread_join(threads[0], NULL);
    pthread_join(threads[1], NULL);
    extatus_exporter_stop(exporter);
    extatus_shutdown();
    return 0;
}
