/*
 * exporter.c - serve /metrics with the built-in exporter.
 *
 * The settings come from the environment (EXTATUS_PORT, EXTATUS_REGISTRY,
 * EXTATUS_TIMEOUT) and then from the command line (--port=, --registry=,
 * --timeout=), so `./exporter --port=9100` and `EXTATUS_PORT=9100
 * ./exporter` do the same. A worker thread does some "work" every
 * `timeout` milliseconds. Stop it with Ctrl-C.
 *
 *   ./exporter --port=0      # any free port; the port is printed
 *   curl -s localhost:4000/metrics
 *   curl -s -H 'Accept: application/openmetrics-text;version=1.0.0' \
 *        --compressed localhost:4000/metrics
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include <extatus.h>

static volatile sig_atomic_t stopping;

static void on_signal(int signal_number)
{
    (void)signal_number;
    stopping = 1;
}

int main(int argc, char **argv)
{
    extatus_config config = EXTATUS_CONFIG_INIT;
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter = NULL;
    extatus_registry *registry = NULL;
    extatus_histogram *latency;
    extatus_counter *jobs;
    struct sigaction action;
    int rc;

    /* Environment first, then flags: the command line wins. */
    rc = extatus_config_from_env(&config);
    if (rc == EXTATUS_OK)
        rc = extatus_config_from_args(&config, &argc, argv);
    if (rc != EXTATUS_OK) {
        fprintf(stderr, "exporter: %s\n", extatus_error_last()); /* names variable and value */
        return 2;
    }
    if (argc > 1) {
        fprintf(stderr, "exporter: unknown argument '%s'\n", argv[1]);
        return 2;
    }

    if (extatus_counter_new(&jobs, NULL, "example_jobs_total", "Jobs done.") != EXTATUS_OK ||
        extatus_histogram_new(&latency, NULL, "example_job_seconds", "Job duration.", NULL, 0) !=
            EXTATUS_OK) {
        fprintf(stderr, "exporter: %s\n", extatus_error_last());
        return 1;
    }
    if (extatus_registry_lookup(&registry, config.registry) != EXTATUS_OK) {
        /* A registry named on the command line that the program did not make: make it. */
        if (extatus_registry_new(&registry, config.registry, NULL) != EXTATUS_OK) {
            fprintf(stderr, "exporter: %s\n", extatus_error_last());
            return 1;
        }
    }

    options.port = config.port;
    options.registry_name = config.registry;
    rc = extatus_exporter_start(&exporter, &options);
    if (rc != EXTATUS_OK) {
        /* For example: cannot bind [::] (all addresses) port 4000: Address already in use */
        fprintf(stderr, "exporter: %s\n", extatus_error_last());
        return 1;
    }
    printf("exporter: serving registry '%s' on port %u, path /metrics\n", config.registry,
           extatus_exporter_port(exporter));
    fflush(stdout);

    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    while (!stopping) {
        struct timespec period = {(time_t)(config.timeout_ms / 1000),
                                  (long)(config.timeout_ms % 1000) * 1000000L};
        nanosleep(&period, NULL);
        extatus_counter_inc(jobs);
        extatus_histogram_observe(latency, 0.001 * (double)(config.timeout_ms % 97));
    }

    extatus_exporter_stop(exporter);
    extatus_shutdown();
    return 0;
}
