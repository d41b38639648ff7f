/*
 * extatus/sys/entry.h - the entry behaviour: the plug-in interface every
 * metric type implements (after exometer_entry).
 *
 * A type name maps to an operations table (extatus_type_register). Each
 * series of a family whose type maps to the table is one entry instance:
 * `create` makes its state (the "ref"), the library hands that ref to every
 * later call. The built-in counter, gauge, histogram, summary, function and
 * spiral types are registered through exactly this interface at start-up.
 *
 * Stability: this header belongs to the systems API. The table is
 * versioned; methods are only ever appended; a table with an older
 * `version` keeps working. Compatible across minor releases.
 *
 * Concurrency contract for implementations: `update`, `get_value`, `reset`
 * and `sample` may run at the same time from different threads on one ref
 * (application threads update while a scrape reads); `setopts` is
 * serialised with other setopts and with create/destroy of the same
 * family but may overlap update/get_value; `destroy` runs when no other
 * call on the ref is in progress or will follow.
 */
#ifndef EXTATUS_SYS_ENTRY_H
#define EXTATUS_SYS_ENTRY_H

#include "../common.h"
#include "../metric.h"
#include "../options.h"

EXTATUS_BEGIN_DECLS

#define EXTATUS_ENTRY_OPS_VERSION 2

/* Bytes of the label text of an exemplar as an entry hands it out, with its NUL. */
#define EXTATUS_EXEMPLAR_TEXT_MAX 1040

/*
 * An exemplar as an entry hands it to the exposition (get_exemplar):
 * its labels already written as the exposition writes labels.
 */
typedef struct extatus_exemplar_value {
    char labels[EXTATUS_EXEMPLAR_TEXT_MAX]; /* `a="x",b="y"`, escaped, NUL-terminated */
    double value;                           /* the observation or increment */
    double timestamp;                       /* epoch seconds */
} extatus_exemplar_value;

/* exometer's behaviour(): a plain entry, or a probe sampled periodically. */
typedef enum extatus_entry_kind {
    EXTATUS_ENTRY_KIND_ENTRY = 0, /* values come from update() */
    EXTATUS_ENTRY_KIND_PROBE = 1  /* values come from sample(), called periodically */
} extatus_entry_kind;

/* The Prometheus type a family is exposed as. */
typedef enum extatus_metric_type {
    EXTATUS_METRIC_UNSET = 0,     /* in extatus_type_options: use the table's type */
    EXTATUS_METRIC_COUNTER = 1,   /* monotonic; OpenMetrics sample <name>_total */
    EXTATUS_METRIC_GAUGE = 2,     /* one value that goes up and down */
    EXTATUS_METRIC_HISTOGRAM = 3, /* buckets, _sum, _count; label le reserved */
    EXTATUS_METRIC_SUMMARY = 4,   /* quantiles, _sum, _count; label quantile reserved */
    EXTATUS_METRIC_UNKNOWN = 5    /* untyped */
} extatus_metric_type;

/* What the library tells an entry about the metric (exometer's Name, Type). */
typedef struct extatus_entry_ctx {
    const char *name;                /* family name */
    const char *type;                /* type name given at creation, before mapping */
    void *type_data;                 /* user data given to extatus_type_register */
    const char *const *label_names;  /* the family's label names */
    const char *const *label_values; /* this series' values; NULL when validating options */
    size_t label_count;              /* entries in label_names and label_values */
} extatus_entry_ctx;

