/*
 * histogram.c - the classic Prometheus histogram ("histogram") as an entry.
 *
 * State per series: one sharded cell per bucket (non-cumulative counts),
 * one cell for the sum of the finite observations and three cells
 * counting NaN, +Inf and -Inf observations. An observation touches two
 * cells of the calling thread's shard and nothing shared, so observers on
 * different threads never contend on a cache line.
 *
 * Reads sum the shards. `count` is not stored: it is the sum of the bucket
 * counts of the same read, so the +Inf bucket always equals `count` even
 * while other threads observe. The sum of an observation and its bucket
 * are two separate cells, so a read racing an observation may see one
 * without the other; Prometheus tolerates that (sum is not checked
 * against the buckets).
 *
 * Reset must not write cells that other threads own, so it records the
 * totals at the time of the reset (the baseline) and reads subtract it.
 * Non-finite observations are counted apart from the finite sum for the
 * same reason: a NaN added to the sum cell could never be subtracted
 * again, so after a reset the sum would stay NaN for good.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entries/entries.h"

#if defined(__GNUC__) || defined(__clang__)
#define EXTATUS__NOINLINE __attribute__((noinline))
#else
#define EXTATUS__NOINLINE
#endif

/* Up to this many bounds the bucket is found by a linear scan. */
#define HISTOGRAM_LINEAR_MAX 32u

struct extatus_histogram {
    extatus__cell *cells;          /* shard-0 cells, laid out as in the cell_* enum below */
    const double *bounds;          /* bound_count finite upper bounds, strictly increasing */
    uint32_t bound_count;          /* finite bounds; there are bound_count + 1 buckets */
    uint32_t scan_count;           /* bounds padded with +Inf to a multiple of 4 */
    uint32_t cell_count;           /* bound_count + HISTOGRAM_EXTRA_CELLS */
    pthread_mutex_t lock;          /* guards base, base_sum and created */
    uint64_t *base;                /* integer cell totals at the last reset (cell_count) */
    double base_sum;               /* finite sum at the last reset */
    double created;                /* epoch seconds of creation or last reset */
    extatus_datapoint *datapoints; /* buckets, count, sum, created */
    size_t datapoint_count;        /* bound_count + 4 */
};

/*
 * Cells after the buckets, as offsets from the +Inf bucket (index
 * bound_count): the finite sum (double bits), then the NaN, +Inf and -Inf
 * observation counts.
 */
enum {
    CELL_SUM = 1,
    CELL_NAN = 2,
    CELL_PINF = 3,
    CELL_NINF = 4,
    HISTOGRAM_EXTRA_CELLS = 5 /* the +Inf bucket and the four cells above */
};

/* One consistent read of a histogram. */
typedef struct histogram_snapshot {
    uint64_t cumulative[EXTATUS_HISTOGRAM_MAX_BUCKETS + 1]; /* cumulative bucket counts */
    uint64_t count;                                         /* equals the +Inf bucket */
    double sum;                                             /* sum of all observations */
    double created;                                         /* epoch seconds */
} histogram_snapshot;

static const double default_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1.0,  2.5,   5.0,  10.0};

/* ---- options ------------------------------------------------------------ */

/* Check a bounds list; EXTATUS_ERR_OPTION naming the offending index and value. */
static int check_bounds(const double *bounds, size_t count)
{
    size_t i;

    if (count > EXTATUS_HISTOGRAM_MAX_BUCKETS)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "option 'buckets': %zu bounds given, at most %d allowed", count,
                                   EXTATUS_HISTOGRAM_MAX_BUCKETS);
    if (count > 0 && bounds == NULL)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "option 'buckets': list is NULL but count is %zu", count);
    for (i = 0; i < count; i++) {
        if (!isfinite(bounds[i]))
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "option 'buckets': bound %zu is %g; bounds must be finite "
                                       "(the +Inf bucket is always added)",
                                       i, bounds[i]);
        if (i > 0 && !(bounds[i] > bounds[i - 1]))
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "option 'buckets': bound %zu (%.17g) is not greater than "
                                       "bound %zu (%.17g); bounds must be strictly increasing",
                                       i, bounds[i], i - 1, bounds[i - 1]);
    }
    return EXTATUS_OK;
}

/*
 * Find the bounds among the entry options (default buckets when absent)
 * and refuse every key the histogram does not know.
 */
