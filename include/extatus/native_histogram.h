/*
 * extatus/native_histogram.h - the native (exponential, sparse) histogram
 * type ("native_histogram").
 *
 * Buckets have exponentially growing widths: at schema s, the bucket with
 * index i holds the observations v with base^(i-1) < |v| <= base^i, where
 * base = 2^(2^-s); positive and negative observations have buckets of
 * their own and |v| <= zero_threshold goes to the zero bucket.
 *
 * Options:
 *   "schema" (NUMBER, integer EXTATUS_NATIVE_HISTOGRAM_SCHEMA_MIN..MAX,
 *       default EXTATUS_NATIVE_HISTOGRAM_SCHEMA_DEFAULT): the starting
 *       resolution.
 *   "zero_threshold" (NUMBER, finite, >= 0, default
 *       EXTATUS_NATIVE_HISTOGRAM_ZERO_THRESHOLD_DEFAULT).
 *   "max_buckets" (NUMBER, integer 1..EXTATUS_NATIVE_HISTOGRAM_MAX_BUCKETS,
 *       default EXTATUS_NATIVE_HISTOGRAM_MAX_BUCKETS_DEFAULT): the widest
 *       span of buckets, lowest to highest non-empty, each sign may need.
 *       When an observation would exceed it the schema drops by one
 *       (neighbouring buckets merge pairwise) until it fits, down to -4.
 *   "buckets" (DOUBLES): classic bounds kept beside the native buckets,
 *       as for the classic histogram; default none (only +Inf).
 * Datapoints: one per classic bucket named by its canonical le (at least
 * "+Inf"; cumulative counts), "count", "sum", "created"; the text and
 * OpenMetrics formats expose these, the native buckets go out in the
 * protobuf format.
 * NaN and infinite observations are counted in count (and sum) and in the
 * classic buckets, in no native bucket. Reset zeroes everything and
 * starts again at the configured schema.
 */
#ifndef EXTATUS_NATIVE_HISTOGRAM_H
#define EXTATUS_NATIVE_HISTOGRAM_H

#include "common.h"
#include "exemplar.h"
#include "labels.h"

EXTATUS_BEGIN_DECLS

#define EXTATUS_NATIVE_HISTOGRAM_SCHEMA_MIN             (-4)
#define EXTATUS_NATIVE_HISTOGRAM_SCHEMA_MAX             8
#define EXTATUS_NATIVE_HISTOGRAM_SCHEMA_DEFAULT         3
#define EXTATUS_NATIVE_HISTOGRAM_MAX_BUCKETS            128
#define EXTATUS_NATIVE_HISTOGRAM_MAX_BUCKETS_DEFAULT    100
#define EXTATUS_NATIVE_HISTOGRAM_ZERO_THRESHOLD_DEFAULT 2.938735877055719e-39 /* 2^-128 */

typedef struct extatus_native_histogram extatus_native_histogram;

/*
 * Create an unlabelled native histogram family with `schema` and the
 * other options at their defaults (no classic buckets).
 * Errors: EXTATUS_ERR_OPTION (schema outside -4..8), as
 * extatus_family_new(). Thread safety: any thread.
 */
EXTATUS_API int extatus_native_histogram_new(extatus_native_histogram **out,
                                             extatus_registry *registry, const char *name,
                                             const char *help, int schema);

/*
 * The native histogram series for `labels` (extatus/labels.h), created if
 * needed. Errors: EXTATUS_ERR_TYPE if the family is not a native
 * histogram; as extatus_family_series(). Thread safety: any thread.
 */
EXTATUS_API int extatus_native_histogram_get(extatus_native_histogram **out, extatus_family *family,
                                             extatus_labels labels);

/*
 * Record one observation. Thread safety: any thread; lock-free except
 * when the observation falls outside the buckets prepared so far (a rare
 * path that takes the series' lock and may allocate).
 */
EXTATUS_API void extatus_native_histogram_observe(extatus_native_histogram *histogram,
                                                  double value);

/*
 * Record one observation as extatus_native_histogram_observe() does and
 * keep `exemplar` (extatus/exemplar.h) as the exemplar of its classic
 * bucket (the +Inf bucket without classic buckets), replacing the one
 * there. The observation is counted even when the exemplar is refused.
 * Errors: EXTATUS_ERR_LABEL, EXTATUS_ERR_INVALID, EXTATUS_ERR_NOMEM as
 * extatus_histogram_observe_exemplar(). Thread safety: any thread; takes
 * the series' exemplar lock.
 */
EXTATUS_API int extatus_native_histogram_observe_exemplar(extatus_native_histogram *histogram,
                                                          double value,
                                                          const extatus_exemplar *exemplar);

EXTATUS_END_DECLS

#endif /* EXTATUS_NATIVE_HISTOGRAM_H */
