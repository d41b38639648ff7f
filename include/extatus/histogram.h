/*
 * extatus/histogram.h - the classic histogram type ("histogram").
 *
 * Option "buckets" (DOUBLES): strictly increasing finite upper bounds; a
 * +Inf bucket is always added; default extatus_buckets_default(). At most
 * EXTATUS_HISTOGRAM_MAX_BUCKETS bounds.
 * Datapoints: one per bucket named by its canonical le ("0.005", "1.0",
 * "+Inf"; cumulative counts), "count", "sum", "created". Within one read
 * the +Inf bucket always equals count.
 */
#ifndef EXTATUS_HISTOGRAM_H
#define EXTATUS_HISTOGRAM_H

#include "common.h"
#include "exemplar.h"
#include "labels.h"

EXTATUS_BEGIN_DECLS

#define EXTATUS_HISTOGRAM_MAX_BUCKETS 256

typedef struct extatus_histogram extatus_histogram;

/*
 * Create an unlabelled histogram family; bounds NULL means the default
 * buckets. Errors: EXTATUS_ERR_OPTION (bounds not strictly increasing,
 * NaN or infinite, naming the offender), as extatus_family_new().
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_histogram_new(extatus_histogram **out, extatus_registry *registry,
                                      const char *name, const char *help, const double *bounds,
                                      size_t bound_count);

/*
 * The histogram series for `labels` (extatus/labels.h), created if needed.
 * Errors: EXTATUS_ERR_TYPE if the family is not a histogram; as
 * extatus_family_series(). Thread safety: any thread.
 */
EXTATUS_API int extatus_histogram_get(extatus_histogram **out, extatus_family *family,
                                      extatus_labels labels);

/*
 * Record one observation (le is inclusive: a value equal to a bound counts
 * in that bucket). NaN counts only in +Inf and count and makes sum NaN.
 * Thread safety: any thread; lock-free, allocation-free.
 */
EXTATUS_API void extatus_histogram_observe(extatus_histogram *histogram, double value);

/*
 * Record one observation as extatus_histogram_observe() does and keep
 * `exemplar` (extatus/exemplar.h) with it as the exemplar of its bucket,
 * replacing the one there; OpenMetrics exposes it on that bucket's line.
 * The observation is counted even when the exemplar is refused.
 * Errors: EXTATUS_ERR_LABEL (an invalid label name or value, more than
 * EXTATUS_EXEMPLAR_LABELS_MAX characters, no label), EXTATUS_ERR_INVALID
 * (a negative or non-finite timestamp), EXTATUS_ERR_NOMEM.
 * Thread safety: any thread; takes the series' exemplar lock.
 */
EXTATUS_API int extatus_histogram_observe_exemplar(extatus_histogram *histogram, double value,
                                                   const extatus_exemplar *exemplar);

/*
 * Prometheus' default bounds (.005 .01 .025 .05 .1 .25 .5 1 2.5 5 10);
 * *count receives 11. Static storage. Thread safety: any thread.
 */
EXTATUS_API const double *extatus_buckets_default(size_t *count);

/*
 * Fill out[0..count) with start, start+width, ...
 * Errors: EXTATUS_ERR_INVALID (count 0, width <= 0, non-finite).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_buckets_linear(double *out, double start, double width, size_t count);

/*
 * Fill out[0..count) with start, start*factor, ...
 * Errors: EXTATUS_ERR_INVALID (count 0, start <= 0, factor <= 1).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_buckets_exponential(double *out, double start, double factor, size_t count);

EXTATUS_END_DECLS

#endif /* EXTATUS_HISTOGRAM_H */