static int parse_options(const extatus_option *options, size_t option_count, const double **bounds,
                         size_t *bound_count)
{
    size_t i;
    int rc;

    *bounds = default_bounds;
    *bound_count = sizeof(default_bounds) / sizeof(default_bounds[0]);
    for (i = 0; i < option_count; i++) {
        const extatus_option *option = &options[i];
        if (option->key == NULL)
            return extatus_entry_error(EXTATUS_ERR_OPTION, "histogram: option %zu has no key", i);
        if (extatus__option_is_common(option->key))
            continue;
        if (strcmp(option->key, "buckets") != 0)
            return extatus_entry_error(
                EXTATUS_ERR_OPTION, "histogram: unknown option '%s' (known: buckets)", option->key);
        if (option->kind != EXTATUS_OPTION_DOUBLES)
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "option 'buckets' must be a list of doubles");
        rc = check_bounds(option->list, option->count);
        if (rc != EXTATUS_OK)
            return rc;
        *bounds = option->list;
        *bound_count = option->count;
    }
    return EXTATUS_OK;
}

/* ---- entry callbacks ------------------------------------------------------ */

static int histogram_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                            size_t option_count)
{
    const double *bounds;
    size_t bound_count;
    size_t scan_count;
    size_t cell_count;
    size_t point_count;
    size_t names_size = 0;
    size_t size;
    char text[EXTATUS__CANONICAL_MAX];
    extatus_histogram *histogram;
    double *own_bounds;
    char *names;
    size_t i;
    int rc;

    (void)ctx;
    *ref = NULL;
    rc = parse_options(options, option_count, &bounds, &bound_count);
    if (rc != EXTATUS_OK)
        return rc;
    cell_count = bound_count + HISTOGRAM_EXTRA_CELLS;
    scan_count = (bound_count + 3) & ~(size_t)3;
    point_count = bound_count + 4;

    /* Bucket names first, to size the single allocation. */
    for (i = 0; i < bound_count; i++) {
        rc = extatus__format_canonical(text, bounds[i] + 0.0);
        if (rc < 0)
            return extatus_entry_error(rc, "histogram: out of memory formatting bounds");
        names_size += (size_t)rc + 1;
    }
    names_size += sizeof("+Inf") + sizeof("count") + sizeof("sum") + sizeof("created");

    /* One block: struct, bounds, baseline, datapoints, names (all 8-aligned but the last). */
    size = sizeof(*histogram) + scan_count * sizeof(double) + cell_count * sizeof(uint64_t) +
           point_count * sizeof(extatus_datapoint) + names_size;
    histogram = extatus__calloc(1, size);
    if (histogram == NULL)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "histogram: out of memory");
    own_bounds = (double *)(histogram + 1);
    histogram->base = (uint64_t *)(void *)((char *)own_bounds + scan_count * sizeof(double));
    histogram->datapoints = (extatus_datapoint *)(histogram->base + cell_count);
    names = (char *)(histogram->datapoints + point_count);

    histogram->bounds = own_bounds;
    histogram->bound_count = (uint32_t)bound_count;
    histogram->scan_count = (uint32_t)scan_count;
    for (i = bound_count; i < scan_count; i++)
        own_bounds[i] = INFINITY; /* never below a finite value */
    histogram->cell_count = (uint32_t)cell_count;
    histogram->datapoint_count = point_count;
    for (i = 0; i < bound_count; i++) {
        extatus_datapoint *point = &histogram->datapoints[i];
        own_bounds[i] = bounds[i] + 0.0; /* -0 becomes +0 */
        rc = extatus__format_canonical(names, own_bounds[i]);
        if (rc < 0)
            goto out_free_histogram;
        point->name = names;
        point->role = EXTATUS_SAMPLE_BUCKET;
        point->bound = own_bounds[i];
        names += rc + 1;
    }
    {
        static const struct {
            const char *name;
            extatus_sample_role role;
        } tail[] = {{"+Inf", EXTATUS_SAMPLE_BUCKET},
                    {"count", EXTATUS_SAMPLE_COUNT},
                    {"sum", EXTATUS_SAMPLE_SUM},
                    {"created", EXTATUS_SAMPLE_CREATED}};
        size_t t;
        for (t = 0; t < 4; t++) {
            extatus_datapoint *point = &histogram->datapoints[bound_count + t];
            size_t length = strlen(tail[t].name);
            memcpy(names, tail[t].name, length + 1);
            point->name = names;
            point->role = tail[t].role;
            point->bound = t == 0 ? INFINITY : 0.0;
            names += length + 1;
        }
    }

    rc = extatus__cells_alloc(cell_count, &histogram->cells);
    if (rc != EXTATUS_OK)
        goto out_free_histogram;
    if (pthread_mutex_init(&histogram->lock, NULL) != 0) {
        rc = EXTATUS_ERR_SYSTEM;
        goto out_free_cells;
    }
    histogram->created = extatus__created_now();
    *ref = histogram;
    return EXTATUS_OK;

