/*
 * reporter.c - subscriptions and reporters: values pushed at an interval
 * to a callback of the program and, as Graphite plaintext lines, to
 * standard output (give "host:port" as the first argument to send them
 * to a carbon listener instead).
 *
 * One subscription names a metric that does not exist yet: it waits, and
 * its values flow once the program creates the metric.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, mkstemp, fdopen */

#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <extatus.h>

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static char callback_name[] = "callback";

/* The callback reporter's function: runs on the library's scheduler. */
static int print_items(const extatus_report_item *items, size_t count, void *user_data)
{
    const char *who = user_data;
    pthread_mutex_lock(&print_lock);
    for (size_t i = 0; i < count; i++)
        printf("%s: %s%s%s %s = %g\n", who, items[i].metric, items[i].label_count ? "/" : "",
               items[i].label_count ? items[i].label_values[0] : "", items[i].datapoint,
               extatus_value_to_double(&items[i].value));
    fflush(stdout);
    pthread_mutex_unlock(&print_lock);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&delay, NULL);
}

static int check(int rc, const char *what)
{
    if (rc != EXTATUS_OK)
        fprintf(stderr, "reporter: %s: %s\n", what, extatus_error_last());
    return rc;
}

int main(int argc, char **argv)
{
    extatus_option callback[] = {
        EXTATUS_OPT_FUNCTION("function", print_items),
        EXTATUS_OPT_POINTER("user_data", callback_name),
    };
    extatus_option line[] = {
        argc > 1 ? (extatus_option)EXTATUS_OPT_STRING("address", argv[1])
                 : (extatus_option)EXTATUS_OPT_NUMBER("fd", 1),
        EXTATUS_OPT_STRING("prefix", "example"),
    };
    const char *labels[] = {"queue"};
    extatus_option queue_options[] = {
        EXTATUS_OPT_STRING("help", "Jobs waiting, by queue."),
        EXTATUS_OPT_STRINGS("labels", labels, 1),
    };
    extatus_process_collector_set_default(0); /* keep the output short */
    if (check(extatus_reporter_add("callback", extatus_reporter_callback(), callback, 2), "add") ||
        check(extatus_reporter_add("graphite", extatus_reporter_line(), line, 2), "add"))
        return 1;

    extatus_subscription depth = EXTATUS_SUBSCRIPTION_INIT;
    depth.metric = "jobs_waiting"; /* every series, every datapoint */
    depth.interval_ms = 200;
    extatus_subscription done = EXTATUS_SUBSCRIPTION_INIT;
    done.metric = "jobs_done_total"; /* does not exist yet: waits */
    done.datapoint = "value";
    done.interval_ms = 200;
    if (check(extatus_subscribe("callback", &depth), "subscribe") ||
        check(extatus_subscribe("graphite", &depth), "subscribe") ||
        check(extatus_subscribe("graphite", &done), "subscribe"))
        return 1;

    extatus_family *waiting;
    extatus_gauge *inbox;
    if (check(extatus_family_new(&waiting, NULL, "jobs_waiting", "gauge", queue_options, 2),
              "jobs_waiting") ||
        check(extatus_gauge_get(&inbox, waiting, EXTATUS_LABELS("inbox")), "inbox"))
        return 1;
    extatus_gauge_set(inbox, 4);
    sleep_ms(300);

    extatus_counter *finished;
    if (check(extatus_counter_new(&finished, NULL, "jobs_done_total", "Jobs done."), "done"))
        return 1;
    extatus_counter_add(finished, 7);
    extatus_gauge_set(inbox, 2);
    sleep_ms(300);

    extatus_reporter_status status;
    if (check(extatus_reporter_get_status("graphite", &status), "status"))
        return 1;
    pthread_mutex_lock(&print_lock);
    printf("graphite: %s, %llu deliveries, %zu subscriptions\n",
           status.running ? "running" : "restarting", (unsigned long long)status.reports,
           status.subscriptions);
    pthread_mutex_unlock(&print_lock);
    extatus_shutdown(); /* stops the reporters */
    return 0;
}
