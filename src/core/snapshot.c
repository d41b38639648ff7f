/*
 * snapshot.c - what readers (the exposition, reporters, probes, reset and
 * setopts of a whole family) take of a family: its live series in
 * creation order, held so that a concurrent removal cannot free them,
 * and the release that lets them go again.
 *
 * A snapshot holds its series through one count on the family
 * (family->snapshots) rather than a pin on each: a removal while any
 * snapshot is out parks the series in the family's graveyard
 * (core/series.c), and the release of the last snapshot frees the
 * graveyard. Taking and releasing a snapshot of a million series thus
 * writes to none of them.
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
    if (n)
        (void)extatus__family_order_copy(family, series); /* as many as the table holds */
    if (n)
        family->snapshots++;
    pthread_mutex_unlock(&family->lock);
    *out = series;
    *count = n;
    return EXTATUS_OK;
}

void extatus__series_release(extatus_family *family, extatus_series **series, size_t count)
{
    extatus_series *doomed = NULL;
    if (count) {
        pthread_mutex_lock(&family->lock);
        if (--family->snapshots == 0) {
            doomed = family->graveyard;
            family->graveyard = NULL;
        }
        pthread_mutex_unlock(&family->lock);
    }
    extatus__series_destroy_list(doomed);
    extatus__free(series);
}
