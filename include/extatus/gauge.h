/*
 * extatus/gauge.h - the gauge type ("gauge").
 *
 * One value that goes up and down. Datapoints: "value",
 * "ms_since_reset". Exposed as a Prometheus gauge.
 */
#ifndef EXTATUS_GAUGE_H
#define EXTATUS_GAUGE_H

#include "common.h"
#include "labels.h"

EXTATUS_BEGIN_DECLS

typedef struct extatus_gauge extatus_gauge;

/*
 * Create an unlabelled gauge family and return its series.
 * Errors: as extatus_family_new(). Thread safety: any thread.
 */
EXTATUS_API int extatus_gauge_new(extatus_gauge **out, extatus_registry *registry, const char *name,
                                  const char *help);

/*
 * The gauge series for `labels` (extatus/labels.h), created if needed.
 * Errors: EXTATUS_ERR_TYPE if the family is not a gauge; as
 * extatus_family_series(). Thread safety: any thread.
 */
EXTATUS_API int extatus_gauge_get(extatus_gauge **out, extatus_family *family,
                                  extatus_labels labels);

/* Updates. Thread safety: any thread; lock-free, allocation-free. */
EXTATUS_API void extatus_gauge_set(extatus_gauge *gauge, double value);
EXTATUS_API void extatus_gauge_inc(extatus_gauge *gauge);
EXTATUS_API void extatus_gauge_dec(extatus_gauge *gauge);
EXTATUS_API void extatus_gauge_add(extatus_gauge *gauge, double amount);
EXTATUS_API void extatus_gauge_sub(extatus_gauge *gauge, double amount);

/* Set to the current time in seconds since the epoch. Any thread; lock-free. */
EXTATUS_API void extatus_gauge_set_to_current_time(extatus_gauge *gauge);

/* The current value. Thread safety: any thread. */
EXTATUS_API double extatus_gauge_value(const extatus_gauge *gauge);

EXTATUS_END_DECLS

#endif /* EXTATUS_GAUGE_H */
