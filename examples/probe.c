/*
 * probe.c - probes: a probe type of your own that reads a value from
 * elsewhere on the library's scheduler, exometer's cpu probe, and the
 * process collector, then one scrape.
 *
 * The "file_size" probe samples the size of a file every 100 ms; the
 * program grows the file and watches the value follow without any update
 * call of its own.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep, mkstemp, fdopen */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <extatus.h>
#include <extatus/sys/entry.h>

typedef struct file_size {
    char *path;           /* the file to watch (option "path") */
    _Atomic double bytes; /* last size sampled */
    atomic_int valid;     /* a sample succeeded */
} file_size;

static const extatus_datapoint file_size_points[] = {{"value", EXTATUS_SAMPLE_VALUE, 0}};

static int file_size_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                            size_t count)
{
    const extatus_option *path = extatus_option_find(options, count, "path");
    if (!path || path->kind != EXTATUS_OPTION_STRING)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "metric '%s': option 'path' is required",
                                   ctx->name);
    file_size *self = extatus_malloc(sizeof(*self));
    if (!self)
        return EXTATUS_ERR_NOMEM;
    self->path = extatus_malloc(strlen(path->string) + 1);
    if (!self->path) {
        extatus_free(self);
        return EXTATUS_ERR_NOMEM;
    }
    strcpy(self->path, path->string);
    atomic_init(&self->bytes, 0.0);
    atomic_init(&self->valid, 0);
    *ref = self;
    return EXTATUS_OK;
}

static void file_size_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    file_size *self = ref;
    (void)ctx;
    extatus_free(self->path);
    extatus_free(self);
}

/* Called by the scheduler every sample_interval ms. */
static int file_size_sample(void *ref, const extatus_entry_ctx *ctx)
{
    file_size *self = ref;
    struct stat info;
    if (stat(self->path, &info) != 0) {
        atomic_store(&self->valid, 0);
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "metric '%s': cannot stat %s", ctx->name,
                                   self->path);
    }
    atomic_store(&self->bytes, (double)info.st_size);
    atomic_store(&self->valid, 1);
    return EXTATUS_OK;
}

static int file_size_get_value(void *ref, const extatus_entry_ctx *ctx,
                               const char *const *datapoints, size_t count, extatus_value *values)
{
    file_size *self = ref;
    if (!atomic_load(&self->valid)) /* not sampled yet: no value rather than a false 0 */
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "metric '%s': no sample yet", ctx->name);
    for (size_t i = 0; i < count; i++) {
        int known = !datapoints || strcmp(datapoints[i], "value") == 0;
        values[i].kind = known ? EXTATUS_VALUE_DOUBLE : EXTATUS_VALUE_UNDEFINED;
        values[i].number = known ? atomic_load(&self->bytes) : 0;
    }
    return EXTATUS_OK;
}

static int file_size_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                    const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = file_size_points;
    *count = 1;
    return EXTATUS_OK;
}

static void sleep_ms(long ms)
{
    struct timespec delay = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&delay, NULL);
}

static int check(int rc, const char *what)
{
    if (rc != EXTATUS_OK)
        fprintf(stderr, "probe: %s: %s\n", what, extatus_error_last());
    return rc;
}

int main(void)
{
    const extatus_entry_ops ops = {
        .version = EXTATUS_ENTRY_OPS_VERSION,
        .kind = EXTATUS_ENTRY_KIND_PROBE, /* sampled by the library */
        .metric_type = EXTATUS_METRIC_GAUGE,
        .create = file_size_create,
        .destroy = file_size_destroy,
        .get_value = file_size_get_value,
        .sample = file_size_sample,
        .get_datapoints = file_size_get_datapoints,
    };
    char path[] = "/tmp/extatus-probe-XXXXXX";
    extatus_option watched[] = {
        EXTATUS_OPT_STRING("help", "Size of the watched file."),
        EXTATUS_OPT_STRING("path", path),
        EXTATUS_OPT_NUMBER("sample_interval", 100),
    };
    extatus_option load[] = {
        EXTATUS_OPT_STRING("help", "Load average over one minute (exometer's cpu probe)."),
        EXTATUS_OPT_NUMBER("sample_interval", 100),
    };
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("probe: mkstemp");
        return 1;
    }
    FILE *file = fdopen(fd, "w");
    if (!file || check(extatus_type_register("file_size", &ops, NULL), "register") ||
        check(extatus_new(NULL, "watched_file_bytes", "file_size", watched, 3), "file_size") ||
        check(extatus_new(NULL, "node_load1", "cpu", load, 2), "cpu"))
        return 1;

    /* Grow the file; the probe follows on its own. */
    for (int round = 1; round <= 3; round++) {
        fprintf(file, "%0*d\n", 999, round);
        fflush(file);
        sleep_ms(250);
        extatus_value value;
        const char *datapoint[] = {"value"};
        if (check(extatus_get_value(NULL, "watched_file_bytes", EXTATUS_NO_LABELS, datapoint, 1,
                                    &value),
                  "read"))
            return 1;
        printf("after %d KB written: watched_file_bytes = %.0f\n", round, value.number);
    }
    extatus_probe_stats stats;
    if (check(extatus_probe_get_stats(NULL, "watched_file_bytes", EXTATUS_NO_LABELS, &stats),
              "stats"))
        return 1;
    printf("sampled %llu times, %llu failed\n", (unsigned long long)stats.samples,
           (unsigned long long)stats.errors);

    /* The default registry also holds the process collector (on by default). */
    extatus_buf text = EXTATUS_BUF_INIT;
    if (check(extatus_expose(&text, NULL, 0, NULL), "expose"))
        return 1;
    fputs(text.ptr, stdout);
    extatus_buf_dispose(&text);
    fclose(file);
    remove(path);
    extatus_shutdown();
    return 0;
}
