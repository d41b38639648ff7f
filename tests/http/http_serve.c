/*
 * http_serve.c - the program the curl and Prometheus tests scrape: it
 * defines a few metrics of every type, starts the exporter on a free port
 * (or the one asked for), writes the port to a file and serves until
 * SIGTERM or SIGINT. Counters keep moving while it serves.
 *
 * Usage: http_serve --port-file=FILE [--port=N] [--bind=ADDR] [--force-text]
 *                   [--auth=USER:PASSWORD] [--tls-cert=PEM --tls-key=PEM]
 *                   [--path=/metrics] [--threads=N] [--max-scrapes=N]
 *        http_serve --free-port
 *            print a TCP port of 127.0.0.1 that is free right now, and exit
 *            (for the tests to give to other servers)
 */
#include <extatus.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *value_of(const char *arg, const char *flag)
{
    size_t n = strlen(flag);
    return strncmp(arg, flag, n) == 0 && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int define_metrics(extatus_counter **ticks)
{
    const char *labels[] = {"method", "code"};
    const char *values[] = {"GET", "200"};
    const double quantiles[] = {0.5, 0.9};
    extatus_option counter_options[] = {
        EXTATUS_OPT_STRING("help", "Requests served by the test program."),
        EXTATUS_OPT_STRINGS("labels", labels, 2),
    };
    extatus_family *requests;
    extatus_counter *get_ok;
    extatus_gauge *temperature;
    extatus_histogram *latency;
    extatus_summary *sizes;

    if (extatus_family_new(&requests, NULL, "test_requests_total", "counter", counter_options, 2) !=
            EXTATUS_OK ||
        extatus_counter_get(&get_ok, requests, extatus_labels_of(values, 2)) != EXTATUS_OK ||
        extatus_counter_new(ticks, NULL, "test_ticks", "Ticks of the test program.") !=
            EXTATUS_OK ||
        extatus_gauge_new(&temperature, NULL, "test_temperature_celsius", "A gauge.") !=
            EXTATUS_OK ||
        extatus_histogram_new(&latency, NULL, "test_latency_seconds", "A histogram.", NULL, 0) !=
            EXTATUS_OK ||
        extatus_summary_new(&sizes, NULL, "test_sizes_bytes", "A summary.", quantiles, 2) !=
            EXTATUS_OK) {
        fprintf(stderr, "http_serve: %s\n", extatus_error_last());
        return -1;
    }
    extatus_counter_add(get_ok, 41);
    extatus_counter_inc(get_ok);
    extatus_gauge_set(temperature, 21.5);
    extatus_histogram_observe(latency, 0.042);
    extatus_histogram_observe(latency, 1.5);
    extatus_summary_observe(sizes, 512);
    extatus_summary_observe(sizes, 2048);
    return 0;
}

int main(int argc, char **argv)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter = NULL;
    extatus_counter *ticks = NULL;
    const char *port_file = NULL;
    static char user[256];
    sigset_t signals;
    FILE *f;
    int rc;

    options.port = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if ((v = value_of(argv[i], "--port-file")))
            port_file = v;
        else if ((v = value_of(argv[i], "--port")))
            options.port = (unsigned)atoi(v);
        else if ((v = value_of(argv[i], "--bind")))
            options.bind_address = v;
        else if ((v = value_of(argv[i], "--path")))
            options.path = v;
        else if ((v = value_of(argv[i], "--threads")))
            options.threads = (unsigned)atoi(v);
        else if ((v = value_of(argv[i], "--max-scrapes")))
            options.max_scrapes = (unsigned)atoi(v);
        else if ((v = value_of(argv[i], "--tls-cert")))
            options.tls_cert_file = v;
        else if ((v = value_of(argv[i], "--tls-key")))
            options.tls_key_file = v;
        else if ((v = value_of(argv[i], "--auth"))) {
            const char *colon = strchr(v, ':');
            if (!colon || (size_t)(colon - v) >= sizeof user) {
                fprintf(stderr, "http_serve: --auth=USER:PASSWORD\n");
                return 2;
            }
            memcpy(user, v, (size_t)(colon - v));
            options.basic_auth_user = user;
            options.basic_auth_password = colon + 1;
        } else if (strcmp(argv[i], "--free-port") == 0) {
            options.bind_address = "127.0.0.1";
            options.no_self_metrics = 1;
            if (extatus_exporter_start(&exporter, &options) != EXTATUS_OK) {
                fprintf(stderr, "http_serve: %s\n", extatus_error_last());
                return 1;
            }
            printf("%u\n", extatus_exporter_port(exporter));
            extatus_exporter_stop(exporter);
            return 0;
        } else if (strcmp(argv[i], "--force-text") == 0)
            options.force_text = 1;
        else {
            fprintf(stderr, "http_serve: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!port_file) {
        fprintf(stderr, "http_serve: --port-file=FILE is required\n");
        return 2;
    }

    /* Block the stop signals before any thread starts, then wait for them below. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    if (define_metrics(&ticks) != 0)
        return 1;
    rc = extatus_exporter_start(&exporter, &options);
    if (rc != EXTATUS_OK) {
        fprintf(stderr, "http_serve: %s: %s\n", extatus_strerror(rc), extatus_error_last());
        return 1;
    }
    /* Write the port to a temporary name, then rename: readers never see half a file. */
    {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        f = fopen(tmp, "w");
        if (!f || fprintf(f, "%u\n", extatus_exporter_port(exporter)) < 0 || fclose(f) != 0 ||
            rename(tmp, port_file) != 0) {
            perror("http_serve: port file");
            extatus_exporter_stop(exporter);
            return 1;
        }
    }

    for (;;) {
        struct timespec tick = {0, 100 * 1000 * 1000};
        if (sigtimedwait(&signals, NULL, &tick) > 0)
            break;
        extatus_counter_inc(ticks);
    }
    extatus_exporter_stop(exporter);
    extatus_shutdown();
    return 0;
}
