/*
 * series_calls.c - the public calls on one series, forwarded to its
 * family's entry (update, read, reset, setopts), and the series
 * accessors.
 */
#include "core/series.h"

#include "core/family_options.h"

int extatus_series_update(extatus_series *series, double value)
{
    if (!series)
        return extatus__error(EXTATUS_ERR_INVALID, "series update: NULL series");
    const extatus_family *family = series->family;
    if (!family->type->ops.update)
        return extatus__error(EXTATUS_ERR_UNSUPPORTED, "metric '%s': type '%s' takes no updates",
                              family->name, family->type_name);
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    return family->type->ops.update(series->ref, &ctx, value);
}

int extatus_series_get_datapoints(extatus_series *series, const extatus_datapoint **datapoints,
                                  size_t *count)
{
    if (!series || !datapoints || !count)
        return extatus__error(EXTATUS_ERR_INVALID, "series datapoints: NULL argument");
    const extatus_family *family = series->family;
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    return family->type->ops.get_datapoints(series->ref, &ctx, datapoints, count);
}

int extatus_series_get_value(extatus_series *series, const char *const *datapoints, size_t count,
                             extatus_value *values)
{
    if (!series || (count && !values))
        return extatus__error(EXTATUS_ERR_INVALID, "series get_value: NULL argument");
    const extatus_family *family = series->family;
    if (!datapoints) {
        const extatus_datapoint *all;
        size_t all_count;
        int rc = extatus_series_get_datapoints(series, &all, &all_count);
        if (rc != EXTATUS_OK)
            return rc;
        if (count != all_count)
            return extatus__error(EXTATUS_ERR_INVALID,
                                  "metric '%s': reading all datapoints needs room for %zu values, "
                                  "not %zu",
                                  family->name, all_count, count);
    }
    for (size_t i = 0; i < count; i++)
        values[i] = (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0};
    uint64_t mark = extatus__error_mark();
    int rc = extatus__series_read(series, datapoints, count, values);
    if (rc != EXTATUS_OK)
        (void)extatus__error_unless_since(mark, rc, "metric '%s': reading the value failed (%s)",
                                          family->name, extatus_strerror(rc));
    return rc;
}

int extatus_series_reset(extatus_series *series)
{
    if (!series)
        return extatus__error(EXTATUS_ERR_INVALID, "series reset: NULL series");
    const extatus_family *family = series->family;
    if (!family->type->ops.reset)
        return extatus__error(EXTATUS_ERR_UNSUPPORTED, "metric '%s': type '%s' cannot reset",
                              family->name, family->type_name);
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    return family->type->ops.reset(series->ref, &ctx);
}

int extatus__series_apply_options(extatus_series *series, const extatus_option *options,
                                  size_t count)
{
    const extatus_family *family = series->family;
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    uint64_t mark = extatus__error_mark();
    int rc = family->type->ops.setopts(series->ref, &ctx, options, count);
    if (rc != EXTATUS_OK)
        (void)extatus__error_unless_since(mark, rc,
                                          "metric '%s': type '%s' refused the options (%s)",
                                          family->name, family->type_name, extatus_strerror(rc));
    return rc;
}

int extatus_series_setopts(extatus_series *series, const extatus_option *options, size_t count)
{
    if (!series)
        return extatus__error(EXTATUS_ERR_INVALID, "series setopts: NULL series");
    int rc = extatus__setopts_check(series->family, options, count);
    if (rc != EXTATUS_OK || count == 0)
        return rc;
    return extatus__series_apply_options(series, options, count);
}

extatus_family *extatus_series_family(const extatus_series *series)
{
    return series ? series->family : NULL;
}

const char *const *extatus_series_label_values(const extatus_series *series)
{
    return series ? series->label_values : NULL;
}

void *extatus_series_ref(const extatus_series *series)
{
    return series ? series->ref : NULL;
}