typedef struct extatus_entry_ops {
    /* EXTATUS_ENTRY_OPS_VERSION the table was written against. */
    unsigned version;

    /* exometer's behaviour(): entry or probe. */
    extatus_entry_kind kind;

    /* How families of this type are exposed (may be overridden per type name). */
    extatus_metric_type metric_type;

    /*
     * exometer new/3 (required). Create the state for one series from the
     * options and store it in *ref. The options are the family's options
     * minus the keys the library takes (help, unit, labels, max_series).
     * Refuse an unknown option or a bad value with EXTATUS_ERR_OPTION and a
     * reason set by extatus_entry_error(). Any non-OK return cancels the
     * creation and nothing else is called. Called with
     * ctx->label_values == NULL once when a family with labels is
     * registered, to validate the options; destroy follows at once.
     */
    int (*create)(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                  size_t option_count);

    /*
     * exometer delete/3 (optional). Free everything create made. Runs
     * after the series was removed and no scrape can still read it.
     */
    void (*destroy)(void *ref, const extatus_entry_ctx *ctx);

    /*
     * exometer get_value/4 (required). Fill values[i] for datapoints[i].
     * A name the entry does not offer gives EXTATUS_VALUE_UNDEFINED for that
     * datapoint, not an error for the call. With datapoints == NULL fill
     * every datapoint in get_datapoints order (`count` is that number);
     * the exposition reads this way and expects one consistent snapshot
     * (for a histogram: the +Inf bucket equals count). A datapoint without a
     * value right now (a quantile of an empty window) is UNDEFINED or NaN.
     * Return EXTATUS_OK, or an error to drop the whole series from this read.
     */
    int (*get_value)(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                     size_t count, extatus_value *values);

    /*
     * exometer update/4 (optional; NULL: EXTATUS_ERR_UNSUPPORTED). Fold
     * `value` into the state. Refuse a value the type cannot take (a
     * negative counter increment) with EXTATUS_ERR_RANGE, changing nothing.
     */
    int (*update)(void *ref, const extatus_entry_ctx *ctx, double value);

    /*
     * exometer reset/3 (optional; NULL: EXTATUS_ERR_UNSUPPORTED). Return to
     * the state just after create: counters to 0, histograms emptied; the
     * created timestamp becomes now.
     */
    int (*reset)(void *ref, const extatus_entry_ctx *ctx);

    /*
     * exometer sample/3 (optional; NULL: nothing to do). Probes pull fresh
     * data here (from /proc, a device, a queue); plain entries do nothing
     * and return EXTATUS_OK.
     */
    int (*sample)(void *ref, const extatus_entry_ctx *ctx);

    /*
     * exometer get_datapoints/3 (required). Every datapoint get_value
     * supports. The array belongs to the entry and must stay unchanged
     * while the ref exists.
     */
    int (*get_datapoints)(void *ref, const extatus_entry_ctx *ctx,
                          const extatus_datapoint **datapoints, size_t *count);

    /*
     * exometer setopts/4 (optional; NULL: every option is refused). Apply
     * options to a live entry; return EXTATUS_OK or EXTATUS_ERR_OPTION with a
     * reason (extatus_entry_error). On error leave the entry unchanged.
     */
    int (*setopts)(void *ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                   size_t option_count);

    /* ---- version 2 ---- */

    /*
     * Optional (NULL: the type keeps no exemplars). The exemplar kept for
     * datapoint `index` (in get_datapoints order: a bucket, or a counter's
     * value): fill *out and return 1, or return 0 when there is
     * none. Called by the OpenMetrics exposition after get_value, from
     * the scrape's thread, concurrently with updates.
     */
    int (*get_exemplar)(void *ref, const extatus_entry_ctx *ctx, size_t index,
                        extatus_exemplar_value *out);
} extatus_entry_ops;

/* A table of this header's version with every method NULL. */
#define EXTATUS_ENTRY_OPS_INIT                                                                     \
    {                                                                                              \
        EXTATUS_ENTRY_OPS_VERSION, EXTATUS_ENTRY_KIND_ENTRY, EXTATUS_METRIC_UNSET, NULL, NULL,     \
            NULL, NULL, NULL, NULL, NULL, NULL, NULL                                               \
    }

#define EXTATUS_TYPE_OPTIONS_VERSION 1

typedef struct extatus_type_options {
    unsigned version;                /* EXTATUS_TYPE_OPTIONS_VERSION */
    extatus_metric_type metric_type; /* UNSET: ops->metric_type */
    void *type_data;                 /* handed to the entry in ctx->type_data */
} extatus_type_options;

#define EXTATUS_TYPE_OPTIONS_INIT                                                                  \
    {                                                                                              \
        EXTATUS_TYPE_OPTIONS_VERSION, EXTATUS_METRIC_UNSET, NULL                                   \
    }

/*
 * Map `type_name` ([a-z_][a-z0-9_]*, at most 63 bytes) to an entry
 * implementation. The table is copied; `options` may be NULL. Several
 * names may map to one table: the entry sees the name in ctx->type.
 * Built-in names: counter, gauge, histogram, summary, function_gauge,
 * function_counter, spiral.
 * Errors: EXTATUS_ERR_EXISTS (name taken), _INVALID (missing required
 * method, unknown version, bad name), _NOMEM.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_type_register(const char *type_name, const extatus_entry_ops *ops,
                                      const extatus_type_options *options);

/*
 * Copy the table registered for `type_name` into *ops (NULL allowed to
 * test existence). Set ops->version first (start from
 * EXTATUS_ENTRY_OPS_INIT): the call fills that version's methods only, so
 * a program built against an older header gets a table of its own size.
 * Errors: EXTATUS_ERR_NOT_FOUND, _INVALID (unknown ops->version). Any thread.
 */
EXTATUS_API int extatus_type_lookup(const char *type_name, extatus_entry_ops *ops);

/*
 * Set the calling thread's error message and return `code`; for entries to
 * give the reason for a refusal: return extatus_entry_error(
 * EXTATUS_ERR_OPTION, "max_age must be > 0, got %g", v);
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_entry_error(int code, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/*
 * The entry state (ref) behind a series, for a type's own fast path.
 * Thread safety: any thread (the handle rule of family.h applies).
 */
EXTATUS_API void *extatus_series_ref(const extatus_series *series);

EXTATUS_END_DECLS

#endif /* EXTATUS_SYS_ENTRY_H */
