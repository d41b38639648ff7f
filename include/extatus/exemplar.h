/*
 * extatus/exemplar.h - exemplars: a label set (a trace id, say) with the
 * value and time of one observation, kept per histogram bucket and per
 * counter series and exposed in OpenMetrics after the sample it belongs
 * to (`# {trace_id="..."} value timestamp`); never in text 0.0.4.
 *
 * The calls that record one are beside their types:
 * extatus_counter_add_exemplar(), extatus_histogram_observe_exemplar(),
 * extatus_native_histogram_observe_exemplar().
 */
#ifndef EXTATUS_EXEMPLAR_H
#define EXTATUS_EXEMPLAR_H

#include "common.h"

EXTATUS_BEGIN_DECLS

/* UTF-8 characters the names and values of an exemplar's labels may have together. */
#define EXTATUS_EXEMPLAR_LABELS_MAX 128

/*
 * An exemplar as given to the recording calls (read during the call only).
 * Label names follow the label name rules ([a-zA-Z_][a-zA-Z0-9_]*, not
 * starting with "__"), values are UTF-8; names and values together at
 * most EXTATUS_EXEMPLAR_LABELS_MAX characters; at least one label.
 */
typedef struct extatus_exemplar {
    const char *const *names;  /* label_count label names */
    const char *const *values; /* label_count label values */
    size_t label_count;        /* labels in the set (at least 1) */
    double timestamp;          /* epoch seconds; 0: the time of the call */
} extatus_exemplar;

EXTATUS_END_DECLS

#endif /* EXTATUS_EXEMPLAR_H */
