/*
 * exemplar_render.c - a registry with exemplars on classic histogram
 * buckets, on a native histogram and on counters (labelled and not,
 * multi-label, escaped and multi-byte values), rendered as OpenMetrics
 * into PREFIX.om, with the exemplars set written to PREFIX.expect (one
 * JSON object a line: sample name, its labels, the exemplar's labels,
 * value and timestamp) for exemplar_check.py.
 *
 * Usage: exemplar_render PREFIX
 */
#include <extatus.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int rc, const char *what)
{
    if (rc != EXTATUS_OK) {
        fprintf(stderr, "exemplar_render: %s: %s (%s)\n", what, extatus_strerror(rc),
                extatus_error_last());
        exit(1);
    }
}

/* A JSON string of ASCII or UTF-8 text (only " and \ and control characters escaped). */
static void json_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* One expectation line. */
static void expect(FILE *out, const char *sample, const char *sample_label,
                   const char *sample_value, const extatus_exemplar *exemplar, double value)
{
    fputs("{\"sample\": ", out);
    json_string(out, sample);
    fputs(", \"labels\": {", out);
    if (sample_label) {
        json_string(out, sample_label);
        fputs(": ", out);
        json_string(out, sample_value);
    }
    fputs("}, \"exemplar\": {", out);
    for (size_t i = 0; i < exemplar->label_count; i++) {
        if (i > 0)
            fputs(", ", out);
        json_string(out, exemplar->names[i]);
        fputs(": ", out);
        json_string(out, exemplar->values[i]);
    }
    fprintf(out, "}, \"value\": %.17g, \"timestamp\": %.17g}\n", value, exemplar->timestamp);
}

int main(int argc, char **argv)
{
    static const double bounds[] = {0.1, 0.5, 1};
    static const char *const trace[] = {"trace_id"};
    static const char *const trace_span[] = {"trace_id", "span_id"};
    static const char *const first[] = {"4bf92f3577b34da6a3ce929d0e0e4736"};
    static const char *const second[] = {"00f067aa0ba902b7", "b7ad6b7169203331"};
    static const char *const awkward[] = {"quote\" back\\slash new\nline \xc3\xa9t\xc3\xa9"};
    static const char *const status_label[] = {"code"};
    extatus_exemplar a = {trace, first, 1, 1700000000.125};
    extatus_exemplar b = {trace_span, second, 2, 1700000001.5};
    extatus_exemplar c = {trace, awkward, 1, 1700000002.0};
    extatus_histogram *histogram;
    extatus_native_histogram *native;
    extatus_counter *counter;
    extatus_counter *labelled;
    extatus_family *family;
    const extatus_option counter_options[] = {EXTATUS_OPT_STRING("help", "Requests by code."),
                                              EXTATUS_OPT_STRINGS("labels", status_label, 1)};
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    extatus_buf buf = EXTATUS_BUF_INIT;
    char path[4096];
    FILE *out;

    if (argc != 2) {
        fprintf(stderr, "usage: exemplar_render PREFIX\n");
        return 2;
    }
    check(extatus_init(), "init");
    snprintf(path, sizeof(path), "%s.expect", argv[1]);
    out = fopen(path, "w");
    if (out == NULL)
        return 1;

    check(extatus_histogram_new(&histogram, NULL, "ex_latency_seconds", "Latency.", bounds, 3),
          "histogram");
    check(extatus_histogram_observe_exemplar(histogram, 0.05, &a), "observe a");
    expect(out, "ex_latency_seconds_bucket", "le", "0.1", &a, 0.05);
    check(extatus_histogram_observe_exemplar(histogram, 0.7, &b), "observe b");
    expect(out, "ex_latency_seconds_bucket", "le", "1.0", &b, 0.7);
    check(extatus_histogram_observe_exemplar(histogram, 3, &c), "observe c");
    expect(out, "ex_latency_seconds_bucket", "le", "+Inf", &c, 3);
    extatus_histogram_observe(histogram, 0.3); /* a bucket without an exemplar */

    check(extatus_native_histogram_new(&native, NULL, "ex_native_seconds", "Native.", 3), "native");
    check(extatus_native_histogram_observe_exemplar(native, 0.042, &a), "native observe");
    expect(out, "ex_native_seconds_bucket", "le", "+Inf", &a, 0.042);

    check(extatus_counter_new(&counter, NULL, "ex_jobs_total", "Jobs."), "counter");
    check(extatus_counter_add_exemplar(counter, 7, &b), "counter add");
    expect(out, "ex_jobs_total", NULL, NULL, &b, 7);

    check(extatus_family_new(&family, NULL, "ex_requests_total", "counter", counter_options, 2),
          "labelled family");
    check(extatus_counter_get(&labelled, family, EXTATUS_LABELS("200")), "labelled series");
    check(extatus_counter_add_exemplar(labelled, 2, &c), "labelled add");
    expect(out, "ex_requests_total", "code", "200", &c, 2);
    fclose(out);

    options.format = EXTATUS_FORMAT_OPENMETRICS;
    check(extatus_expose(&buf, NULL, 0, &options), "expose");
    snprintf(path, sizeof(path), "%s.om", argv[1]);
    out = fopen(path, "w");
    if (out == NULL || fwrite(buf.ptr, 1, buf.size, out) != buf.size || fclose(out) != 0)
        return 1;
    extatus_buf_dispose(&buf);
    extatus_shutdown();
    return 0;
}
