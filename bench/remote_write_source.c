/*
 * remote_write_source.c - the extatus side of the remote_write_100k
 * benchmark (bench/remote_write_bench.py): 100,000 gauge series (labels a
 * and b, 1000 x 100 values), either
 *
 *   remote_write_source push URL ROUNDS INTERVAL_MS
 *       pushed by the remote write reporter every INTERVAL_MS; after the
 *       first round was accepted (set-up and warm-up), the CPU time of the
 *       whole process (every thread: reads, encoding, snappy, HTTP) over
 *       ROUNDS more rounds is measured and printed per round:
 *       "cpu_ms_per_round=..." once the receiver accepted them all;
 *   remote_write_source serve PORT_FILE SECONDS
 *       served by the exporter (for Prometheus in agent mode to scrape);
 *       the port is written to PORT_FILE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <extatus.h>

#define VALUES_A 1000
#define VALUES_B 100
#define SERIES   (VALUES_A * VALUES_B)

static void sleep_ms(long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&d, &d) != 0) {
    }
}

static double cpu_ms(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static int fail(const char *what)
{
    fprintf(stderr, "remote_write_source: %s: %s\n", what, extatus_error_last());
    return 1;
}

static int make_series(void)
{
    const char *names[] = {"a", "b"};
    extatus_option options[] = {EXTATUS_OPT_STRING("help", "Benchmark series."),
                                EXTATUS_OPT_STRINGS("labels", names, 2),
                                EXTATUS_OPT_NUMBER("max_series", SERIES)};
    extatus_family *family = NULL;
    if (extatus_family_new(&family, NULL, "bench_series", "gauge", options, 3) != EXTATUS_OK)
        return -1;
    char a[16], b[16];
    for (int i = 0; i < VALUES_A; i++)
        for (int j = 0; j < VALUES_B; j++) {
            snprintf(a, sizeof(a), "a%d", i);
            snprintf(b, sizeof(b), "b%d", j);
            extatus_gauge *g = NULL;
            if (extatus_gauge_get(&g, family, EXTATUS_LABELS(a, b)) != EXTATUS_OK)
                return -1;
            extatus_gauge_set(g, i * 0.5 + j);
        }
    return 0;
}

static uint64_t sent(void)
{
    extatus_remote_write_stats s;
    return extatus_remote_write_get_stats("bench", &s) == EXTATUS_OK ? s.samples_sent : 0;
}

static int push(const char *url, int rounds, int interval_ms)
{
    static const char *const external[] = {"job=bench"};
    extatus_option options[] = {EXTATUS_OPT_STRING("url", url),
                                EXTATUS_OPT_STRINGS("external_labels", external, 1),
                                EXTATUS_OPT_NUMBER("batch_deadline_ms", 50)};
    if (extatus_remote_write_add("bench", options, 3) != EXTATUS_OK)
        return fail("reporter");
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "bench_series";
    sub.interval_ms = interval_ms;
    if (extatus_subscribe("bench", &sub) != EXTATUS_OK)
        return fail("subscribe");
    while (sent() < SERIES)
        sleep_ms(5);
    double start = cpu_ms();
    uint64_t target = sent() + (uint64_t)rounds * SERIES;
    /* Polled every 100 ms: waking every 5 ms cost this thread 5-10 ms of CPU per 5 s round. */
    while (sent() < target)
        sleep_ms(100);
    double per_round = (cpu_ms() - start) / rounds;
    extatus_remote_write_stats s;
    extatus_remote_write_get_stats("bench", &s);
    printf("cpu_ms_per_round=%.1f samples_sent=%llu bytes_per_round=%.0f requests=%llu "
           "failed=%llu\n",
           per_round, (unsigned long long)s.samples_sent,
           (double)s.bytes_sent * SERIES / (double)s.samples_sent,
           (unsigned long long)s.requests_sent, (unsigned long long)s.requests_failed);
    extatus_reporter_remove("bench");
    return 0;
}

static int serve(const char *port_file, int seconds)
{
    extatus_exporter_options http = EXTATUS_EXPORTER_OPTIONS_INIT;
    http.port = 0;
    extatus_exporter *exporter = NULL;
    if (extatus_exporter_start(&exporter, &http) != EXTATUS_OK)
        return fail("exporter");
    FILE *f = fopen(port_file, "w");
    if (!f)
        return fail("port file");
    fprintf(f, "%u\n", extatus_exporter_port(exporter));
    fclose(f);
    sleep_ms(seconds * 1000L);
    extatus_exporter_stop(exporter);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5 && !(argc == 4 && strcmp(argv[1], "serve") == 0)) {
        fprintf(stderr, "usage: %s push URL ROUNDS INTERVAL_MS | serve PORT_FILE SECONDS\n",
                argv[0]);
        return 2;
    }
    extatus_process_collector_set_default(0);
    if (make_series() != 0)
        return fail("series");
    int rc = strcmp(argv[1], "push") == 0 ? push(argv[2], atoi(argv[3]), atoi(argv[4]))
                                          : serve(argv[2], atoi(argv[3]));
    extatus_shutdown();
    return rc;
}
