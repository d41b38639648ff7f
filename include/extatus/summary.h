/*
 * extatus/summary.h - the summary type ("summary").
 *
 * Always "count" and "sum" (lifetime totals). Quantiles are opt-in:
 * option "quantiles" (DOUBLES in (0,1), strictly increasing) estimated
 * over a sliding window of "max_age" seconds (NUMBER, default 60) split
 * into "age_buckets" slices (NUMBER, default 5). The estimate is rank-exact
 * within the window and its value is within 1/64 (1.6 %) relative error of
 * the true sample at that rank, for magnitudes between 2^-32 and 2^32;
 * values outside clamp to that range. A quantile of an empty window is NaN.
 * Datapoints: one per quantile named by its canonical text ("0.5",
 * "0.99"), "count", "sum", "created".
 */
#ifndef EXTATUS_SUMMARY_H
#define EXTATUS_SUMMARY_H

#include "common.h"
#include "labels.h"

EXTATUS_BEGIN_DECLS

typedef struct extatus_summary extatus_summary;

/*
 * Create an unlabelled summary family; quantiles NULL/0 gives a plain
 * count/sum summary. Errors: EXTATUS_ERR_OPTION, as extatus_family_new().
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_summary_new(extatus_summary **out, extatus_registry *registry,
                                    const char *name, const char *help, const double *quantiles,
                                    size_t quantile_count);

/*
 * The summary series for `labels` (extatus/labels.h), created if needed.
 * Errors: EXTATUS_ERR_TYPE if the family is not a summary; as
 * extatus_family_series(). Thread safety: any thread.
 */
EXTATUS_API int extatus_summary_get(extatus_summary **out, extatus_family *family,
                                    extatus_labels labels);

/* Record one observation. Thread safety: any thread; lock-free. */
EXTATUS_API void extatus_summary_observe(extatus_summary *summary, double value);

EXTATUS_END_DECLS

#endif /* EXTATUS_SUMMARY_H */
