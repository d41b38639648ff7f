/*
 * entries.h - private helpers shared by the built-in composite entries
 * (histogram, summary, spiral). Never installed.
 */
#ifndef EXTATUS_ENTRIES_H
#define EXTATUS_ENTRIES_H

#include <math.h>

#include "core/format.h"
#include "entries/common.h"

#if defined(__GNUC__) || defined(__clang__)
#define EXTATUS__NOINLINE __attribute__((noinline))
#else
#define EXTATUS__NOINLINE
#endif

/* Registration of the built-in types (called from entries/builtin.c). */
int extatus__histogram_register(void);
int extatus__native_histogram_register(void);
int extatus__summary_register(void);
int extatus__spiral_register(void);

/* Bytes enough for any text extatus__format_canonical() writes, with NUL. */
#define EXTATUS__CANONICAL_MAX (EXTATUS__NUMBER_MAX + 1)

/*
 * Write the canonical label text of `value` (an le bound or a quantile),
 * NUL-terminated, into out[0..EXTATUS__CANONICAL_MAX): the same text the
 * exposition writes in le and quantile labels ("0.005", "1.0", "1e-05",
 * "+Inf"), independent of the C locale. Returns the text length.
 */
static inline int extatus__format_canonical(char *out, double value)
{
    char *end = extatus__format_bound(out, value);
    *end = '\0';
    return (int)(end - out);
}

/*
 * Epoch seconds of the realtime clock, the value of every "created"
 * datapoint.
 */
static inline double extatus__created_now(void)
{
    return (double)extatus__now_realtime_ns() / 1e9;
}

/* ---- composite entries (composite.c) -------------------------------------
 *
 * What the composite types (histogram, summary, spiral; native histograms
 * next) share. Their totals live in sharded cells that only observing
 * threads write: first the counting cells (buckets, a count), then, when
 * the type keeps a sum, the four sum cells below.
 *
 * A reset must not write cells that other threads own, so it records the
 * totals of that moment (the baseline) and reads subtract it. Non-finite
 * observations are counted apart from the finite sum for the same reason:
 * a NaN added to the sum cell could never be subtracted again, so after a
 * reset the sum would stay NaN for good.
 */

/* The sum cells, as offsets from the first of them. */
enum {
    EXTATUS__SUM_FINITE = 0, /* sum of the finite observations (double bits) */
    EXTATUS__SUM_NAN = 1,    /* NaN observations */
    EXTATUS__SUM_PINF = 2,   /* +Inf observations */
    EXTATUS__SUM_NINF = 3,   /* -Inf observations */
    EXTATUS__SUM_CELLS = 4
};

/* The shared part of a composite series; embedded in the type's struct. */
typedef struct extatus__composite {
    extatus__cell *cells;                /* shard-0 cells: counting cells, then any sum cells */
    uint32_t count_cells;                /* counting cells */
    uint32_t cell_count;                 /* count_cells, plus EXTATUS__SUM_CELLS with a sum */
    pthread_mutex_t lock;                /* guards base and created */
    uint64_t *base;                      /* cell totals at the last reset (caller's storage) */
    double created;                      /* epoch seconds of creation or last reset */
    const extatus_datapoint *datapoints; /* what get_datapoints answers */
    size_t datapoint_count;              /* entries in datapoints */
} extatus__composite;

/* Cells of a composite with `count_cells` counting cells (and a sum if `with_sum`). */
static inline uint32_t extatus__composite_cell_count(uint32_t count_cells, bool with_sum)
{
    return count_cells + (with_sum ? EXTATUS__SUM_CELLS : 0u);
}

/*
 * Set up `composite`: allocate its cells, zero `base` (the caller's
 * storage for extatus__composite_cell_count() totals, kept until dispose;
 * the finite sum's is a double's bits, like its cell)
 * and stamp the creation time; `datapoints` is borrowed the same way. On
 * failure nothing is left to undo and the error names `type`.
 */
int extatus__composite_init(extatus__composite *composite, const char *type, uint32_t count_cells,
                            bool with_sum, uint64_t *base, const extatus_datapoint *datapoints,
                            size_t datapoint_count);

/* Release what extatus__composite_init() allocated. */
void extatus__composite_dispose(extatus__composite *composite);

/* Make the current totals the baseline and restamp the creation time. */
void extatus__composite_reset(extatus__composite *composite);

/*
 * One consistent read since the last reset: counts[0..count_cells) from
 * the counting cells, *sum (when the composite has a sum; NULL otherwise)
 * and *created.
 */
void extatus__composite_read(extatus__composite *composite, uint64_t *counts, double *sum,
                             double *created);

/* get_datapoints of a composite: its datapoint array. */
int extatus__composite_get_datapoints(const extatus__composite *composite,
                                      const extatus_datapoint **datapoints, size_t *count);

