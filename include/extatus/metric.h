/*
 * extatus/metric.h - datapoints, values and the name-based metric API.
 *
 * The name-based calls follow exometer: create a metric by (name, type,
 * options), then update, read datapoints, reset, change options and delete
 * it by name. A Prometheus series is a family name plus one tuple of label
 * values, given as an extatus_labels with their count (extatus/labels.h);
 * pass EXTATUS_NO_LABELS for a family without labels.
 *
 * These calls look the family up by name on every call (a short lock on
 * the registry); keep a handle (extatus_family_series(), the typed *_get
 * calls) for hot paths.
 */
#ifndef EXTATUS_METRIC_H
#define EXTATUS_METRIC_H

#include "common.h"
#include "labels.h"
#include "options.h"

EXTATUS_BEGIN_DECLS

/* How a read-out value is represented. */
typedef enum extatus_value_kind {
    EXTATUS_VALUE_UNDEFINED = 0, /* the datapoint does not exist or has no value now */
    EXTATUS_VALUE_INT = 1,       /* `integer` holds the value */
    EXTATUS_VALUE_DOUBLE = 2     /* `number` holds the value */
} extatus_value_kind;

/* One datapoint value (exometer: {DataPoint, Value} or undefined). */
typedef struct extatus_value {
    extatus_value_kind kind; /* which field is valid */
    int64_t integer;         /* EXTATUS_VALUE_INT */
    double number;           /* EXTATUS_VALUE_DOUBLE */
} extatus_value;

/* The value as a double; NaN when undefined. Thread safety: any thread. */
EXTATUS_API double extatus_value_to_double(const extatus_value *value);

/* How a datapoint appears in the exposition. */
typedef enum extatus_sample_role {
    EXTATUS_SAMPLE_NONE = 0,     /* readable by get_value only, not exposed */
    EXTATUS_SAMPLE_VALUE = 1,    /* the value of a counter, gauge or unknown metric */
    EXTATUS_SAMPLE_BUCKET = 2,   /* cumulative histogram bucket; `bound` is its le */
    EXTATUS_SAMPLE_QUANTILE = 3, /* summary quantile; `bound` is the quantile */
    EXTATUS_SAMPLE_SUM = 4,      /* <name>_sum */
    EXTATUS_SAMPLE_COUNT = 5,    /* <name>_count */
    EXTATUS_SAMPLE_CREATED = 6   /* <name>_created: epoch seconds of creation or reset */
} extatus_sample_role;

/* A datapoint an entry offers (exometer's get_datapoints). */
typedef struct extatus_datapoint {
    const char *name;         /* name used by get_value, e.g. "value", "count", "0.99" */
    extatus_sample_role role; /* where it goes in the exposition */
    double bound;             /* le of a bucket or q of a quantile; otherwise 0 */
} extatus_datapoint;

/*
 * Create a metric family `name` of `type` in `registry` (NULL: "default").
 * `options` carries help, unit, labels, max_series and type options (see
 * options.h). A family without labels gets its single series at once.
 * Registering the same name again with the same type and label names
 * succeeds and changes nothing; a different type or label set fails with
 * EXTATUS_ERR_EXISTS, and so does a name whose exposed names clash with
 * another family's (counter x and counter x_total, histogram x and gauge
 * x_count, ...; see docs/exposition.md).
 * Errors: EXTATUS_ERR_NAME, _LABEL, _EXISTS, _NOT_FOUND (type), _OPTION, _NOMEM.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_new(extatus_registry *registry, const char *name, const char *type,
                            const extatus_option *options, size_t option_count);

/*
 * Set default options for families of `type` whose name matches `pattern`
 * (exometer's set_default). The pattern is a name prefix in which '*'
 * stands for any run of characters: "http_*" matches every name that
 * starts with "http_". When a family of that type is created (extatus_new,
 * extatus_family_new and the typed constructors) under a matching name, the
 * default options come first and the caller's options after them, so the
 * caller's win. Of several matching patterns the one with the most
 * characters other than '*' applies. Any option may be a default except
 * "labels"; for example help, cache, sample_interval or a type's own
 * options such as buckets. Setting (pattern, type) again replaces its
 * default; option_count 0 removes it. Options are copied. Defaults last
 * until extatus_shutdown().
 * Errors: EXTATUS_ERR_INVALID (bad pattern), _NOT_FOUND (unknown type),
 * _OPTION ("labels" or a key missing), _NOMEM.
 * Thread safety: any thread; families created meanwhile see the old or
 * the new default.
 */
EXTATUS_API int extatus_type_set_default(const char *pattern, const char *type,
                                         const extatus_option *options, size_t option_count);

/*
 * Feed `value` to the series `labels` of family `name` (creating the
 * series if it is missing), through the entry's update: a counter adds
 * it (refusing negative values with EXTATUS_ERR_RANGE), a gauge is set to
 * it, a histogram or summary observes it.
 * Errors: EXTATUS_ERR_NOT_FOUND, _LABEL, _LIMIT, _RANGE, _UNSUPPORTED, _NOMEM.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_update(extatus_registry *registry, const char *name, extatus_labels labels,
                               double value);

/*
 * Read datapoints of an existing series: values[i] receives datapoints[i],
 * or EXTATUS_VALUE_UNDEFINED if the entry has no such datapoint (this is
 * not an error). datapoints == NULL reads every datapoint, in
 * get_datapoints order; `count` must then equal that number.
 * Errors: EXTATUS_ERR_NOT_FOUND, _LABEL, _INVALID, _CALLBACK.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_get_value(extatus_registry *registry, const char *name,
                                  extatus_labels labels, const char *const *datapoints,
                                  size_t count, extatus_value *values);

/*
 * The datapoints the series offers. The array belongs to the entry and
 * stays valid while the series exists.
 * Errors: EXTATUS_ERR_NOT_FOUND, _LABEL. Thread safety: any thread.
 */
EXTATUS_API int extatus_get_datapoints(extatus_registry *registry, const char *name,
                                       extatus_labels labels, const extatus_datapoint **datapoints,
                                       size_t *count);

/*
 * Reset one series, or every series of the family with EXTATUS_ALL_SERIES.
 * Errors: EXTATUS_ERR_NOT_FOUND, _LABEL, _UNSUPPORTED. Thread safety: any thread.
 */
EXTATUS_API int extatus_reset(extatus_registry *registry, const char *name, extatus_labels labels);

/*
 * Change options of one series, or of every series and of the family's
 * defaults for new series with EXTATUS_ALL_SERIES. The entry refuses an
 * option it does not support with EXTATUS_ERR_OPTION and a reason; on
 * failure nothing is changed for that series. For a whole family the
 * series are changed one by one and the first refusal stops the walk.
 * Errors: EXTATUS_ERR_NOT_FOUND, _LABEL, _OPTION (also for help, unit, labels and
 * max_series, which are fixed at registration).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_setopts(extatus_registry *registry, const char *name, extatus_labels labels,
                                const extatus_option *options, size_t option_count);

/*
 * Delete the family `name` and all its series (exometer's delete). Handles
 * to it become invalid; a scrape in progress finishes safely.
 * Errors: EXTATUS_ERR_NOT_FOUND. Thread safety: any thread.
 */
EXTATUS_API int extatus_delete(extatus_registry *registry, const char *name);

EXTATUS_END_DECLS

#endif /* EXTATUS_METRIC_H */
