/*
 * extatus/function.h - metrics whose value a callback computes at read
 * time ("function_gauge", "function_counter"; exometer's function entry).
 *
 * Options: "function" (FUNCTION, an extatus_value_fn) and "user_data"
 * (POINTER). The callback runs on the thread that reads (the scrape), once
 * per series per read, and must be thread-safe. Datapoint: "value".
 * A callback that returns nonzero leaves the value undefined: the series
 * is left out of that scrape.
 *
 * Lifetime: user_data must stay valid while the family exists; a scrape
 * that started before extatus_delete() may still call the callback once,
 * so release user_data only when no scrape can be running (after the
 * exporter stopped, or after extatus_shutdown()).
 */
#ifndef EXTATUS_FUNCTION_H
#define EXTATUS_FUNCTION_H

#include "common.h"

EXTATUS_BEGIN_DECLS

/* Compute the value of the series with `label_values`; return 0 on success. */
typedef int (*extatus_value_fn)(double *value, const char *const *label_values, void *user_data);

/*
 * Create an unlabelled function-backed gauge.
 * Errors: EXTATUS_ERR_OPTION (function NULL), as extatus_family_new().
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_function_gauge_new(extatus_registry *registry, const char *name,
                                           const char *help, extatus_value_fn function,
                                           void *user_data);

/*
 * Create an unlabelled function-backed counter.
 * Errors: EXTATUS_ERR_OPTION (function NULL), as extatus_family_new().
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_function_counter_new(extatus_registry *registry, const char *name,
                                             const char *help, extatus_value_fn function,
                                             void *user_data);

EXTATUS_END_DECLS

#endif /* EXTATUS_FUNCTION_H */
