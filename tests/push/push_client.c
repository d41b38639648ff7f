/*
 * push_client.c - a small program the Pushgateway tests drive
 * (pushgateway_test.py): it makes metrics from its arguments and pushes
 * them through the public API of extatus-push, then prints what happened.
 *
 *   push_client ACTION URL JOB [options]
 *
 * ACTION: put, post (extatus_push_once), delete (extatus_push_delete),
 * env (extatus_push_once with url, job and grouping left to the
 * environment; URL and JOB are ignored), reporter (the pushgateway
 * reporter, see below).
 *
 *   --group NAME=VALUE      a grouping label (repeatable)
 *   --gauge NAME=NUMBER     an unlabelled gauge in registry "pushed"
 *   --labelled NAME:LABEL=VALUE:NUMBER  a gauge with one label
 *   --counter NAME=NUMBER   an unlabelled counter (incremented by NUMBER)
 *   --series N              N series of the gauge bulk_series{n} (a large body)
 *   --gzip                  gzip the body
 *   --timeout MS            total timeout of a request
 *   --user USER:PASSWORD    basic auth
 *   --ca FILE               CA file for https
 *   --delete-on-stop        (reporter) delete the group when it stops
 *   --restart-delay MS      (reporter) restart_delay
 *
 * yaml: load the configuration file named by URL (extatus_config_load),
 * which defines a pushgateway reporter, let it run --run MS, then shut
 * down (JOB is ignored).
 *
 * reporter: subscribe the pushgateway reporter (interval --interval MS,
 * default 100) to every gauge given and to extatus_push_sent_total, let it
 * run --run MS (default 800), set every gauge to NUMBER+1, run again,
 * then remove it (or, with --shutdown, call extatus_shutdown) and print
 * how long that took ("stop_ms=") and the reporter's counters.
 *
 * Output: "result=OK" or "result=ERROR code=N message=...", "elapsed_ms=",
 * and after a reporter run the push self-metrics (lines "self: <sample>"
 * of the text exposition of the default registry);
 * exit status 0 on OK, 1 on an error of the push, 2 on bad usage.
 */
#include "extatus.h"
#include "push_test.h"

/* Set by the build when extatus-yaml (extatus_config_load) is linked. */
#ifndef EXTATUS_CLIENT_YAML
#define EXTATUS_CLIENT_YAML       0
#define extatus_config_load(path) EXTATUS_ERR_UNSUPPORTED
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ITEMS 16

typedef struct gauge_arg {
    char name[512];
    char label[512];
    char value[512];
    double number;
    bool counter;
    extatus_gauge *gauge;
    extatus_counter *count;
} gauge_arg;

/* The push self-metrics, as "self: " lines of the default registry's text exposition. */
static void print_self_metrics(void)
{
    extatus_buf text = EXTATUS_BUF_INIT;
    if (extatus_expose(&text, NULL, 0, NULL) != EXTATUS_OK)
        return;
    for (char *line = strtok(text.ptr, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, "extatus_push_", 13) == 0)
            printf("self: %s\n", line);
    extatus_buf_dispose(&text);
}

static int usage(void)
{
    fprintf(stderr, "usage: push_client put|post|delete|env|reporter URL JOB [options]\n");
    return 2;
}

