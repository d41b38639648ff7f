/*
 * extatus/expose.h - rendering registries as Prometheus text 0.0.4 or
 * OpenMetrics 1.0.0.
 *
 * Families come out sorted by name, series in creation order, label names
 * in declaration order with le/quantile last. Numbers are formatted
 * independently of the C locale; floats use the shortest text that reads
 * back to the same double.
 */
#ifndef EXTATUS_EXPOSE_H
#define EXTATUS_EXPOSE_H

#include "buf.h"
#include "common.h"

EXTATUS_BEGIN_DECLS

typedef enum extatus_format {
    EXTATUS_FORMAT_TEXT = 0,       /* text/plain; version=0.0.4 */
    EXTATUS_FORMAT_OPENMETRICS = 1 /* application/openmetrics-text; version=1.0.0 */
} extatus_format;

#define EXTATUS_EXPOSE_OPTIONS_VERSION 1

typedef struct extatus_expose_options {
    unsigned version;      /* EXTATUS_EXPOSE_OPTIONS_VERSION */
    extatus_format format; /* output format */
    int omit_created;      /* nonzero: no _created samples in OpenMetrics */
} extatus_expose_options;

#define EXTATUS_EXPOSE_OPTIONS_INIT                                                                \
    {                                                                                              \
        EXTATUS_EXPOSE_OPTIONS_VERSION, EXTATUS_FORMAT_TEXT, 0                                     \
    }

/*
 * Append the exposition of `registries[0..count)` to `out` (NULL/0: the
 * default registry). A family of a later registry with the name of, or
 * a name clashing with, a family already written (counter x beside gauge
 * x_total, histogram x beside gauge x_count, ...) is left out and counted
 * in the counter extatus_expose_skipped_families_total of the default
 * registry. `options` may be NULL (text 0.0.4).
 * On error `out` holds what was written so far plus nothing else.
 * Errors: EXTATUS_ERR_NOMEM, _NOSPACE (fixed buffer; size holds the need),
 * _INVALID.
 * Thread safety: any thread, concurrently with updates, series creation
 * and removal, and other scrapes.
 */
EXTATUS_API int extatus_expose(extatus_buf *out, extatus_registry *const *registries, size_t count,
                               const extatus_expose_options *options);

/*
 * The exact Content-Type header value for `format`, charset included
 * (static storage); an unknown format gives the text 0.0.4 type.
 * Thread safety: any thread.
 */
EXTATUS_API const char *extatus_format_content_type(extatus_format format);

EXTATUS_END_DECLS

#endif /* EXTATUS_EXPOSE_H */
