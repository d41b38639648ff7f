/*
 * custom_entry.c - a metric type of your own, plugged in exactly like the
 * built-in ones: "peak", a gauge that keeps the highest value it was
 * given since its last reset (for queue depths whose spikes would vanish
 * between two scrapes).
 *
 * It registers the type, creates a labelled family of it, feeds values by
 * name and through the series handle, reads datapoints back, and prints
 * the exposition.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <extatus.h>
#include <extatus/sys/entry.h>

typedef struct peak {
    _Atomic double highest; /* largest value since reset; -Inf when none */
    atomic_long updates;    /* values given since reset */
} peak;

/* "value" is exposed as the gauge's sample; "updates" is readable by name only. */
static const extatus_datapoint peak_datapoints[] = {
    {"value", EXTATUS_SAMPLE_VALUE, 0},
    {"updates", EXTATUS_SAMPLE_NONE, 0},
};

static int peak_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                       size_t option_count)
{
    if (option_count)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "%s: type '%s' has no option '%s'",
                                   ctx->name, ctx->type, options[0].key);
    peak *state = malloc(sizeof(*state));
    if (!state)
        return EXTATUS_ERR_NOMEM;
    atomic_init(&state->highest, -INFINITY);
    atomic_init(&state->updates, 0);
    *ref = state;
    return EXTATUS_OK;
}

static void peak_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    (void)ctx;
    free(ref);
}

static int peak_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                          size_t count, extatus_value *values)
{
    peak *state = ref;
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        const char *name = datapoints ? datapoints[i] : peak_datapoints[i].name;
        double highest = atomic_load(&state->highest);
        if (strcmp(name, "value") == 0 && highest != -INFINITY)
            values[i] = (extatus_value){EXTATUS_VALUE_DOUBLE, 0, highest};
        else if (strcmp(name, "updates") == 0)
            values[i] = (extatus_value){EXTATUS_VALUE_INT, atomic_load(&state->updates), 0};
        else /* unknown datapoint, or no value yet */
            values[i] = (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0};
    }
    return EXTATUS_OK;
}

static int peak_update(void *ref, const extatus_entry_ctx *ctx, double value)
{
    peak *state = ref;
    if (isnan(value))
        return extatus_entry_error(EXTATUS_ERR_RANGE, "%s: NaN cannot be a peak", ctx->name);
    double seen = atomic_load(&state->highest);
    while (value > seen && !atomic_compare_exchange_weak(&state->highest, &seen, value)) {
    }
    atomic_fetch_add(&state->updates, 1);
    return EXTATUS_OK;
}

static int peak_reset(void *ref, const extatus_entry_ctx *ctx)
{
    peak *state = ref;
    (void)ctx;
    atomic_store(&state->highest, -INFINITY);
    atomic_store(&state->updates, 0);
    return EXTATUS_OK;
}

static int peak_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                               const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = peak_datapoints;
    *count = sizeof(peak_datapoints) / sizeof(peak_datapoints[0]);
    return EXTATUS_OK;
}

static const extatus_entry_ops peak_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_ENTRY,
    .metric_type = EXTATUS_METRIC_GAUGE,
    .create = peak_create,
    .destroy = peak_destroy,
    .get_value = peak_get_value,
    .update = peak_update,
    .reset = peak_reset,
    .sample = NULL, /* not a probe */
    .get_datapoints = peak_get_datapoints,
    .setopts = NULL, /* no options to change */
};

static int fail(const char *what)
{
    fprintf(stderr, "custom_entry: %s: %s\n", what, extatus_error_last());
    return 1;
}

int main(void)
{
    const char *labels[] = {"queue"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Highest queue depth since the last reset."),
        EXTATUS_OPT_STRINGS("labels", labels, 1),
    };
    extatus_family *family;
    extatus_series *outbox;

    if (extatus_type_register("peak", &peak_ops, NULL) != EXTATUS_OK)
        return fail("register");
    if (extatus_family_new(&family, NULL, "queue_depth_peak", "peak", options, 2) != EXTATUS_OK)
        return fail("family");

    /* By name, exometer style ... */
    double depths[] = {3, 17, 5};
    for (size_t i = 0; i < 3; i++)
        if (extatus_update(NULL, "queue_depth_peak", EXTATUS_LABELS("inbox"), depths[i]) !=
            EXTATUS_OK)
            return fail("update");
    /* ... or through a kept series handle. */
    if (extatus_family_series(&outbox, family, EXTATUS_LABELS("outbox")) != EXTATUS_OK ||
        extatus_series_update(outbox, 2) != EXTATUS_OK)
        return fail("series");
    /* A refused value changes nothing and says why. */
    if (extatus_update(NULL, "queue_depth_peak", EXTATUS_LABELS("inbox"), NAN) == EXTATUS_ERR_RANGE)
        printf("refused: %s\n", extatus_error_last());

    const char *wanted[] = {"value", "updates", "median"};
    extatus_value values[3];
    if (extatus_get_value(NULL, "queue_depth_peak", EXTATUS_LABELS("inbox"), wanted, 3, values) !=
        EXTATUS_OK)
        return fail("get_value");
    printf("inbox: value=%g updates=%lld median=%s\n", values[0].number,
           (long long)values[1].integer,
           values[2].kind == EXTATUS_VALUE_UNDEFINED ? "undefined" : "?");

    extatus_buf text = EXTATUS_BUF_INIT;
    if (extatus_expose(&text, NULL, 0, NULL) != EXTATUS_OK)
        return fail("expose");
    fputs(text.ptr, stdout);
    extatus_buf_dispose(&text);
    extatus_shutdown();
    return 0;
}
