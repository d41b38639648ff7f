/*
 * demo.c - the `make demo` program: two worker threads serve simulated
 * requests for a moment, then the program prints what Prometheus would
 * scrape, first as text 0.0.4, then as OpenMetrics.
 *
 * (Once the HTTP exporter lands this demo will serve /metrics instead.)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <extatus.h>

#define REQUESTS_PER_WORKER 200000

typedef struct worker {
    const char *name;        /* value of the "worker" label */
    extatus_counter *ok;     /* requests_total{worker,code="200"} */
    extatus_counter *failed; /* requests_total{worker,code="500"} */
    extatus_histogram *latency;
    unsigned seed;
} worker;

static extatus_gauge *in_flight;

/* A small per-thread pseudo-random generator (xorshift32). */
static unsigned next_random(unsigned *state)
{
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static void *serve(void *arg)
{
    worker *self = arg;
    for (int i = 0; i < REQUESTS_PER_WORKER; i++) {
        extatus_gauge_inc(in_flight);
        double seconds = (next_random(&self->seed) % 1000) / 2000.0; /* 0 .. 0.5 s */
        extatus_histogram_observe(self->latency, seconds);
        if (next_random(&self->seed) % 50 == 0)
            extatus_counter_inc(self->failed);
        else
            extatus_counter_inc(self->ok);
        extatus_gauge_dec(in_flight);
    }
    return NULL;
}

static int check(int rc, const char *what)
{
    if (rc != EXTATUS_OK)
        fprintf(stderr, "demo: %s: %s\n", what, extatus_error_last());
    return rc;
}

int main(void)
{
    const char *request_labels[] = {"worker", "code"};
    const char *latency_labels[] = {"worker"};
    extatus_option request_options[] = {
        EXTATUS_OPT_STRING("help", "Requests served, by worker and status code."),
        EXTATUS_OPT_STRINGS("labels", request_labels, 2),
    };
    extatus_option latency_options[] = {
        EXTATUS_OPT_STRING("help", "Time to serve a request."),
        EXTATUS_OPT_STRING("unit", "seconds"),
        EXTATUS_OPT_STRINGS("labels", latency_labels, 1),
    };
    extatus_family *requests, *latency;
    worker workers[2] = {{"alpha", NULL, NULL, NULL, 1}, {"beta", NULL, NULL, NULL, 2}};
    pthread_t threads[2];

    if (check(extatus_family_new(&requests, NULL, "demo_requests_total", "counter", request_options,
                                 2),
              "requests") ||
        check(extatus_family_new(&latency, NULL, "demo_request_duration_seconds", "histogram",
                                 latency_options, 3),
              "latency") ||
        check(extatus_gauge_new(&in_flight, NULL, "demo_requests_in_flight", "Being served."),
              "in flight"))
        return 1;
    for (int i = 0; i < 2; i++) {
        const char *ok[] = {workers[i].name, "200"};
        const char *failed[] = {workers[i].name, "500"};
        const char *name[] = {workers[i].name};
        if (check(extatus_counter_get(&workers[i].ok, requests, ok), "series") ||
            check(extatus_counter_get(&workers[i].failed, requests, failed), "series") ||
            check(extatus_histogram_get(&workers[i].latency, latency, name), "series"))
            return 1;
        pthread_create(&threads[i], NULL, serve, &workers[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);

    extatus_format formats[] = {EXTATUS_FORMAT_TEXT, EXTATUS_FORMAT_OPENMETRICS};
    for (int i = 0; i < 2; i++) {
        extatus_buf text = EXTATUS_BUF_INIT;
        extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
        options.format = formats[i];
        if (check(extatus_expose(&text, NULL, 0, &options), "expose"))
            return 1;
        printf("--- Content-Type: %s\n%s", extatus_format_content_type(formats[i]), text.ptr);
        extatus_buf_dispose(&text);
    }
    extatus_shutdown();
    return 0;
}
