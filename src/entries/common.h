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

/*
 * Refuse a change to an option fixed when the series was created:
 * EXTATUS_ERR_OPTION "option '<key>' cannot change after creation: <why>"
 * when `key` is among `options` and `changed`; EXTATUS_OK otherwise.
 */
int extatus__option_fixed(const extatus_option *options, size_t count, const char *key,
                          bool changed, const char *why);

/* Whether two lists of doubles are the same, byte for byte. */
static inline bool extatus__doubles_same(const double *a, size_t a_count, const double *b,
                                         size_t b_count)
{
    return a_count == b_count && (a_count == 0 || memcmp(a, b, a_count * sizeof(double)) == 0);
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

/*
 * Index in `datapoints` of the i-th value a get_value call asks for: the
 * datapoint named names[i], or the i-th datapoint when names is NULL;
 * `count` when there is no such datapoint.
 */
static inline size_t extatus__datapoint_wanted(const extatus_datapoint *datapoints, size_t count,
                                               const char *const *names, size_t i)
{
    int index;

    if (names == NULL)
        return i < count ? i : count;
    index = extatus__datapoint_index(datapoints, count, names[i]);
    return index < 0 ? count : (size_t)index;
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
static inline extatus_value extatus__undefined_value(void)
{
    extatus_value v = {EXTATUS_VALUE_UNDEFINED, 0, 0};
    return v;
}

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