/*
 * The sum of all observations from the finite sum and the counts of NaN,
 * +Inf and -Inf observations, as IEEE addition would give it: NaN with any
 * NaN or with infinities of both signs, else the infinity seen, else the
 * finite sum.
 */
double extatus__sum_combine(double finite, uint64_t nans, uint64_t pinfs, uint64_t ninfs);

/* Count a non-finite observation in its sum cell (NaN, +Inf or -Inf). */
void extatus__sum_add_nonfinite(extatus__cell *sum_cells, double value);

/* Add an observation to the sum cells starting at `sum_cells`. */
static inline void extatus__sum_add(extatus__cell *sum_cells, double value)
{
    if (EXTATUS__LIKELY(isfinite(value)))
        extatus__cell_add_double(&sum_cells[EXTATUS__SUM_FINITE], value);
    else
        extatus__sum_add_nonfinite(sum_cells, value);
}

/*
 * The datapoints of a histogram-like series: one per value of `values`
 * (bucket bounds or quantiles), named by its canonical text, with `role`
 * and the value as bound; then "count", "sum" and "created".
 * extatus__datapoints_size() gives the bytes they take with the names of
 * the values (the totals' names are static); extatus__datapoints_build()
 * lays them out in a block of that size, aligned for a datapoint, and
 * returns the array.
 */
#define EXTATUS__DATAPOINT_TOTALS 3 /* count, sum, created */
size_t extatus__datapoints_size(const double *values, size_t value_count);
extatus_datapoint *extatus__datapoints_build(void *block, const double *values, size_t value_count,
                                             extatus_sample_role role);

/*
 * What one read of a histogram-like series answers: `head` datapoints of
 * its own (integers or doubles), then count, sum and created.
 */
typedef struct extatus__composite_values {
    size_t head;                /* datapoints before count */
    const uint64_t *head_ints;  /* their values as integers, or NULL */
    const double *head_doubles; /* their values as doubles when head_ints is NULL */
    uint64_t count;             /* "count" */
    double sum;                 /* "sum" */
    double created;             /* "created" */
} extatus__composite_values;

/*
 * One read of a composite whose first `buckets` counting cells are
 * histogram buckets: counts[] as extatus__composite_read() gives them,
 * the buckets made cumulative, their total in read->count, the sum and
 * created time in read.
 */
void extatus__composite_read_buckets(extatus__composite *composite, uint64_t *counts,
                                     uint32_t buckets, extatus__composite_values *read);

/* Answer a get_value call (see extatus_entry_ops) from one read. */
void extatus__composite_answer(const extatus__composite *composite,
                               const extatus__composite_values *read, const char *const *names,
                               size_t count, extatus_value *values);

/* ---- exemplars (exemplar.c) ------------------------------------------------
 *
 * A series keeps one exemplar per slot (a bucket, or a counter's value),
 * the last one recorded, behind a lock of its own; the slots are
 * allocated with the first exemplar.
 */

/* One kept exemplar. */
typedef struct extatus__exemplar_slot {
    char labels[EXTATUS_EXEMPLAR_TEXT_MAX]; /* as extatus__exemplar_render() wrote them */
    double value;                           /* the observation or increment */
    double timestamp;                       /* epoch seconds */
    bool set;                               /* whether the slot holds one */
} extatus__exemplar_slot;

/* The exemplars of one series (opaque), and where a series keeps them: NULL until the first. */
typedef struct extatus__exemplars extatus__exemplars;
typedef _Atomic(extatus__exemplars *) extatus__exemplars_holder;

/*
 * Check an exemplar's labels (names, UTF-8 values, at most
 * EXTATUS_EXEMPLAR_LABELS_MAX characters together) and its timestamp,
 * and write the labels as the exposition writes labels into
 * out[EXTATUS_EXEMPLAR_TEXT_MAX]. EXTATUS_ERR_LABEL or
 * EXTATUS_ERR_INVALID with a message naming the fault.
 */
int extatus__exemplar_render(const extatus_exemplar *exemplar, char *out);

/*
 * Keep an exemplar in `slot` of a series with `slot_count` slots
 * (timestamp 0: now), replacing the one there. EXTATUS_ERR_NOMEM when the
 * slots cannot be allocated. Thread safety: any thread.
 */
int extatus__exemplars_store(extatus__exemplars_holder *holder, uint32_t slot_count, uint32_t slot,
                             const char *labels, double value, double timestamp);

/*
 * Check `exemplar` and keep it, with `value`, in `slot`: what the
 * *_exemplar calls do after counting the observation. Errors as
 * extatus__exemplar_render() and extatus__exemplars_store().
 */
int extatus__exemplar_keep(extatus__exemplars_holder *holder, uint32_t slot_count, uint32_t slot,
                           double value, const extatus_exemplar *exemplar);

