/*
 * carbon_feed.c - the program side of carbon_test.sh: report metrics to a
 * real carbon with the Graphite line reporter.
 *
 *   carbon_feed tags PORT SECONDS
 *       Series whose label sets differ only in what a careless escaping
 *       merges (UTF-8, a space against '_', '%', the tag separators) and
 *       a label called `name` (Graphite's own tag), each with its own
 *       value, every second for SECONDS. Prints "delivered N dropped N".
 *   carbon_feed dying PORT CARBON_PID
 *       Reports every 300 ms until something was delivered, kills carbon,
 *       then checks for 1.5 s that no further batch is counted as
 *       delivered and that the loss is counted. Exit status 0 when so.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "extatus.h"

#define CHECK(call)                                                                                \
    do {                                                                                           \
        int check_rc_ = (call);                                                                    \
        if (check_rc_ != EXTATUS_OK) {                                                             \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, extatus_error_last());   \
            exit(2);                                                                               \
        }                                                                                          \
    } while (0)

static void sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&delay, &delay) != 0) {
    }
}

/* The label values of the tag test, in the order of carbon_test.sh's expectations (values 1..). */
static const char *const tenants[] = {
    "müller", "méller", "with space", "with_space", "a%20b",
    "a b",    "~tilde", "semi;colon", "x=y!^",      "end\"}",
};
#define TENANTS (sizeof(tenants) / sizeof(tenants[0]))

/* Subscribe the reporter "carbon" to the datapoint "value" of every series of `metric`. */
static void subscribe_value(const char *metric, double interval_ms)
{
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = metric;
    sub.datapoint = "value";
    sub.interval_ms = (int64_t)interval_ms;
    CHECK(extatus_subscribe("carbon", &sub));
}

static int feed_tags(const char *port, int seconds)
{
    const char *tenant_label[] = {"tenant"};
    extatus_option tenant_family[] = {EXTATUS_OPT_STRINGS("labels", tenant_label, 1)};
    CHECK(extatus_new(NULL, "feed_tenant_level", "gauge", tenant_family, 1));
    for (size_t i = 0; i < TENANTS; i++) {
        const char *values[] = {tenants[i]};
        CHECK(extatus_update(NULL, "feed_tenant_level", extatus_labels_of(values, 1),
                             (double)(i + 1)));
    }
    /* Like extatus_process_activity{name=...}: 2 up, 1 idle, 0 down. */
    const char *name_label[] = {"name"};
    extatus_option worker_family[] = {EXTATUS_OPT_STRINGS("labels", name_label, 1)};
    CHECK(extatus_new(NULL, "feed_worker_activity", "gauge", worker_family, 1));
    const char *workers[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++) {
        const char *values[] = {workers[i]};
        CHECK(extatus_update(NULL, "feed_worker_activity", extatus_labels_of(values, 1), 2 - i));
    }

    char address[64];
    snprintf(address, sizeof(address), "127.0.0.1:%s", port);
    extatus_option options[] = {EXTATUS_OPT_STRING("address", address)};
    CHECK(extatus_reporter_add("carbon", extatus_reporter_line(), options, 1));
    subscribe_value("feed_tenant_level", 1000);
    subscribe_value("feed_worker_activity", 1000);
    sleep_ms(seconds * 1000L + 300);

    extatus_reporter_status status;
    CHECK(extatus_reporter_get_status("carbon", &status));
    printf("reports %llu delivered %llu dropped %llu\n", (unsigned long long)status.reports,
           (unsigned long long)status.delivered,
           (unsigned long long)(status.dropped_error + status.dropped_timeout +
                                status.dropped_down + status.dropped_stopped));
    CHECK(extatus_reporter_remove("carbon"));
    return 0;
}

static int feed_dying(const char *port, pid_t carbon)
{
    CHECK(extatus_new(NULL, "feed_dying_level", "gauge", NULL, 0));
    CHECK(extatus_update(NULL, "feed_dying_level", EXTATUS_NO_LABELS, 42));
    char address[64];
    snprintf(address, sizeof(address), "127.0.0.1:%s", port);
    extatus_option options[] = {EXTATUS_OPT_STRING("address", address),
                                EXTATUS_OPT_NUMBER("restart_delay", 100)};
    CHECK(extatus_reporter_add("carbon", extatus_reporter_line(), options, 2));
    subscribe_value("feed_dying_level", 300);

    extatus_reporter_status status;
    for (int i = 0; i < 500; i++) {
        CHECK(extatus_reporter_get_status("carbon", &status));
        if (status.reports >= 2)
            break;
        sleep_ms(10);
    }
    if (status.reports < 2) {
        fprintf(stderr, "nothing was delivered to carbon\n");
        return 1;
    }
    /* Right after a delivery, so that carbon dies between two of them. */
    uint64_t reports = status.reports;
    while (status.reports == reports) {
        sleep_ms(5);
        CHECK(extatus_reporter_get_status("carbon", &status));
    }
    sleep_ms(50);
    kill(carbon, SIGKILL);
    sleep_ms(100); /* its sockets are closed by now */
    CHECK(extatus_reporter_get_status("carbon", &status));
    uint64_t before = status.reports;
    uint64_t delivered = status.delivered;
    sleep_ms(1500);
    CHECK(extatus_reporter_get_status("carbon", &status));
    printf("after carbon died: reports %llu -> %llu, delivered %llu -> %llu, dropped error %llu\n",
           (unsigned long long)before, (unsigned long long)status.reports,
           (unsigned long long)delivered, (unsigned long long)status.delivered,
           (unsigned long long)status.dropped_error);
    CHECK(extatus_reporter_remove("carbon"));
    return status.reports == before && status.delivered == delivered && status.dropped_error >= 2
               ? 0
               : 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc != 4 || (strcmp(argv[1], "tags") != 0 && strcmp(argv[1], "dying") != 0)) {
        fprintf(stderr, "usage: carbon_feed tags PORT SECONDS | dying PORT CARBON_PID\n");
        return 2;
    }
    CHECK(extatus_process_collector_set_default(0));
    CHECK(extatus_init());
    int rc = strcmp(argv[1], "tags") == 0 ? feed_tags(argv[2], atoi(argv[3]))
                                          : feed_dying(argv[2], (pid_t)atoi(argv[3]));
    extatus_shutdown();
    return rc;
}
