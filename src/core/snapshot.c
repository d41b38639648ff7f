/*
 * snapshot.c - what readers (the exposition, reporters, probes, reset and
 * setopts of a whole family) take of a family: its live series in
 * creation order, each pinned so that a concurrent removal cannot free
 * it, and the release that unpins them again.
 */
#include "core/series.h"

int extatus__family_snapshot(extatus_family *family, extatus_series ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    pthread_mutex_lock(&family->lock);
    size_t n = family->series_table.count;
    extatus_series **series = n ? extatus__malloc(n * sizeof(*series)) : NULL;
    if (n && !series) {
        pthread_mutex_unlock(&family->lock);
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': cannot snapshot %zu series",
                              family->name, n);
    }
    size_t i = 0;
    for (extatus_series *s = family->first; s; s = s->next) {
        s->pins++;
        /* The list holds as many series as the table, so `series` was allocated. */
        series[i++] = s; // NOLINT(clang-analyzer-core.NullDereference)
    }
    pthread_mutex_unlock(&family->lock);
    *out = series;
    *count = n;
    return EXTATUS_OK;
}

void extatus__series_release(extatus_family *family, extatus_series **series, size_t count)
{
    extatus_series *doomed = NULL;
    pthread_mutex_lock(&family->lock);
    for (size_t i = 0; i < count; i++) {
        if (--series[i]->pins == 0 && series[i]->removed) {
            series[i]->next = doomed;
            doomed = series[i];
        }
    }
    pthread_mutex_unlock(&family->lock);
    extatus__series_destroy_list(doomed);
    extatus__free(series);
}