out_free_cells:
    extatus__cells_free(histogram->cells, cell_count);
out_free_histogram:
    extatus__free(histogram);
    return extatus_entry_error(rc, "histogram: cannot create series (%s)", extatus_strerror(rc));
}

static void histogram_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_histogram *histogram = ref;

    (void)ctx;
    if (histogram == NULL)
        return;
    pthread_mutex_destroy(&histogram->lock);
    extatus__cells_free(histogram->cells, histogram->cell_count);
    extatus__free(histogram);
}

/* The sum of all observations from the finite sum and the non-finite counts. */
static double combine_sum(double finite, uint64_t nans, uint64_t pinfs, uint64_t ninfs)
{
    if (nans > 0 || (pinfs > 0 && ninfs > 0))
        return NAN;
    if (pinfs > 0)
        return INFINITY;
    if (ninfs > 0)
        return -INFINITY;
    return finite;
}

/* Take one consistent read: cumulative buckets whose last equals count. */
static void histogram_read(extatus_histogram *histogram, histogram_snapshot *snapshot)
{
    const extatus__cell *cells = histogram->cells;
    const uint64_t *base = histogram->base;
    uint32_t inf = histogram->bound_count;
    uint64_t running = 0;
    uint32_t i;

    pthread_mutex_lock(&histogram->lock);
    for (i = 0; i <= inf; i++) {
        running += extatus__cell_sum(&cells[i]) - base[i];
        snapshot->cumulative[i] = running;
    }
    snapshot->count = running;
    snapshot->sum =
        combine_sum(extatus__cell_sum_double(&cells[inf + CELL_SUM]) - histogram->base_sum,
                    extatus__cell_sum(&cells[inf + CELL_NAN]) - base[inf + CELL_NAN],
                    extatus__cell_sum(&cells[inf + CELL_PINF]) - base[inf + CELL_PINF],
                    extatus__cell_sum(&cells[inf + CELL_NINF]) - base[inf + CELL_NINF]);
    snapshot->created = histogram->created;
    pthread_mutex_unlock(&histogram->lock);
}

/* Value of datapoint `index` (in datapoints order) from a snapshot. */
static void snapshot_value(const extatus_histogram *histogram, const histogram_snapshot *snapshot,
                           size_t index, extatus_value *value)
{
    size_t buckets = (size_t)histogram->bound_count + 1;

    memset(value, 0, sizeof(*value));
    if (index < buckets) {
        value->kind = EXTATUS_VALUE_INT;
        /* histogram_read filled cumulative[0..buckets). */
        // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign)
        value->integer = (int64_t)snapshot->cumulative[index];
    } else if (index == buckets) {
        value->kind = EXTATUS_VALUE_INT;
        value->integer = (int64_t)snapshot->count;
    } else if (index == buckets + 1) {
        value->kind = EXTATUS_VALUE_DOUBLE;
        value->number = snapshot->sum;
    } else if (index == buckets + 2) {
        value->kind = EXTATUS_VALUE_DOUBLE;
        value->number = snapshot->created;
    } else {
        value->kind = EXTATUS_VALUE_UNDEFINED;
    }
}

static int histogram_get_value(void *ref, const extatus_entry_ctx *ctx,
                               const char *const *datapoints, size_t count, extatus_value *values)
{
    extatus_histogram *histogram = ref;
    histogram_snapshot snapshot;
    size_t i;
    size_t j;

    (void)ctx;
    histogram_read(histogram, &snapshot);
    for (i = 0; i < count; i++) {
        size_t index = histogram->datapoint_count; /* undefined unless found */
        if (datapoints == NULL) {
            index = i;
        } else if (datapoints[i] != NULL) {
            for (j = 0; j < histogram->datapoint_count; j++) {
                if (strcmp(datapoints[i], histogram->datapoints[j].name) == 0) {
                    index = j;
                    break;
                }
            }
        }
        snapshot_value(histogram, &snapshot, index, &values[i]);
    }
    return EXTATUS_OK;
}

