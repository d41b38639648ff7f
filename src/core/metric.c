/*
 * metric.c - the name-based metric API (exometer's new/update/get_value/
 * get_datapoints/reset/setopts/delete).
 *
 * Each call finds the family by name with a reference held and pins the
 * series it works on, so a concurrent delete never frees them under it.
 */
#include "core/internal.h"

#include <math.h>

double extatus_value_to_double(const extatus_value *value)
{
    if (!value)
        return NAN;
    switch (value->kind) {
    case EXTATUS_VALUE_INT:
        return (double)value->integer;
    case EXTATUS_VALUE_DOUBLE:
        return value->number;
    case EXTATUS_VALUE_UNDEFINED:
        break;
    }
    return NAN;
}

int extatus_new(extatus_registry *registry, const char *name, const char *type,
                const extatus_option *options, size_t option_count)
{
    return extatus_family_new(NULL, registry, name, type, options, option_count);
}

static int find_family(extatus_family **out, extatus_registry *registry, const char *name)
{
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    registry = extatus__registry_resolve(registry);
    if (!registry)
        return extatus__error(EXTATUS_ERR_NOMEM, "cannot initialise the default registry");
    if (!name)
        return extatus__error(EXTATUS_ERR_INVALID, "metric name is NULL");
    *out = extatus__family_acquire(registry, name);
    if (!*out)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no metric '%s' in registry '%s'", name,
                              registry->name);
    return EXTATUS_OK;
}

/* Look up family and series (pinned); release with put_series. */
static int find_series(extatus_family **family, extatus_series **series, extatus_registry *registry,
                       const char *name, extatus_labels labels, bool create)
{
    int rc = find_family(family, registry, name);
    if (rc != EXTATUS_OK)
        return rc;
    rc = extatus__series_acquire(series, *family, labels, create);
    if (rc != EXTATUS_OK)
        extatus__family_drop(*family);
    return rc;
}

/* The one series of an unlabelled family also answers to EXTATUS_ALL_SERIES. */
static extatus_labels series_labels(extatus_labels labels)
{
    return labels.count == EXTATUS_LABELS_COUNT_ALL ? EXTATUS_NO_LABELS : labels;
}

static void put_series(extatus_family *family, extatus_series *series)
{
    extatus__series_unpin(series);
    extatus__family_drop(family);
}

int extatus_update(extatus_registry *registry, const char *name, extatus_labels labels,
                   double value)
{
    extatus_family *family = NULL;
    extatus_series *series = NULL;
    int rc = find_series(&family, &series, registry, name, labels, true);
    if (rc != EXTATUS_OK)
        return rc;
    rc = extatus_series_update(series, value);
    put_series(family, series);
    return rc;
}

int extatus_get_value(extatus_registry *registry, const char *name, extatus_labels labels,
                      const char *const *datapoints, size_t count, extatus_value *values)
{
    extatus_family *family = NULL;
    extatus_series *series = NULL;
    int rc = find_series(&family, &series, registry, name, labels, false);
    if (rc != EXTATUS_OK)
        return rc;
    rc = extatus_series_get_value(series, datapoints, count, values);
    put_series(family, series);
    return rc;
}

int extatus_get_datapoints(extatus_registry *registry, const char *name, extatus_labels labels,
                           const extatus_datapoint **datapoints, size_t *count)
{
    extatus_family *family = NULL;
    extatus_series *series = NULL;
    int rc = find_series(&family, &series, registry, name, labels, false);
    if (rc != EXTATUS_OK)
        return rc;
    rc = extatus_series_get_datapoints(series, datapoints, count);
    put_series(family, series);
    return rc;
}

int extatus_reset(extatus_registry *registry, const char *name, extatus_labels labels)
{
    extatus_family *family = NULL;
    int rc = find_family(&family, registry, name);
    if (rc != EXTATUS_OK)
        return rc;
    if (labels.count == EXTATUS_LABELS_COUNT_ALL && family->label_count) {
        rc = extatus_family_reset(family);
    } else {
        extatus_series *series = NULL;
        rc = extatus__series_acquire(&series, family, series_labels(labels), false);
        if (rc == EXTATUS_OK) {
            rc = extatus_series_reset(series);
            extatus__series_unpin(series);
        }
    }
    extatus__family_drop(family);
    return rc;
}

int extatus_setopts(extatus_registry *registry, const char *name, extatus_labels labels,
                    const extatus_option *options, size_t option_count)
{
    extatus_family *family = NULL;
    int rc = find_family(&family, registry, name);
    if (rc != EXTATUS_OK)
        return rc;
    if (labels.count == EXTATUS_LABELS_COUNT_ALL && family->label_count) {
        rc = extatus__family_setopts(family, options, option_count);
    } else {
        extatus_series *series = NULL;
        rc = extatus__series_acquire(&series, family, series_labels(labels), false);
        if (rc == EXTATUS_OK) {
            rc = extatus_series_setopts(series, options, option_count);
            extatus__series_unpin(series);
        }
    }
    if (rc == EXTATUS_OK && option_count)
        extatus__layers_family_changed(family, options, option_count);
    extatus__family_drop(family);
    return rc;
}

int extatus_delete(extatus_registry *registry, const char *name)
{
    extatus_family *family = NULL;
    int rc = find_family(&family, registry, name);
    if (rc != EXTATUS_OK)
        return rc;
    rc = extatus_family_unregister(family);
    extatus__family_drop(family);
    return rc;
}