static int report(int rc, double t0)
{
    printf("elapsed_ms=%.0f\n", now_ms() - t0);
    if (rc == EXTATUS_OK) {
        printf("result=OK\n");
        return 0;
    }
    printf("result=ERROR code=%d message=%s\n", rc, extatus_error_last());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    const char *action = argv[1];
    const char *groups[MAX_ITEMS];
    size_t group_count = 0;
    gauge_arg gauges[MAX_ITEMS];
    size_t gauge_count = 0;
    int gzip = 0;
    long timeout = 0;
    long interval = 100;
    long run = 800;
    int shutdown = 0;
    const char *user = NULL;
    const char *ca = NULL;
    int delete_on_stop = 0;
    long restart_delay = 0;
    long series = 0;
    char password[128] = "";
    char username[128] = "";
    for (int i = 4; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--group") == 0 && next && group_count < MAX_ITEMS) {
            groups[group_count++] = next;
            i++;
        } else if ((strcmp(argv[i], "--gauge") == 0 || strcmp(argv[i], "--labelled") == 0 ||
                    strcmp(argv[i], "--counter") == 0) &&
                   next && gauge_count < MAX_ITEMS) {
            gauge_arg *g = &gauges[gauge_count++];
            memset(g, 0, sizeof(*g));
            char spec[512];
            snprintf(spec, sizeof(spec), "%s", next);
            g->counter = argv[i][2] == 'c';
            if (argv[i][2] != 'l') {
                char *eq = strchr(spec, '=');
                if (!eq)
                    return usage();
                *eq = '\0';
                snprintf(g->name, sizeof(g->name), "%s", spec);
                g->number = strtod(eq + 1, NULL);
            } else {
                char *colon = strchr(spec, ':');
                char *eq = colon ? strchr(colon, '=') : NULL;
                char *last = eq ? strrchr(eq, ':') : NULL;
                if (!last)
                    return usage();
                *colon = *eq = *last = '\0';
                snprintf(g->name, sizeof(g->name), "%s", spec);
                snprintf(g->label, sizeof(g->label), "%s", colon + 1);
                snprintf(g->value, sizeof(g->value), "%s", eq + 1);
                g->number = strtod(last + 1, NULL);
            }
            i++;
        } else if (strcmp(argv[i], "--gzip") == 0) {
            gzip = 1;
        } else if (strcmp(argv[i], "--series") == 0 && next) {
            series = atol(argv[++i]);
        } else if (strcmp(argv[i], "--ca") == 0 && next) {
            ca = argv[++i];
        } else if (strcmp(argv[i], "--delete-on-stop") == 0) {
            delete_on_stop = 1;
        } else if (strcmp(argv[i], "--restart-delay") == 0 && next) {
            restart_delay = atol(argv[++i]);
        } else if (strcmp(argv[i], "--shutdown") == 0) {
            shutdown = 1;
        } else if (strcmp(argv[i], "--timeout") == 0 && next) {
            timeout = atol(argv[++i]);
        } else if (strcmp(argv[i], "--interval") == 0 && next) {
            interval = atol(argv[++i]);
        } else if (strcmp(argv[i], "--run") == 0 && next) {
            run = atol(argv[++i]);
        } else if (strcmp(argv[i], "--user") == 0 && next) {
            user = argv[++i];
            const char *colon = strchr(user, ':');
            if (!colon)
                return usage();
            snprintf(username, sizeof(username), "%.*s", (int)(colon - user), user);
            snprintf(password, sizeof(password), "%s", colon + 1);
        } else {
            return usage();
        }
    }

    /* The metrics: registry "pushed" for the one-call pushes, the default one for the reporter. */
    extatus_registry *registry = NULL;
    bool to_default = strcmp(action, "reporter") == 0 || strcmp(action, "yaml") == 0;
    if (!to_default && extatus_registry_new(&registry, "pushed", NULL) != EXTATUS_OK)
        return report(extatus_error_last_code(), now_ms());
    for (size_t i = 0; i < gauge_count; i++) {
        gauge_arg *g = &gauges[i];
        const char *labels[] = {g->label};
        extatus_option options[] = {EXTATUS_OPT_STRING("help", "Pushed by the test."),
                                    EXTATUS_OPT_STRINGS("labels", labels, 1)};
        extatus_family *family = NULL;
        int rc = extatus_family_new(&family, registry, g->name, g->counter ? "counter" : "gauge",
                                    options, g->label[0] ? 2 : 1);
        extatus_labels values = g->label[0] ? EXTATUS_LABELS(g->value) : EXTATUS_NO_LABELS;
        if (rc == EXTATUS_OK && g->counter)
            rc = extatus_counter_get(&g->count, family, values);
        else if (rc == EXTATUS_OK)
            rc = extatus_gauge_get(&g->gauge, family, values);
        if (rc != EXTATUS_OK)
            return report(rc, now_ms());
        if (g->counter)
            extatus_counter_add(g->count, (uint64_t)g->number);
        else
            extatus_gauge_set(g->gauge, g->number);
    }

    if (series > 0) {
        const char *label[] = {"n"};
        extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", label, 1),
                                    EXTATUS_OPT_NUMBER("max_series", (double)series)};
        extatus_family *bulk = NULL;
        int rc = extatus_family_new(&bulk, registry, "bulk_series", "gauge", options, 2);
        for (long i = 0; rc == EXTATUS_OK && i < series; i++) {
            char n[32];
            snprintf(n, sizeof(n), "%ld", i);
            extatus_gauge *g = NULL;
            rc = extatus_gauge_get(&g, bulk, EXTATUS_LABELS(n));
            if (rc == EXTATUS_OK)
                extatus_gauge_set(g, (double)i);
        }
        if (rc != EXTATUS_OK)
            return report(rc, now_ms());
    }

    extatus_push_options push = EXTATUS_PUSH_OPTIONS_INIT;
    push.url = argv[2];
    push.job = argv[3];
    push.grouping = group_count ? groups : NULL;
    push.grouping_count = group_count;
    push.registries = registry ? &registry : NULL;
    push.registry_count = registry ? 1 : 0;
    push.method = strcmp(action, "post") == 0 ? EXTATUS_PUSH_POST : EXTATUS_PUSH_PUT;
    push.gzip = gzip;
    push.timeout_ms = (unsigned)timeout;
    push.username = user ? username : NULL;
    push.password = user ? password : NULL;
    push.ca_file = ca;

    double t0 = now_ms();
    if (strcmp(action, "put") == 0 || strcmp(action, "post") == 0)
        return report(extatus_push_once(&push), t0);
    if (strcmp(action, "delete") == 0)
        return report(extatus_push_delete(&push), t0);
    if (strcmp(action, "yaml") == 0 && !EXTATUS_CLIENT_YAML) {
        fprintf(stderr, "push_client: built without extatus-yaml\n");
        return 2;
    }
    if (strcmp(action, "env") == 0) {
        push.url = NULL;
        push.job = NULL;
        push.grouping = NULL;
        push.grouping_count = 0;
        return report(extatus_push_once(&push), t0);
    }
    if (strcmp(action, "yaml") == 0) {
        int loaded = extatus_config_load(argv[2]);
        if (loaded == EXTATUS_OK)
            sleep_ms(run);
        int code = report(loaded, t0);
        extatus_shutdown();
        return code;
    }
    if (strcmp(action, "reporter") != 0)
        return usage();

    extatus_option options[12];
    size_t n = 0;
    options[n++] = (extatus_option)EXTATUS_OPT_STRING("url", argv[2]);
    options[n++] = (extatus_option)EXTATUS_OPT_STRING("job", argv[3]);
    options[n++] = (extatus_option)EXTATUS_OPT_STRINGS("grouping", groups, group_count);
    options[n++] = (extatus_option)EXTATUS_OPT_NUMBER("gzip", gzip);
    if (timeout)
        options[n++] = (extatus_option)EXTATUS_OPT_NUMBER("request_timeout", (double)timeout);
    options[n++] = (extatus_option)EXTATUS_OPT_NUMBER("delete_on_stop", delete_on_stop);
    if (restart_delay)
        options[n++] = (extatus_option)EXTATUS_OPT_NUMBER("restart_delay", (double)restart_delay);
    if (ca)
        options[n++] = (extatus_option)EXTATUS_OPT_STRING("ca_file", ca);
    if (user) {
        options[n++] = (extatus_option)EXTATUS_OPT_STRING("username", username);
        options[n++] = (extatus_option)EXTATUS_OPT_STRING("password", password);
    }
    int rc = extatus_reporter_add("pushgw", extatus_reporter_pushgateway(), options, n);
    if (rc != EXTATUS_OK)
        return report(rc, t0);
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.interval_ms = interval;
    for (size_t i = 0; i < gauge_count && rc == EXTATUS_OK; i++) {
        sub.metric = gauges[i].name;
        rc = extatus_subscribe("pushgw", &sub);
    }
    sub.metric = "extatus_push_sent_total";
    if (rc == EXTATUS_OK)
        rc = extatus_subscribe("pushgw", &sub);
    if (rc != EXTATUS_OK)
        return report(rc, t0);
    sleep_ms(run);
    for (size_t i = 0; i < gauge_count; i++)
        if (!gauges[i].counter)
            extatus_gauge_set(gauges[i].gauge, gauges[i].number + 1);
    sleep_ms(run);
    extatus_reporter_status status;
    extatus_reporter_get_status("pushgw", &status);
    printf("reports=%llu failures=%llu restarts=%llu delivered=%llu dropped_error=%llu "
           "dropped_timeout=%llu\n",
           (unsigned long long)status.reports, (unsigned long long)status.failures,
           (unsigned long long)status.restarts, (unsigned long long)status.delivered,
           (unsigned long long)status.dropped_error, (unsigned long long)status.dropped_timeout);
    printf("last_error=%d\n", status.last_error);
    print_self_metrics();
    double stop0 = now_ms();
    if (shutdown)
        extatus_shutdown();
    else
        extatus_reporter_remove("pushgw");
    printf("stop_ms=%.0f\n", now_ms() - stop0);
    if (!shutdown)
        extatus_shutdown();
    return report(EXTATUS_OK, t0);
}
