/*
 * fake_entry.h - a test-only entry type whose values the test sets, for
 * exposition tests of every metric type through the plug-in interface.
 *
 * fake_register() maps the type names below to one operations table;
 * each name carries its datapoints (and its metric type) in type_data.
 * Options of the entry (at creation or through setopts):
 *   "values" POINTER  const extatus_value[count]: the values get_value
 *                     returns, in datapoint order (absent: all undefined)
 *   "fail"   NUMBER   nonzero: get_value fails (the series is dropped)
 *
 * Header-only (static functions) so that each test program gets its own.
 */
#ifndef EXTATUS_TEST_FAKE_ENTRY_H
#define EXTATUS_TEST_FAKE_ENTRY_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "extatus.h"
#include "extatus/sys/entry.h"

#define FAKE_INT(v)                                                                                \
    {                                                                                              \
        EXTATUS_VALUE_INT, (v), 0                                                                  \
    }
#define FAKE_DOUBLE(v)                                                                             \
    {                                                                                              \
        EXTATUS_VALUE_DOUBLE, 0, (v)                                                               \
    }
#define FAKE_UNDEFINED                                                                             \
    {                                                                                              \
        EXTATUS_VALUE_UNDEFINED, 0, 0                                                              \
    }

typedef struct fake_type {
    const char *name;                /* registered type name */
    extatus_metric_type metric_type; /* how families of it are exposed */
    const extatus_datapoint *points; /* datapoints of every series */
    size_t count;                    /* entries in points */
} fake_type;

typedef struct fake_ref {
    const fake_type *type;       /* from type_data */
    const extatus_value *values; /* type->count values, or NULL */
    int fail;                    /* get_value fails */
} fake_ref;

static const extatus_datapoint fake_counter_points[] = {
    {"value", EXTATUS_SAMPLE_VALUE, 0},
    {"created", EXTATUS_SAMPLE_CREATED, 0},
    {"ms_since_reset", EXTATUS_SAMPLE_NONE, 0},
};

static const extatus_datapoint fake_gauge_points[] = {
    {"value", EXTATUS_SAMPLE_VALUE, 0},
    {"created", EXTATUS_SAMPLE_CREATED, 0}, /* never written for a gauge */
    {"hidden", EXTATUS_SAMPLE_NONE, 0},
};

static const extatus_datapoint fake_histogram_points[] = {
    {"0.005", EXTATUS_SAMPLE_BUCKET, 0.005},  {"0.5", EXTATUS_SAMPLE_BUCKET, 0.5},
    {"1", EXTATUS_SAMPLE_BUCKET, 1.0},        {"10", EXTATUS_SAMPLE_BUCKET, 10.0},
    {"inf", EXTATUS_SAMPLE_BUCKET, INFINITY}, {"sum", EXTATUS_SAMPLE_SUM, 0},
    {"count", EXTATUS_SAMPLE_COUNT, 0},       {"created", EXTATUS_SAMPLE_CREATED, 0},
};

/* Buckets out of order and no +Inf bucket: the writer sorts and adds it. */
static const extatus_datapoint fake_histogram_unsorted_points[] = {
    {"1000", EXTATUS_SAMPLE_BUCKET, 1000.0}, {"10", EXTATUS_SAMPLE_BUCKET, 10.0},
    {"count", EXTATUS_SAMPLE_COUNT, 0},      {"100", EXTATUS_SAMPLE_BUCKET, 100.0},
    {"sum", EXTATUS_SAMPLE_SUM, 0},
};

static const extatus_datapoint fake_histogram_negative_points[] = {
    {"-1", EXTATUS_SAMPLE_BUCKET, -1.0},    {"0", EXTATUS_SAMPLE_BUCKET, 0.0},
    {"1", EXTATUS_SAMPLE_BUCKET, 1.0},      {"inf", EXTATUS_SAMPLE_BUCKET, INFINITY},
    {"sum", EXTATUS_SAMPLE_SUM, 0},         {"count", EXTATUS_SAMPLE_COUNT, 0},
    {"created", EXTATUS_SAMPLE_CREATED, 0},
};

static const extatus_datapoint fake_summary_points[] = {
    {"0.5", EXTATUS_SAMPLE_QUANTILE, 0.5},   {"0.9", EXTATUS_SAMPLE_QUANTILE, 0.9},
    {"0.99", EXTATUS_SAMPLE_QUANTILE, 0.99}, {"sum", EXTATUS_SAMPLE_SUM, 0},
    {"count", EXTATUS_SAMPLE_COUNT, 0},      {"created", EXTATUS_SAMPLE_CREATED, 0},
};

