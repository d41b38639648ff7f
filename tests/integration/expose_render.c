/*
 * expose_render.c - render a registry holding every metric type, tricky
 * label values and help texts, in both formats, for the external checks
 * (promtool and om_check).
 *
 * Usage: expose_render PREFIX   writes PREFIX.prom and PREFIX.om
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extatus.h"
#include "render_support.h"
#include "../unit/expose/fake_entry.h"

/* Label values that need escaping or look like syntax. */
static const char *const tricky[] = {
    "plain",
    "back\\slash",
    "double \"quote\"",
    "line\nfeed",
    "r\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac",
    "} {a=\"b\"}, # EOF",
    "trailing\\",
    "",
};
#define TRICKY_COUNT (sizeof(tricky) / sizeof(tricky[0]))

static const char help_text[] =
    "Help with a \\ backslash, \"double quotes\",\na line feed and UTF-8: \xc3\xa9\xe2\x9c\x93.";

static extatus_family *family(extatus_registry *registry, const char *name, const char *type,
                              const char *help, const char *unit, const char *const *labels,
                              size_t label_count, const extatus_value *values)
{
    extatus_option options[4];
    size_t count = 0;
    options[count++] = (extatus_option)EXTATUS_OPT_STRING("help", help);
    if (unit)
        options[count++] = (extatus_option)EXTATUS_OPT_STRING("unit", unit);
    if (label_count)
        options[count++] = (extatus_option)EXTATUS_OPT_STRINGS("labels", labels, label_count);
    if (values)
        options[count++] = (extatus_option)EXTATUS_OPT_POINTER("values", (void *)(uintptr_t)values);
    extatus_family *out = NULL;
    CHECK(extatus_family_new(&out, registry, name, type, options, count));
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s PREFIX\n", argv[0]);
        return 2;
    }
    CHECK(fake_register());
    extatus_registry *registry = NULL;
    CHECK(extatus_registry_new(&registry, "integration", NULL));

    /* Built-in counter and gauge, one series per tricky value. */
    static const char *const labels[] = {"value", "index"};
    extatus_family *requests =
        family(registry, "requests_total", "counter", help_text, NULL, labels, 2, NULL);
    extatus_family *level =
        family(registry, "queue_level", "gauge", help_text, NULL, labels, 2, NULL);
    for (size_t i = 0; i < TRICKY_COUNT; i++) {
        char index[8];
        snprintf(index, sizeof(index), "%zu", i);
        const char *values[] = {tricky[i], index};
        extatus_counter *counter = NULL;
        CHECK(extatus_counter_get(&counter, requests, extatus_labels_of(values, 2)));
        extatus_counter_add(counter, i * 1000003u);
        extatus_gauge *gauge = NULL;
        CHECK(extatus_gauge_get(&gauge, level, extatus_labels_of(values, 2)));
        extatus_gauge_set(gauge, (double)i / 7.0 - 0.5);
    }
    /* Built-in histogram (default buckets), summary with quantiles, spiral. */
    extatus_family *sizes_family =
        family(registry, "response_size_bytes", "histogram", help_text, "bytes", labels, 2, NULL);
    static const double quantiles[] = {0.5, 0.9, 0.99};
    extatus_option summary_options[] = {
        EXTATUS_OPT_STRING("help", help_text),
        EXTATUS_OPT_STRINGS("labels", labels, 2),
        EXTATUS_OPT_DOUBLES("quantiles", quantiles, 3),
    };
    extatus_family *wait_family = NULL;
    CHECK(extatus_family_new(&wait_family, registry, "lock_wait_seconds", "summary",
                             summary_options, 3));
    for (size_t i = 0; i < TRICKY_COUNT; i++) {
        char index[8];
        snprintf(index, sizeof(index), "%zu", i);
        const char *values[] = {tricky[i], index};
        extatus_histogram *histogram = NULL;
        CHECK(extatus_histogram_get(&histogram, sizes_family, extatus_labels_of(values, 2)));
        extatus_summary *summary = NULL;
        CHECK(extatus_summary_get(&summary, wait_family, extatus_labels_of(values, 2)));
        /* The last series stays empty: its quantiles are NaN. */
        for (size_t n = 0; i + 1 < TRICKY_COUNT && n < 50 * i + 3; n++) {
            extatus_histogram_observe(histogram, (double)(n * n) / 1000.0);
            extatus_summary_observe(summary, (double)n / 3.0);
        }
    }
    extatus_spiral *spiral = NULL;
    CHECK(extatus_spiral_new(&spiral, registry, "window_events", "Events in a window."));
    extatus_spiral_add(spiral, 12);

    extatus_counter *seconds = NULL;
    CHECK(extatus_counter_new(&seconds, registry, "cpu_seconds_total", "CPU time."));
    CHECK(extatus_counter_add_float(seconds, 12.125));
    extatus_gauge *big = NULL;
    CHECK(extatus_gauge_new(&big, registry, "big_values", "Large and small gauges."));
    extatus_gauge_set(big, 1.5e300);

    /* Histograms through the plug-in path: plain, unsorted without +Inf, negative bounds. */
    static const char *const path[] = {"path"};
    extatus_family *latency = family(registry, "request_duration_seconds", "fake_histogram",
                                     help_text, "seconds", path, 1, NULL);
    static const extatus_value latency_values[] = {
        FAKE_INT(3),  FAKE_INT(10),      FAKE_INT(12), FAKE_INT(12),
        FAKE_INT(13), FAKE_DOUBLE(41.5), FAKE_INT(13), FAKE_DOUBLE(1700000000.125)};
    for (size_t i = 0; i < TRICKY_COUNT; i++)
        CHECK(fake_set(latency, EXTATUS_LABELS(tricky[i]), latency_values, 0));
    static const extatus_value sizes[] = {FAKE_INT(6), FAKE_DOUBLE(2.0), FAKE_INT(8), FAKE_INT(5),
                                          FAKE_DOUBLE(5230.5)};
    family(registry, "payload_bytes", "fake_histogram_unsorted", "Payload sizes.", "bytes", NULL, 0,
           sizes);
    static const extatus_value delta[] = {FAKE_INT(1),         FAKE_INT(3),       FAKE_INT(4),
                                          FAKE_INT(4),         FAKE_DOUBLE(-2.5), FAKE_INT(4),
                                          FAKE_INT(1700000003)};
    family(registry, "temperature_change_celsius", "fake_histogram_negative",
           "Change of temperature.", "celsius", NULL, 0, delta);

    /* Summaries, one with an empty window. */
    static const char *const service[] = {"service"};
    extatus_family *rpc =
        family(registry, "rpc_duration_seconds", "fake_summary", help_text, NULL, service, 1, NULL);
    static const extatus_value busy[] = {FAKE_DOUBLE(0.012), FAKE_DOUBLE(0.05),
                                         FAKE_DOUBLE(0.1),   FAKE_DOUBLE(17.5),
                                         FAKE_INT(1000),     FAKE_DOUBLE(1700000000.0)};
    static const extatus_value idle[] = {FAKE_DOUBLE(NAN), FAKE_DOUBLE(NAN), FAKE_UNDEFINED,
                                         FAKE_DOUBLE(0.0), FAKE_INT(0),      FAKE_INT(1700000004)};
    CHECK(fake_set(rpc, EXTATUS_LABELS("busy \"one\""), busy, 0));
    CHECK(fake_set(rpc, EXTATUS_LABELS("idle\\"), idle, 0));

    /* Untyped, a plug-in counter and a failing series that must vanish. */
    static const extatus_value untyped[] = {FAKE_DOUBLE(-0.0), FAKE_UNDEFINED, FAKE_UNDEFINED};
    family(registry, "legacy_metric", "fake_untyped", "Untyped value.", NULL, NULL, 0, untyped);
    static const char *const id[] = {"id"};
    extatus_family *flaky = family(registry, "flaky_events_total", "fake_counter",
                                   "Events of a flaky source.", NULL, id, 1, NULL);
    static const extatus_value events[] = {FAKE_DOUBLE(1e21), FAKE_DOUBLE(1700000000.5),
                                           FAKE_INT(0)};
    CHECK(fake_set(flaky, EXTATUS_LABELS("good"), events, 0));
    CHECK(fake_set(flaky, EXTATUS_LABELS("bad"), events, 1));

    write_both(argv[1], registry);

    extatus_registry_free(registry);
    extatus_shutdown();
    return 0;
}