static int histogram_update(void *ref, const extatus_entry_ctx *ctx, double value)
{
    (void)ctx;
    extatus_histogram_observe(ref, value);
    return EXTATUS_OK;
}

static int histogram_reset(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_histogram *histogram = ref;
    const extatus__cell *cells = histogram->cells;
    uint32_t inf = histogram->bound_count;
    uint32_t i;

    (void)ctx;
    pthread_mutex_lock(&histogram->lock);
    for (i = 0; i < histogram->cell_count; i++)
        if (i != inf + CELL_SUM)
            histogram->base[i] = extatus__cell_sum(&cells[i]);
    histogram->base_sum = extatus__cell_sum_double(&cells[inf + CELL_SUM]);
    histogram->created = extatus__created_now();
    pthread_mutex_unlock(&histogram->lock);
    return EXTATUS_OK;
}

static int histogram_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                    const extatus_datapoint **datapoints, size_t *count)
{
    const extatus_histogram *histogram = ref;

    (void)ctx;
    *datapoints = histogram->datapoints;
    *count = histogram->datapoint_count;
    return EXTATUS_OK;
}

/*
 * The bucket layout is fixed for the life of a series (readers and the
 * datapoint array depend on it), so "buckets" can only be "changed" to the
 * bounds it already has.
 */
static int histogram_setopts(void *ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                             size_t option_count)
{
    const extatus_histogram *histogram = ref;
    const double *bounds;
    size_t bound_count;
    int rc;

    (void)ctx;
    rc = parse_options(options, option_count, &bounds, &bound_count);
    if (rc != EXTATUS_OK)
        return rc;
    if (extatus_option_find(options, option_count, "buckets") == NULL)
        return EXTATUS_OK;
    if (bound_count != histogram->bound_count ||
        (bound_count > 0 && memcmp(bounds, histogram->bounds, bound_count * sizeof(double)) != 0))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "option 'buckets' cannot change after creation: the bucket "
                                   "layout of a series is fixed (create a new family instead)");
    return EXTATUS_OK;
}

static const extatus_entry_ops histogram_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_ENTRY,
    .metric_type = EXTATUS_METRIC_HISTOGRAM,
    .create = histogram_create,
    .destroy = histogram_destroy,
    .get_value = histogram_get_value,
    .update = histogram_update,
    .reset = histogram_reset,
    .sample = NULL,
    .get_datapoints = histogram_get_datapoints,
    .setopts = histogram_setopts,
};

int extatus__histogram_register(void)
{
    return extatus_type_register("histogram", &histogram_ops, NULL);
}

/* ---- public API ------------------------------------------------------------ */

