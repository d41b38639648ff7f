/*
 * common.h - small helpers shared by the built-in entries.
 */
#ifndef EXTATUS_ENTRIES_COMMON_H
#define EXTATUS_ENTRIES_COMMON_H

#include "core/cells.h"
#include "core/layer.h"
#include "core/reader.h"
#include "core/util.h"

#include <string.h>

/* Refuse every option: for types that take none. */
static inline int extatus__entry_no_options(const extatus_entry_ctx *ctx,
                                            const extatus_option *options, size_t count)
{
    if (count)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "metric '%s': type '%s' has no option '%s'",
                                   ctx->name, ctx->type, options[0].key ? options[0].key : "");
    return EXTATUS_OK;
}

/* Index of `name` in `datapoints`, or -1. */
static inline int extatus__datapoint_index(const extatus_datapoint *datapoints, size_t count,
                                           const char *name)
{
    for (size_t i = 0; name && i < count; i++)
        if (strcmp(datapoints[i].name, name) == 0)
            return (int)i;
    return -1;
}

static inline extatus_value extatus__int_value(int64_t value)
{
    extatus_value v = {EXTATUS_VALUE_INT, value, 0};
    return v;
}

static inline extatus_value extatus__double_value(double value)
{
    extatus_value v = {EXTATUS_VALUE_DOUBLE, 0, value};
    return v;
}

/*
 * Milliseconds since a CLOCK_REALTIME stamp in nanoseconds, read from the
 * coarse clock: exact enough for ms_since_reset and several times cheaper,
 * which matters because a scrape reads it for every series.
 */
static inline int64_t extatus__ms_since(int64_t realtime_ns)
{
    int64_t elapsed = (extatus__now_realtime_coarse_ns() - realtime_ns) / 1000000;
    return elapsed > 0 ? elapsed : 0;
}

/*
 * Create an unlabelled family of `type` with `help` plus `extra` options,
 * and return the ref of its single series.
 */
int extatus__new_unlabelled(void **ref, extatus_registry *registry, const char *name,
                            const char *type, const char *help, const extatus_option *extra,
                            size_t extra_count);

/* The entries layer as core sees it (builtin.c); src/library.c joins it. */
extern const extatus__layer extatus__entries_layer;

#endif /* EXTATUS_ENTRIES_COMMON_H */
