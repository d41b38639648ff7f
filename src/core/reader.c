/*
 * reader.c - the reader interface of core/reader.h: views of families and
 * series, the entry calls readers make, and the layers' attachment slots.
 */
#include "core/internal.h"

void extatus__family_view_of(const extatus_family *family, extatus__family_view *view)
{
    view->registry = family->registry->name;
    view->name = family->name;
    view->help = family->help;
    view->unit = family->unit;
    view->type_name = family->type_name;
    view->metric_type = family->type->metric_type;
    view->kind = family->type->ops.kind;
    view->label_names = (const char *const *)family->label_names;
    view->label_count = family->label_count;
}

void extatus__series_describe(const extatus_series *series, extatus__series_view *view)
{
    view->family = series->family;
    view->labels_text = series->labels_text;
    view->labels_text_len = series->labels_text_len;
    view->label_values = series->label_values;
    view->points = NULL;
    view->point_count = 0;
}

void extatus__series_view_of(extatus_series *series, extatus__series_view *view)
{
    extatus_family *family = series->family;
    extatus__series_describe(series, view);
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    const extatus_datapoint *points = NULL;
    size_t count = 0;
    if (family->type->ops.get_datapoints(series->ref, &ctx, &points, &count) == EXTATUS_OK &&
        points && count) {
        view->points = points;
        view->point_count = count;
    }
}

int extatus__series_sample(extatus_series *series)
{
    const extatus_family *family = series->family;
    if (!family->type->ops.sample)
        return EXTATUS_OK;
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    return family->type->ops.sample(series->ref, &ctx);
}

bool extatus__series_exemplar(extatus_series *series, size_t index, extatus_exemplar_value *out)
{
    const extatus_family *family = series->family;
    if (!family->type->ops.get_exemplar)
        return false;
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    return family->type->ops.get_exemplar(series->ref, &ctx, index, out) != 0;
}

void *extatus__series_ref(const extatus_series *series)
{
    return series->ref;
}

int extatus__typed_get(void **ref, extatus_family *family, extatus_labels labels,
                       int (*ops_create)(void **, const extatus_entry_ctx *, const extatus_option *,
                                         size_t),
                       const char *what)
{
    if (!ref || !family)
        return extatus__error(EXTATUS_ERR_INVALID, "%s get: NULL argument", what);
    *ref = NULL;
    if (family->type->ops.create != ops_create)
        return extatus__error(EXTATUS_ERR_TYPE, "metric '%s' is of type '%s', not a %s",
                              family->name, family->type_name, what);
    extatus_series *series = NULL;
    int rc = extatus_family_series(&series, family, labels);
    if (rc == EXTATUS_OK)
        *ref = series->ref;
    return rc;
}

uintptr_t extatus__family_attachment(const extatus_family *family, size_t slot)
{
    return family->attached[slot];
}

void extatus__family_attach(extatus_family *family, size_t slot, uintptr_t value)
{
    family->attached[slot] = value;
}

void *extatus__series_attachment(const extatus_series *series, size_t slot)
{
    return series->attached[slot];
}

void extatus__series_attach(extatus_series *series, size_t slot, void *value)
{
    series->attached[slot] = value;
}