/* Index of the bucket for a finite value: the first bound >= value (le is inclusive). */
static inline uint32_t histogram_bucket(const extatus_histogram *histogram, double value)
{
    const double *bounds = histogram->bounds;
    uint32_t n = histogram->bound_count;
    uint32_t low = 0;

    if (n <= HISTOGRAM_LINEAR_MAX) {
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
        for (i = 0; i < histogram->scan_count; i += 2) {
            pair b;
            memcpy(&b, &bounds[i], sizeof(b));
            below += (mask)(v > b); /* -1 per bound below the value */
        }
        return (uint32_t) - (below[0] + below[1]);
#else
        uint32_t i;
        for (i = 0; i < histogram->scan_count; i++)
            low += value > bounds[i];
        return low;
#endif
    }
    {
        uint32_t high = n;
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

/* NaN and +Inf go to the +Inf bucket, -Inf to the first; each is counted apart from the sum. */
static EXTATUS__NOINLINE void histogram_observe_special(extatus_histogram *histogram, double value)
{
    uint32_t inf = histogram->bound_count;
    extatus__cell *cells = histogram->cells;

    if (isnan(value)) {
        extatus__cell_add(&cells[inf], 1);
        extatus__cell_add(&cells[inf + CELL_NAN], 1);
    } else if (value > 0) {
        extatus__cell_add(&cells[inf], 1);
        extatus__cell_add(&cells[inf + CELL_PINF], 1);
    } else {
        extatus__cell_add(&cells[0], 1);
        extatus__cell_add(&cells[inf + CELL_NINF], 1);
    }
}

/*
 * Slow path of an observation: a thread that shares its shard (atomic
 * read-modify-write) or has none yet (extatus__cell_add claims one).
 */
static EXTATUS__NOINLINE void histogram_observe_shared(extatus_histogram *histogram,
                                                       uint32_t bucket, double value)
{
    extatus__cell_add(&histogram->cells[bucket], 1);
    extatus__cell_add_double(&histogram->cells[histogram->bound_count + CELL_SUM], value);
}

/*
 * The fast path is written out for a thread owning its shard: it is the
 * only writer of its cells, so plain relaxed load and store suffice and
 * no call or lock prefix is needed.
 */
void extatus_histogram_observe(extatus_histogram *histogram, double value)
{
    uint32_t sum_cell = histogram->bound_count + CELL_SUM;
    extatus__cell *mine = histogram->cells;
    uint32_t bucket;
    uintptr_t word;
    uint64_t count;
    double sum;

    if (EXTATUS__UNLIKELY(!isfinite(value))) {
        histogram_observe_special(histogram, value);
        return;
    }
    bucket = histogram_bucket(histogram, value);
    word = extatus__tls_shard;
    if (EXTATUS__UNLIKELY((word & 1u) == 0)) {
        histogram_observe_shared(histogram, bucket, value);
        return;
    }
    mine += word >> 2;
    count = atomic_load_explicit(&mine[bucket], memory_order_relaxed);
    atomic_store_explicit(&mine[bucket], count + 1, memory_order_relaxed);
    sum = extatus__bits_double(atomic_load_explicit(&mine[sum_cell], memory_order_relaxed));
    atomic_store_explicit(&mine[sum_cell], extatus__double_bits(sum + value), memory_order_relaxed);
}

int extatus_histogram_new(extatus_histogram **out, extatus_registry *registry, const char *name,
                          const char *help, const double *bounds, size_t bound_count)
{
    extatus_option buckets = EXTATUS_OPT_DOUBLES("buckets", bounds, bound_count);

    /* NULL bounds: no "buckets" option, so the entry takes the defaults. */
    return extatus__new_unlabelled((void **)out, registry, name, "histogram", help, &buckets,
                                   bounds != NULL ? 1 : 0);
}

int extatus_histogram_get(extatus_histogram **out, extatus_family *family, extatus_labels labels)
{
    return extatus__typed_get((void **)out, family, labels, histogram_create, "histogram");
}

const double *extatus_buckets_default(size_t *count)
{
    if (count != NULL)
        *count = sizeof(default_bounds) / sizeof(default_bounds[0]);
    return default_bounds;
}

int extatus_buckets_linear(double *out, double start, double width, size_t count)
{
    double previous = 0;
    size_t i;

    if (out == NULL || count == 0)
        return extatus__error(EXTATUS_ERR_INVALID, "extatus_buckets_linear: %s",
                              out == NULL ? "out is NULL" : "count is 0");
    if (!isfinite(start) || !isfinite(width) || !(width > 0))
        return extatus__error(EXTATUS_ERR_INVALID,
                              "extatus_buckets_linear: start (%g) and width (%g) must be finite "
                              "and width > 0",
                              start, width);
    /* Check every bound before writing any: out is untouched on failure. */
    for (i = 0; i < count; i++) {
        double bound = start + (double)i * width;
        if (!isfinite(bound) || (i > 0 && !(bound > previous)))
            return extatus__error(EXTATUS_ERR_INVALID,
                                  "extatus_buckets_linear: bound %zu (%g) is not finite or not "
                                  "greater than the one before",
                                  i, bound);
        previous = bound;
    }
    for (i = 0; i < count; i++)
        out[i] = start + (double)i * width;
    return EXTATUS_OK;
}

int extatus_buckets_exponential(double *out, double start, double factor, size_t count)
{
    double bound;
    size_t i;

    if (out == NULL || count == 0)
        return extatus__error(EXTATUS_ERR_INVALID, "extatus_buckets_exponential: %s",
                              out == NULL ? "out is NULL" : "count is 0");
    if (!isfinite(start) || !(start > 0) || !isfinite(factor) || !(factor > 1))
        return extatus__error(EXTATUS_ERR_INVALID,
                              "extatus_buckets_exponential: start (%g) must be finite and > 0, "
                              "factor (%g) finite and > 1",
                              start, factor);
    /* Check every bound before writing any: out is untouched on failure. */
    bound = start;
    for (i = 1; i < count; i++) {
        bound *= factor;
        if (!isfinite(bound))
            return extatus__error(EXTATUS_ERR_INVALID,
                                  "extatus_buckets_exponential: bound %zu overflows (%g)", i,
                                  bound);
    }
    bound = start;
    for (i = 0; i < count; i++) {
        out[i] = bound;
        bound *= factor;
    }
    return EXTATUS_OK;
}
