/*
 * render.c - one scrape: negotiate, render, compress, observe the
 * self-metrics. The exporter calls this for every /metrics request, and a
 * program with an HTTP server of its own calls it the same way.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>

#define DURATION_NAME "extatus_scrape_duration_seconds"
#define SIZE_NAME     "extatus_scrape_size_bytes"
#define REQUESTS_NAME "extatus_http_requests_total"

/* Room for the registry label: the rendered registries' names, joined by ",". */
#define REGISTRY_LABEL_MAX 512

/*
 * The calling thread's error message, kept across set-up work whose
 * failures the scrape absorbs: a scrape that succeeds must not leave a
 * message (extatus_error_last() speaks of the caller's own failed call).
 */
typedef struct kept_error {
    int code;
    char text[512];
} kept_error;

static void error_keep(kept_error *kept)
{
    const char *text = extatus_error_last();
    kept->code = extatus_error_last_code();
    kept->text[0] = '\0';
    if (text[0]) /* the usual request has no message to keep: no copy */
        snprintf(kept->text, sizeof(kept->text), "%s", text);
}

static void error_restore(const kept_error *kept)
{
    if (kept->code == EXTATUS_OK && kept->text[0] == '\0')
        extatus_error_clear();
    else
        extatus_entry_error(kept->code, "%s", kept->text);
}

/*
 * Find the family `name` in `registry`, creating it as a `type` with the
 * given help, unit and labels on first use. NULL when it cannot be had
 * (no memory, or the program defined that name differently): the scrape
 * then goes on without that self-metric.
 */
static extatus_family *self_family(extatus_registry *registry, const char *name, const char *type,
                                   const char *help, const char *unit, const char *const *labels,
                                   size_t label_count)
{
    extatus_family *family = NULL;
    extatus_option options[3] = {
        EXTATUS_OPT_STRING("help", help),
        EXTATUS_OPT_STRINGS("labels", labels, label_count),
        EXTATUS_OPT_STRING("unit", unit),
    };
    kept_error kept;

    error_keep(&kept);
    if (extatus_family_lookup(&family, registry, name) == EXTATUS_OK)
        return family;
    if (extatus_family_new(&family, registry, name, type, options, unit ? 3 : 2) != EXTATUS_OK)
        family = NULL;
    error_restore(&kept);
    return family;
}

static const char *const scrape_labels[2] = {"registry", "content_type"};

static extatus_family *duration_family(extatus_registry *registry)
{
    return self_family(registry, DURATION_NAME, "summary",
                       "Time taken to render a scrape of /metrics, compression included.",
                       "seconds", scrape_labels, 2);
}

static extatus_family *size_family(extatus_registry *registry)
{
    return self_family(registry, SIZE_NAME, "summary",
                       "Size of a scrape of /metrics before compression.", "bytes", scrape_labels,
                       2);
}

void extatus__http_count_request(extatus_registry *registry, unsigned code)
{
    static const char *const labels[1] = {"code"};
    extatus_family *family;
    extatus_counter *counter;
    char text[8];
    const char *values[1] = {text};
    unsigned i = sizeof text - 1;

    family =
        self_family(registry, REQUESTS_NAME, "counter",
                    "HTTP requests answered by the exporter, by status code.", NULL, labels, 1);
    if (!family)
        return;
    /* The status code in decimal, without printf. */
    text[i] = '\0';
    do {
        text[--i] = (char)('0' + code % 10);
        code /= 10;
    } while (code && i > 0);
    values[0] = text + i;
    if (extatus_counter_get(&counter, family, EXTATUS_LABELS(values[0])) == EXTATUS_OK)
        extatus_counter_inc(counter);
}

extatus_counter *extatus__http_self_counter(extatus_registry *registry, const char *name,
                                            const char *help)
{
    extatus_family *family = self_family(registry, name, "counter", help, NULL, NULL, 0);
    extatus_counter *counter = NULL;
    if (family && extatus_counter_get(&counter, family, EXTATUS_NO_LABELS) != EXTATUS_OK)
        counter = NULL;
    return counter;
}