#define FAKE_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const fake_type fake_types[] = {
    {"fake_counter", EXTATUS_METRIC_COUNTER, fake_counter_points, FAKE_COUNT(fake_counter_points)},
    {"fake_gauge", EXTATUS_METRIC_GAUGE, fake_gauge_points, FAKE_COUNT(fake_gauge_points)},
    {"fake_untyped", EXTATUS_METRIC_UNKNOWN, fake_gauge_points, FAKE_COUNT(fake_gauge_points)},
    {"fake_histogram", EXTATUS_METRIC_HISTOGRAM, fake_histogram_points,
     FAKE_COUNT(fake_histogram_points)},
    {"fake_histogram_unsorted", EXTATUS_METRIC_HISTOGRAM, fake_histogram_unsorted_points,
     FAKE_COUNT(fake_histogram_unsorted_points)},
    {"fake_histogram_negative", EXTATUS_METRIC_HISTOGRAM, fake_histogram_negative_points,
     FAKE_COUNT(fake_histogram_negative_points)},
    {"fake_summary", EXTATUS_METRIC_SUMMARY, fake_summary_points, FAKE_COUNT(fake_summary_points)},
};

static int fake_apply(fake_ref *ref, const extatus_option *options, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const extatus_option *option = &options[i];
        if (strcmp(option->key, "values") == 0 && option->kind == EXTATUS_OPTION_POINTER)
            ref->values = option->pointer;
        else if (strcmp(option->key, "fail") == 0 && option->kind == EXTATUS_OPTION_NUMBER)
            ref->fail = option->number != 0;
        else
            return extatus_entry_error(EXTATUS_ERR_OPTION, "fake entry: unknown option '%s'",
                                       option->key);
    }
    return EXTATUS_OK;
}

static int fake_create(void **out, const extatus_entry_ctx *ctx, const extatus_option *options,
                       size_t count)
{
    fake_ref *ref = calloc(1, sizeof(*ref));
    if (!ref)
        return EXTATUS_ERR_NOMEM;
    ref->type = ctx->type_data;
    int rc = fake_apply(ref, options, count);
    if (rc != EXTATUS_OK) {
        free(ref);
        return rc;
    }
    *out = ref;
    return EXTATUS_OK;
}

static void fake_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    (void)ctx;
    free(ref);
}

static int fake_get_value(void *opaque, const extatus_entry_ctx *ctx, const char *const *datapoints,
                          size_t count, extatus_value *values)
{
    (void)ctx;
    const fake_ref *ref = opaque;
    if (ref->fail)
        return extatus_entry_error(EXTATUS_ERR_CALLBACK, "fake entry: asked to fail");
    for (size_t i = 0; i < count; i++) {
        size_t index = i;
        if (datapoints) {
            for (index = 0; index < ref->type->count; index++)
                if (strcmp(ref->type->points[index].name, datapoints[i]) == 0)
                    break;
        }
        if (index < ref->type->count && ref->values)
            values[i] = ref->values[index];
        else
            values[i] = (extatus_value)FAKE_UNDEFINED;
    }
    return EXTATUS_OK;
}

static int fake_get_datapoints(void *opaque, const extatus_entry_ctx *ctx,
                               const extatus_datapoint **points, size_t *count)
{
    (void)ctx;
    const fake_ref *ref = opaque;
    *points = ref->type->points;
    *count = ref->type->count;
    return EXTATUS_OK;
}

static int fake_setopts(void *opaque, const extatus_entry_ctx *ctx, const extatus_option *options,
                        size_t count)
{
    (void)ctx;
    fake_ref *ref = opaque;
    fake_ref changed = *ref;
    int rc = fake_apply(&changed, options, count);
    if (rc == EXTATUS_OK)
        *ref = changed;
    return rc;
}

/* Register every fake type (once per process; later calls are no-ops). */
static int fake_register(void)
{
    static int registered;
    if (registered)
        return EXTATUS_OK;
    extatus_entry_ops ops;
    memset(&ops, 0, sizeof(ops));
    ops.version = EXTATUS_ENTRY_OPS_VERSION;
    ops.kind = EXTATUS_ENTRY_KIND_ENTRY;
    ops.metric_type = EXTATUS_METRIC_GAUGE;
    ops.create = fake_create;
    ops.destroy = fake_destroy;
    ops.get_value = fake_get_value;
    ops.get_datapoints = fake_get_datapoints;
    ops.setopts = fake_setopts;
    for (size_t i = 0; i < FAKE_COUNT(fake_types); i++) {
        extatus_type_options options = EXTATUS_TYPE_OPTIONS_INIT;
        options.metric_type = fake_types[i].metric_type;
        options.type_data = (void *)(uintptr_t)&fake_types[i];
        int rc = extatus_type_register(fake_types[i].name, &ops, &options);
        if (rc != EXTATUS_OK)
            return rc;
    }
    registered = 1;
    return EXTATUS_OK;
}

/* Give one series its values (and failure flag) through setopts. */
static int fake_set(extatus_family *family, extatus_labels label_values,
                    const extatus_value *values, int fail)
{
    extatus_series *series;
    int rc = extatus_family_series(&series, family, label_values);
    if (rc != EXTATUS_OK)
        return rc;
    extatus_option options[] = {
        EXTATUS_OPT_POINTER("values", (void *)(uintptr_t)values),
        EXTATUS_OPT_NUMBER("fail", fail),
    };
    return extatus_series_setopts(series, options, 2);
}

#endif /* EXTATUS_TEST_FAKE_ENTRY_H */
