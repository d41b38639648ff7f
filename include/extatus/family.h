/*
 * extatus/family.h - metric families and their series, by handle.
 *
 * A family is created once (extatus_family_new), then each series is
 * fetched once by its label values and the handle kept: updating through
 * a kept handle needs no lookup, no lock and no allocation. Looking up an
 * existing series by its values allocates nothing.
 *
 * Handle rule: a family or series handle is valid until that family or
 * series is removed (extatus_family_remove/_clear/_unregister,
 * extatus_delete, extatus_registry_free, extatus_shutdown). The caller must
 * not use a handle after removing what it names; scrapes running at the
 * same time are safe, the library keeps removed series alive until they end.
 */
#ifndef EXTATUS_FAMILY_H
#define EXTATUS_FAMILY_H

#include "common.h"
#include "labels.h"
#include "metric.h"

EXTATUS_BEGIN_DECLS

/*
 * Create (or find the identical) family; see extatus_new() for the rules.
 * The family belongs to the registry; `*out` is borrowed.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_family_new(extatus_family **out, extatus_registry *registry,
                                   const char *name, const char *type,
                                   const extatus_option *options, size_t option_count);

/*
 * Find a family by name. Errors: EXTATUS_ERR_NOT_FOUND.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_family_lookup(extatus_family **out, extatus_registry *registry,
                                      const char *name);

/*
 * Get the series for `labels` (one value per label name, with their count;
 * EXTATUS_NO_LABELS when the family has none; see extatus/labels.h),
 * creating it if needed. Values are copied and must be valid UTF-8; any
 * character is allowed (line feeds, carriage returns, quotes and
 * backslashes are escaped or kept as each format requires).
 * Errors: EXTATUS_ERR_LABEL (a count that is not the family's label count,
 * naming the family and both counts; a NULL or bad value, naming it), _LIMIT (max_series
 * reached), _NOMEM, or the entry's error from create.
 * Thread safety: any thread; lookups of existing series take a short
 * per-family lock and never allocate.
 */
EXTATUS_API int extatus_family_series(extatus_series **out, extatus_family *family,
                                      extatus_labels labels);

/*
 * Remove the series for `labels`. Errors: EXTATUS_ERR_NOT_FOUND, _LABEL
 * (as extatus_family_series).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_family_remove(extatus_family *family, extatus_labels labels);

/*
 * Remove every series of a family (its definition stays registered; a
 * family without labels gets a fresh series). Thread safety: any thread.
 */
EXTATUS_API int extatus_family_clear(extatus_family *family);

/*
 * Reset every series of the family through its entry's reset.
 * Errors: EXTATUS_ERR_UNSUPPORTED. Thread safety: any thread.
 */
EXTATUS_API int extatus_family_reset(extatus_family *family);

/*
 * Remove the family from its registry and free it with its series.
 * Thread safety: any thread (see the handle rule above).
 */
EXTATUS_API int extatus_family_unregister(extatus_family *family);

/* Family properties (borrowed). Thread safety: any thread. */
EXTATUS_API const char *extatus_family_name(const extatus_family *family);
EXTATUS_API const char *extatus_family_type(const extatus_family *family);
EXTATUS_API size_t extatus_family_label_count(const extatus_family *family);
EXTATUS_API size_t extatus_family_series_count(extatus_family *family);

/*
 * Feed a value to the series through its entry's update (the generic hot
 * path for user types). Errors: the entry's (for example
 * EXTATUS_ERR_RANGE), EXTATUS_ERR_UNSUPPORTED without update.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_series_update(extatus_series *series, double value);

/*
 * Read datapoints of a series; see extatus_get_value().
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_series_get_value(extatus_series *series, const char *const *datapoints,
                                         size_t count, extatus_value *values);

/* The series' datapoints; see extatus_get_datapoints(). */
EXTATUS_API int extatus_series_get_datapoints(extatus_series *series,
                                              const extatus_datapoint **datapoints, size_t *count);

/* Reset one series. Errors: EXTATUS_ERR_UNSUPPORTED. Any thread. */
EXTATUS_API int extatus_series_reset(extatus_series *series);

/* Change options of one series; see extatus_setopts(). Any thread. */
EXTATUS_API int extatus_series_setopts(extatus_series *series, const extatus_option *options,
                                       size_t option_count);

/* The family a series belongs to (borrowed). Any thread. */
EXTATUS_API extatus_family *extatus_series_family(const extatus_series *series);

/* The series' label values (borrowed; NULL when the family has no labels). */
EXTATUS_API const char *const *extatus_series_label_values(const extatus_series *series);

EXTATUS_END_DECLS

#endif /* EXTATUS_FAMILY_H */
