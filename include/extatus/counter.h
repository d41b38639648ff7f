/*
 * extatus/counter.h - the counter type ("counter").
 *
 * A monotonic total. Datapoints: "value" (the total; integer while only
 * integer increments were made), "ms_since_reset", "created" (epoch
 * seconds of creation or last reset). Exposed as a Prometheus counter: the
 * sample is <name>_total whether or not the name ends in _total.
 *
 * Increments go to per-thread shards, so threads never share a cache line
 * for one counter; reads sum the shards.
 */
#ifndef EXTATUS_COUNTER_H
#define EXTATUS_COUNTER_H

#include "common.h"
#include "exemplar.h"
#include "labels.h"

EXTATUS_BEGIN_DECLS

typedef struct extatus_counter extatus_counter;

/*
 * Create an unlabelled counter family `name` and return its series.
 * Errors: as extatus_family_new(). Thread safety: any thread.
 */
EXTATUS_API int extatus_counter_new(extatus_counter **out, extatus_registry *registry,
                                    const char *name, const char *help);

/*
 * The counter series of `family` for `labels` (extatus/labels.h), created if
 * needed.
 * Errors: EXTATUS_ERR_TYPE if the family's type is not implemented by the
 * counter entry (function_counter and spiral are not); as
 * extatus_family_series(). Thread safety: any thread.
 */
EXTATUS_API int extatus_counter_get(extatus_counter **out, extatus_family *family,
                                    extatus_labels labels);

/* Add 1. Thread safety: any thread; lock-free, allocation-free. */
EXTATUS_API void extatus_counter_inc(extatus_counter *counter);

/*
 * Add an integer. The total never goes down: it carries past 2^64 (a
 * 128-bit total, read as the nearest double from 2^63 on). Thread safety:
 * any thread; allocation-free; lock-free except for one short
 * process-wide lock when the thread's shard passes 2^63.
 */
EXTATUS_API void extatus_counter_add(extatus_counter *counter, uint64_t amount);

/*
 * Add a non-negative float (+Inf included). Errors: EXTATUS_ERR_RANGE for
 * a negative or NaN amount (nothing is added). Thread safety: any thread; lock-free.
 */
EXTATUS_API int extatus_counter_add_float(extatus_counter *counter, double amount);

/* The current total. Thread safety: any thread. */
/*
 * Add `amount` as extatus_counter_add() does and keep `exemplar`
 * (extatus/exemplar.h) as the counter's exemplar, replacing the one
 * there; OpenMetrics exposes it on the _total line. The amount is added
 * even when the exemplar is refused. Errors: EXTATUS_ERR_LABEL (an
 * invalid label name or value, more than EXTATUS_EXEMPLAR_LABELS_MAX
 * characters, no label), EXTATUS_ERR_INVALID (a negative or non-finite
 * timestamp), EXTATUS_ERR_NOMEM. Thread safety: any thread; takes the
 * series' exemplar lock.
 */
EXTATUS_API int extatus_counter_add_exemplar(extatus_counter *counter, uint64_t amount,
                                             const extatus_exemplar *exemplar);

EXTATUS_API double extatus_counter_value(const extatus_counter *counter);

/* Back to 0; the created time becomes now. Thread safety: any thread. */
EXTATUS_API void extatus_counter_reset(extatus_counter *counter);

EXTATUS_END_DECLS

#endif /* EXTATUS_COUNTER_H */
