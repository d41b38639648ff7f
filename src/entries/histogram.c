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
 * Reset records the totals as a baseline that reads subtract, and
 * non-finite observations are counted apart from the finite sum: the
 * shared composite part (entries.h, composite.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entries/entries.h"

struct extatus_histogram {
    const double *bounds;                /* bound_count finite bounds, increasing; +Inf padding */
    uint32_t bound_count;                /* finite bounds; there are bound_count + 1 buckets */
    uint32_t scan_count;                 /* bounds padded with +Inf to a multiple of 4 */
    extatus__composite composite;        /* bucket cells (non-cumulative), the sum, datapoints */
    extatus__exemplars_holder exemplars; /* one per bucket, from the first exemplar */
};

static const double default_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                        0.5,   1.0,  2.5,   5.0,  10.0};

/* ---- options ------------------------------------------------------------ */

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
        rc = extatus__check_bounds(option->list, option->count);
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
    double upper[EXTATUS_HISTOGRAM_MAX_BUCKETS + 4]; /* the bounds as stored */
    const double *bounds;
    size_t bound_count;
    size_t scan_count;
    size_t stored_count;
    size_t cell_count;
    extatus_histogram *histogram;
    uint64_t *base;
    extatus_datapoint *points;
    int rc;

    (void)ctx;
    *ref = NULL;
    rc = parse_options(options, option_count, &bounds, &bound_count);
    if (rc != EXTATUS_OK)
        return rc;
    stored_count = extatus__bounds_store(upper, bounds, bound_count, &scan_count);
    cell_count = extatus__composite_cell_count((uint32_t)bound_count + 1, true);

    /* One block: struct, bounds, baseline, then the datapoints and their names. */
    histogram = extatus__calloc(1, sizeof(*histogram) + stored_count * sizeof(double) +
                                       cell_count * sizeof(uint64_t) +
                                       extatus__datapoints_size(upper, bound_count + 1));
    if (histogram == NULL)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "histogram: out of memory");
    histogram->bounds = memcpy(histogram + 1, upper, stored_count * sizeof(double));
    histogram->bound_count = (uint32_t)bound_count;
    histogram->scan_count = (uint32_t)scan_count;
    base = (uint64_t *)(void *)((double *)(histogram + 1) + stored_count);
    points = extatus__datapoints_build(base + cell_count, histogram->bounds, bound_count + 1,
                                       EXTATUS_SAMPLE_BUCKET);
    rc = extatus__composite_init(&histogram->composite, "histogram", (uint32_t)bound_count + 1,
                                 true, base, points, bound_count + 1 + EXTATUS__DATAPOINT_TOTALS);
    if (rc != EXTATUS_OK) {
        extatus__free(histogram);
        return rc;
    }
    *ref = histogram;
    return EXTATUS_OK;
}

static void histogram_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_histogram *histogram = ref;

    (void)ctx;
    if (histogram == NULL)
        return;
    extatus__composite_dispose(&histogram->composite);
    extatus__exemplars_free(&histogram->exemplars);
    extatus__free(histogram);
}

/* Reads answer cumulative bucket counts whose last (+Inf) equals count. */
static int histogram_get_value(void *ref, const extatus_entry_ctx *ctx,
                               const char *const *datapoints, size_t count, extatus_value *values)
{
    extatus_histogram *histogram = ref;
    uint64_t cumulative[EXTATUS_HISTOGRAM_MAX_BUCKETS + 1];
    extatus__composite_values read = {.head = (size_t)histogram->bound_count + 1,
                                      .head_ints = cumulative};

    (void)ctx;
    extatus__composite_read_buckets(&histogram->composite, cumulative, histogram->bound_count + 1,
                                    &read);
    extatus__composite_answer(&histogram->composite, &read, datapoints, count, values);
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
    (void)ctx;
    extatus__composite_reset(&((extatus_histogram *)ref)->composite);
    extatus__exemplars_clear(&((extatus_histogram *)ref)->exemplars);
    return EXTATUS_OK;
}

static int histogram_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                    const extatus_datapoint **datapoints, size_t *count)
{
    (void)ctx;
    return extatus__composite_get_datapoints(&((const extatus_histogram *)ref)->composite,
                                             datapoints, count);
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
    return extatus__option_fixed(
        options, option_count, "buckets",
        !extatus__doubles_same(bounds, bound_count, histogram->bounds, histogram->bound_count),
        "the bucket layout of a series is fixed (create a new family instead)");
}

/* Datapoints are the buckets first: a bucket's index is its exemplar slot. */
static int histogram_get_exemplar(void *ref, const extatus_entry_ctx *ctx, size_t index,
                                  extatus_exemplar_value *out)
{
    (void)ctx;
    return extatus__exemplars_get(&((extatus_histogram *)ref)->exemplars, index, out);
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
    .get_exemplar = histogram_get_exemplar,
};

int extatus__histogram_register(void)
{
    return extatus_type_register("histogram", &histogram_ops, NULL);
}

/* ---- public API ------------------------------------------------------------ */

/* NaN and +Inf go to the +Inf bucket, -Inf to the first; each is counted apart from the sum. */
static EXTATUS__NOINLINE void histogram_observe_special(extatus_histogram *histogram, double value)
{
    uint32_t inf = histogram->bound_count;
    extatus__cell *cells = histogram->composite.cells;

    extatus__cell_add(&cells[value < 0 ? 0 : inf], 1); /* NaN < 0 is false */
    extatus__sum_add_nonfinite(&cells[inf + 1], value);
}

/*
 * Slow path of an observation: a thread that shares its shard (atomic
 * read-modify-write) or has none yet (extatus__cell_add claims one).
 */
static EXTATUS__NOINLINE void histogram_observe_shared(extatus_histogram *histogram,
                                                       uint32_t bucket, double value)
{
    extatus__cell *cells = histogram->composite.cells;

    extatus__cell_add(&cells[bucket], 1);
    extatus__cell_add_double(&cells[histogram->bound_count + 1 + EXTATUS__SUM_FINITE], value);
}

/*
 * The fast path is written out for a thread owning its shard: it is the
 * only writer of its cells, so plain relaxed load and store suffice and
 * no call or lock prefix is needed.
 */
void extatus_histogram_observe(extatus_histogram *histogram, double value)
{
    uint32_t sum_cell = histogram->bound_count + 1 + EXTATUS__SUM_FINITE;
    extatus__cell *mine = histogram->composite.cells;
    uint32_t bucket;
    uintptr_t word;
    uint64_t count;
    double sum;

    if (EXTATUS__UNLIKELY(!isfinite(value))) {
        histogram_observe_special(histogram, value);
        return;
    }
    bucket = extatus__bucket_index(histogram->bounds, histogram->bound_count, histogram->scan_count,
                                   value);
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

int extatus_histogram_observe_exemplar(extatus_histogram *histogram, double value,
                                       const extatus_exemplar *exemplar)
{
    extatus_histogram_observe(histogram, value); /* counted whatever the exemplar */
    return extatus__exemplar_keep(
        &histogram->exemplars, histogram->bound_count + 1,
        extatus__bucket_of(histogram->bounds, histogram->bound_count, histogram->scan_count, value),
        value, exemplar);
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
