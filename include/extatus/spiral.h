/*
 * extatus/spiral.h - exometer's spiral ("spiral"): a total plus the sum
 * over a sliding time window.
 *
 * Options: "time_span" (NUMBER, ms, default 60000) split into "slots"
 * (NUMBER, default 60). Datapoints, as in exometer: "count" (lifetime
 * total), "one" (sum over the last time_span), "created". Exposed as a
 * counter of "count"; the window sum is for get_value and reporters
 * (Prometheus computes windows itself with increase()).
 */
#ifndef EXTATUS_SPIRAL_H
#define EXTATUS_SPIRAL_H

#include "common.h"
#include "labels.h"

EXTATUS_BEGIN_DECLS

typedef struct extatus_spiral extatus_spiral;

/*
 * Create an unlabelled spiral family and return its series.
 * Errors: as extatus_family_new(). Thread safety: any thread.
 */
EXTATUS_API int extatus_spiral_new(extatus_spiral **out, extatus_registry *registry,
                                   const char *name, const char *help);

/*
 * The spiral series for `labels` (extatus/labels.h), created if needed.
 * Errors: EXTATUS_ERR_TYPE if the family is not a spiral; as
 * extatus_family_series(). Thread safety: any thread.
 */
EXTATUS_API int extatus_spiral_get(extatus_spiral **out, extatus_family *family,
                                   extatus_labels labels);

/* Add `amount` to the current slot and the total. Any thread; lock-free. */
EXTATUS_API void extatus_spiral_add(extatus_spiral *spiral, uint64_t amount);

EXTATUS_END_DECLS

#endif /* EXTATUS_SPIRAL_H */