/* "a,b,c" from the registries' names, cut at the buffer's end. */
static void registry_label(char *out, size_t size, extatus_registry *const *registries,
                           size_t count)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        extatus_registry *r = registries[i] ? registries[i] : extatus_registry_default();
        const char *name = r ? extatus_registry_name(r) : "default";
        size_t length = strlen(name);
        if (i > 0 && used + 1 < size)
            out[used++] = ',';
        if (length > size - 1 - used)
            length = size - 1 - used;
        memcpy(out + used, name, length);
        used += length;
        out[used] = '\0';
    }
}

static void observe(extatus_family *family, extatus_labels values, double value)
{
    extatus_summary *summary;
    kept_error kept;
    if (!family)
        return;
    error_keep(&kept);
    if (extatus_summary_get(&summary, family, values) == EXTATUS_OK)
        extatus_summary_observe(summary, value);
    else
        error_restore(&kept); /* a self-metric the program took: skipped */
}

int extatus_scrape_render(extatus_scrape *out, const char *accept, const char *accept_encoding,
                          const extatus_scrape_options *options)
{
    static const extatus_scrape_options defaults = EXTATUS_SCRAPE_OPTIONS_INIT;
    extatus_expose_options expose = EXTATUS_EXPOSE_OPTIONS_INIT;
    extatus_registry *fallback[1] = {NULL};
    extatus_registry *const *registries;
    extatus_registry *self = NULL;
    extatus_family *duration = NULL;
    extatus_family *size = NULL;
    extatus_buf plain = EXTATUS_BUF_INIT;
    size_t count;
    int level;
    int rc;
    double start = extatus__http_now_seconds();

    if (!out)
        return extatus_entry_error(EXTATUS_ERR_INVALID, "extatus_scrape_render: out is NULL");
    if (!options)
        options = &defaults;
    if (options->version < 1 || options->version > EXTATUS_SCRAPE_OPTIONS_VERSION)
        return extatus_entry_error(EXTATUS_ERR_INVALID,
                                   "extatus_scrape_render: unknown options version %u",
                                   options->version);
    level = options->gzip_level ? options->gzip_level : EXTATUS_DEFAULT_GZIP_LEVEL;
    if (level < 1 || level > 12)
        return extatus_entry_error(EXTATUS_ERR_INVALID,
                                   "extatus_scrape_render: gzip_level %d is not in 1..12",
                                   options->gzip_level);

    registries = options->registries;
    count = options->registry_count;
    if (!registries || count == 0) {
        registries = fallback;
        count = 1;
    }
    memset(out, 0, sizeof *out);

    expose.format =
        options->force_text ? EXTATUS_FORMAT_TEXT : extatus__http_negotiate_format(accept);
    if (!options->no_self_metrics) {
        /* Make the families exist before rendering, so even the first scrape lists them. */
        self = options->self_registry ? options->self_registry : registries[0];
        if (!self)
            self = extatus_registry_default();
        if (self) {
            duration = duration_family(self);
            size = size_family(self);
        }
    }

    rc = extatus_expose(&plain, registries, count, &expose);
    if (rc != EXTATUS_OK) {
        extatus_buf_dispose(&plain);
        return rc;
    }
    out->format = expose.format;
    out->content_type = extatus_format_content_type(expose.format);
    out->uncompressed_size = plain.size;
    if (!options->no_gzip && extatus__http_accepts_gzip(accept_encoding)) {
        rc = extatus__http_gzip(&out->body, plain.ptr, plain.size, level);
        extatus_buf_dispose(&plain);
        if (rc != EXTATUS_OK) {
            memset(out, 0, sizeof *out);
            return rc;
        }
        out->content_encoding = "gzip";
    } else {
        out->body = plain;
    }

    if (duration || size) {
        char names[REGISTRY_LABEL_MAX];
        const char *values[2] = {names, out->content_type};
        registry_label(names, sizeof names, registries, count);
        observe(duration, extatus_labels_of(values, 2), extatus__http_now_seconds() - start);
        observe(size, extatus_labels_of(values, 2), (double)out->uncompressed_size);
    }
    return EXTATUS_OK;
}

void extatus_scrape_dispose(extatus_scrape *scrape)
{
    if (!scrape)
        return;
    extatus_buf_dispose(&scrape->body);
    memset(scrape, 0, sizeof *scrape);
}