/* get_exemplar of an entry: 1 with *out filled when `slot` holds one, else 0. */
int extatus__exemplars_get(extatus__exemplars_holder *holder, size_t slot,
                           extatus_exemplar_value *out);

/* Forget every exemplar (reset). */
void extatus__exemplars_clear(extatus__exemplars_holder *holder);

/* Free the exemplars (destroy). */
void extatus__exemplars_free(extatus__exemplars_holder *holder);

/* ---- native histograms (native_histogram.c) ------------------------------ */

/* Buckets per sign a native read can hold (and a window's cells per sign). */
#define EXTATUS__NATIVE_SPAN_MAX 256

/*
 * One read of a native histogram series: the buckets at `schema`, dense
 * per sign (0 positive, 1 negative) from index first[sign] for
 * length[sign] buckets (empty ones included), and the totals. count is
 * never below the buckets' total.
 */
typedef struct extatus__native_read {
    int32_t schema;                               /* resolution of the buckets */
    double zero_threshold;                        /* the zero bucket's width */
    uint64_t zero_count;                          /* observations in the zero bucket */
    int32_t first[2];                             /* index of counts[sign][0] */
    uint32_t length[2];                           /* buckets from first; 0 for none */
    uint64_t counts[2][EXTATUS__NATIVE_SPAN_MAX]; /* per bucket, not cumulative */
    uint64_t count;                               /* observations (NaN and infinities too) */
    double sum;                                   /* of all observations */
    double created;                               /* epoch seconds of creation or reset */
} extatus__native_read;

/*
 * Read a native histogram series (the ref of a "native_histogram" entry).
 * EXTATUS_ERR_NOMEM (with detail) when the buckets cannot be gathered.
 * Thread safety: any thread, concurrent with observers.
 */
int extatus__native_histogram_read(extatus_native_histogram *histogram, extatus__native_read *out);

/* The bucket index of `value` (finite, non-zero) at `schema` (-4..8). */
int32_t extatus__native_key(double value, int32_t schema);

/* ---- classic buckets (composite.c) -----------------------------------------
 *
 * The classic histogram and the classic buckets beside a native histogram
 * keep their finite upper bounds padded with +Inf to a multiple of 4 (at
 * least one +Inf, the last bucket's bound), so small lists are scanned
 * without a tail loop.
 */

/* Up to this many bounds the bucket is found by a linear scan. */
#define EXTATUS__BUCKET_LINEAR_MAX 32u

/*
 * Check a list of classic bounds (option "buckets"): at most
 * EXTATUS_HISTOGRAM_MAX_BUCKETS, finite, strictly increasing;
 * EXTATUS_ERR_OPTION naming the offending index and value.
 */
int extatus__check_bounds(const double *bounds, size_t count);

/*
 * Store checked bounds in out[] (room for bound_count + 4) padded with
 * +Inf; *scan_count receives the bounds a scan reads (a multiple of 4).
 * Returns the doubles stored.
 */
size_t extatus__bounds_store(double *out, const double *bounds, size_t bound_count,
                             size_t *scan_count);

/* Index of the bucket for a finite value: the first bound >= value (le is inclusive). */
static inline uint32_t extatus__bucket_index(const double *bounds, uint32_t bound_count,
                                             uint32_t scan_count, double value)
{
    uint32_t low = 0;

    if (bound_count <= EXTATUS__BUCKET_LINEAR_MAX) {
        /*
         * Count the bounds below the value, two per SIMD compare: no
         * data-dependent branch to mispredict, and the +Inf padding needs
         * no tail loop.
         */
#if defined(__GNUC__) || defined(__clang__)
        typedef double pair __attribute__((vector_size(16), aligned(8)));
        typedef long long mask __attribute__((vector_size(16)));
        pair v = {value, value};
        mask below = {0, 0};
        uint32_t i;
        for (i = 0; i < scan_count; i += 2) {
            pair b;
            memcpy(&b, &bounds[i], sizeof(b));
            below += (mask)(v > b); /* -1 per bound below the value */
        }
        return (uint32_t) - (below[0] + below[1]);
#else
        uint32_t i;
        for (i = 0; i < scan_count; i++)
            low += value > bounds[i];
        return low;
#endif
    }
    {
        uint32_t high = bound_count;
        while (low < high) {
            uint32_t mid = low + (high - low) / 2;
            if (bounds[mid] < value)
                low = mid + 1;
            else
                high = mid;
        }
    }
    return low;
}

/* The bucket of any value: NaN and +Inf in the +Inf bucket, -Inf in the first. */
static inline uint32_t extatus__bucket_of(const double *bounds, uint32_t bound_count,
                                          uint32_t scan_count, double value)
{
    if (isnan(value))
        return bound_count;
    return extatus__bucket_index(bounds, bound_count, scan_count, value);
}

#endif /* EXTATUS_ENTRIES_H */
