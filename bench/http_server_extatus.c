/*
 * http_server_extatus.c - the extatus side of the HTTP benchmark: a
 * counter family with 10,000 series (labels handler x instance, 100 x
 * 100, each incremented by a different amount) served by the exporter on
 * 127.0.0.1, any free port, 2 server threads. Prints the port, serves
 * until SIGTERM or SIGINT.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include <extatus.h>

#include "http_bench.h"

int main(void)
{
    const char *labels[] = {"handler", "instance"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Requests handled."),
        EXTATUS_OPT_STRINGS("labels", labels, 2),
    };
    extatus_exporter_options exporter_options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter;
    extatus_family *family;
    sigset_t signals;
    int signal_number;
    char handler[32];
    char instance[32];
    const char *values[] = {handler, instance};

    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    if (extatus_family_new(&family, NULL, HTTP_BENCH_METRIC, "counter", options, 2) != EXTATUS_OK)
        goto fail;
    for (unsigned i = 0; i < HTTP_BENCH_HANDLERS; i++) {
        for (unsigned j = 0; j < HTTP_BENCH_INSTANCES; j++) {
            extatus_counter *counter;
            http_bench_label(handler, sizeof handler, "handler_", i);
            http_bench_label(instance, sizeof instance, "node_", j);
            if (extatus_counter_get(&counter, family, extatus_labels_of(values, 2)) != EXTATUS_OK)
                goto fail;
            extatus_counter_add(counter, 1 + i * HTTP_BENCH_INSTANCES + j);
        }
    }
    exporter_options.port = 0;
    exporter_options.bind_address = "127.0.0.1";
    exporter_options.threads = HTTP_BENCH_THREADS;
    if (extatus_exporter_start(&exporter, &exporter_options) != EXTATUS_OK)
        goto fail;
    printf("%u\n", extatus_exporter_port(exporter));
    fflush(stdout);
    sigwait(&signals, &signal_number);
    extatus_exporter_stop(exporter);
    extatus_shutdown();
    return 0;
fail:
    fprintf(stderr, "http_server_extatus: %s\n", extatus_error_last());
    return 1;
}
