/*
 * consumer_push.c - a tiny program built against an installed
 * extatus-push: a push to a loopback port where nothing listens fails at
 * once with a message naming the URL, a pushed series with a `job` label
 * is refused before sending, and the pushgateway reporter refuses an
 * unknown option by name.
 */
#include <extatus.h>
#include <extatus/push.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    extatus_counter *done;
    if (extatus_counter_new(&done, NULL, "consumer_done_total", "Done.") != EXTATUS_OK)
        return 1;
    extatus_counter_inc(done);

    extatus_push_options push = EXTATUS_PUSH_OPTIONS_INIT;
    push.url = "http://127.0.0.1:1";
    push.job = "consumer";
    push.timeout_ms = 2000;
    int rc = extatus_push_once(&push);
    if (rc != EXTATUS_ERR_SYSTEM ||
        !strstr(extatus_error_last(), "http://127.0.0.1:1/metrics/job/consumer")) {
        fprintf(stderr, "consumer_push: push to a closed port gave %d: %s\n", rc,
                extatus_error_last());
        return 1;
    }

    const char *labels[] = {"job"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
    extatus_family *family;
    extatus_gauge *gauge;
    if (extatus_family_new(&family, NULL, "consumer_jobs", "gauge", options, 1) != EXTATUS_OK ||
        extatus_gauge_get(&gauge, family, EXTATUS_LABELS("x")) != EXTATUS_OK)
        return 1;
    rc = extatus_push_once(&push);
    if (rc != EXTATUS_ERR_LABEL) {
        fprintf(stderr, "consumer_push: a job label was not refused (%d): %s\n", rc,
                extatus_error_last());
        return 1;
    }

    extatus_option bad[] = {EXTATUS_OPT_STRING("url", "http://127.0.0.1:1"),
                            EXTATUS_OPT_STRING("job", "consumer"),
                            EXTATUS_OPT_STRING("colour", "red")};
    rc = extatus_reporter_add("pgw", extatus_reporter_pushgateway(), bad, 3);
    if (rc != EXTATUS_ERR_OPTION || !strstr(extatus_error_last(), "colour")) {
        fprintf(stderr, "consumer_push: a bad option gave %d: %s\n", rc, extatus_error_last());
        return 1;
    }
    printf("consumer_push: refused port, job label and bad option reported as expected\n");
    extatus_shutdown();
    return 0;
}
