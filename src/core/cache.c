/*
 * cache.c - the per-entry read cache (exometer's `cache` option).
 *
 * A family created with {cache, Ms} gives each series a cache of all its
 * datapoints. A read within Ms of the last fill answers from the cache;
 * otherwise the entry's get_value fills it again (all datapoints, one
 * snapshot) and the read answers from the fresh copy. This sits in the
 * core's read path, so every entry type gets it and the exposition, the
 * name-based calls and the reporters all see the same cached value.
 */
#include "core/internal.h"

#include <string.h>

struct extatus__cache {
    pthread_mutex_t lock;                /* guards stamp_ns and values */
    int64_t stamp_ns;                    /* CLOCK_MONOTONIC of the last fill; 0: empty */
    const extatus_datapoint *datapoints; /* the entry's datapoints (stable for the ref) */
    size_t count;                        /* number of datapoints */
    extatus_value values[];              /* the last snapshot */
};

int extatus__cache_attach(extatus_series *series)
{
    const extatus_family *family = series->family;
    if (family->cache_ms <= 0)
        return EXTATUS_OK;
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    const extatus_datapoint *datapoints = NULL;
    size_t count = 0;
    int rc = family->type->ops.get_datapoints(series->ref, &ctx, &datapoints, &count);
    if (rc != EXTATUS_OK)
        return extatus__error(rc, "metric '%s': cannot list datapoints for its cache",
                              family->name);
    struct extatus__cache *cache =
        extatus__calloc(1, sizeof(*cache) + count * sizeof(extatus_value));
    if (!cache)
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory for its cache",
                              family->name);
    if (pthread_mutex_init(&cache->lock, NULL) != 0) {
        extatus__free(cache);
        return extatus__error(EXTATUS_ERR_SYSTEM, "metric '%s': cannot create its cache lock",
                              family->name);
    }
    cache->datapoints = datapoints;
    cache->count = count;
    series->cache = cache;
    return EXTATUS_OK;
}

void extatus__cache_detach(extatus_series *series)
{
    struct extatus__cache *cache = series->cache;
    if (!cache)
        return;
    pthread_mutex_destroy(&cache->lock);
    extatus__free(cache);
    series->cache = NULL;
}

int extatus__series_read(extatus_series *series, const char *const *datapoints, size_t count,
                         extatus_value *values)
{
    const extatus_family *family = series->family;
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    struct extatus__cache *cache = series->cache;
    if (!cache)
        return family->type->ops.get_value(series->ref, &ctx, datapoints, count, values);

    pthread_mutex_lock(&cache->lock);
    int64_t now = extatus__now_monotonic_ns();
    if (cache->stamp_ns == 0 || now - cache->stamp_ns >= family->cache_ms * 1000000) {
        for (size_t i = 0; i < cache->count; i++)
            cache->values[i] = (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0};
        int rc = family->type->ops.get_value(series->ref, &ctx, NULL, cache->count, cache->values);
        if (rc != EXTATUS_OK) {
            cache->stamp_ns = 0; /* a failed read is not cached */
            pthread_mutex_unlock(&cache->lock);
            return rc;
        }
        cache->stamp_ns = now ? now : 1;
    }
    for (size_t i = 0; i < count; i++) {
        size_t index = i;
        if (datapoints) {
            index = cache->count;
            for (size_t j = 0; datapoints[i] && j < cache->count; j++)
                if (strcmp(cache->datapoints[j].name, datapoints[i]) == 0) {
                    index = j;
                    break;
                }
        }
        values[i] = index < cache->count ? cache->values[index]
                                         : (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0};
    }
    pthread_mutex_unlock(&cache->lock);
    return EXTATUS_OK;
}
