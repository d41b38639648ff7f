/*
 * summary.c - the Prometheus summary ("summary") as an entry.
 *
 * count and sum are lifetime totals kept in sharded cells exactly like the
 * histogram's: the shared composite part (entries.h, composite.c). A plain
 * summary has nothing else.
 *
 * With "quantiles" the series also keeps a sliding window of "max_age"
 * seconds split into "age_buckets" slices. Each slice is a log-linear
 * bucketed histogram: a value's bucket is taken from its sign, its binary
 * exponent and the top 5 bits of its mantissa, i.e. 32 buckets per power
 * of two for magnitudes in [2^-32, 2^32), one bucket for zero, mirrored
 * for negative values (4097 buckets, ordered by value). A bucket spans
 * 1/32 of its power of two, so its midpoint is within 1/64 of any value in
 * it, relative to that value. Reads walk the ranks over the live slices
 * and answer the midpoint of the bucket holding the wanted rank.
 *
 * Slices are picked by a coarse monotonic clock: epoch = now / slice_ns +
 * 1 and slice = epoch % age_buckets. Each slice carries the epoch it holds
 * (its tag). The first observer of a new epoch finds an old tag and clears
 * the slice (lazily, on the hot path but once per slice period per
 * series); readers ignore slices whose tag is outside the window and never
 * write. See docs/types.md for what races can do (an observation racing
 * the clearing of its own slice may be lost from the window).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "entries/entries.h"

/* Quantile estimator geometry. */
#define SUMMARY_MIN_EXPONENT (-32) /* smallest power of two with its own buckets */
#define SUMMARY_SUB_BITS     5u    /* mantissa bits used: 32 buckets per power of two */
#define SUMMARY_MAGNITUDES   2048u /* 64 powers of two x 32 sub-buckets */
#define SUMMARY_ZERO         SUMMARY_MAGNITUDES             /* index of the zero bucket */
#define SUMMARY_INDEXES      (2u * SUMMARY_MAGNITUDES + 1u) /* negatives, zero, positives */
#define SUMMARY_GROUP_BITS   5u                             /* read-side groups of 32 indexes */
#define SUMMARY_GROUPS       ((SUMMARY_INDEXES >> SUMMARY_GROUP_BITS) + 1u)

/* Limits on the options. */
#define SUMMARY_MAX_QUANTILES   32u
#define SUMMARY_MAX_AGE_BUCKETS 60u
#define SUMMARY_MIN_SLICE_NS    1000000.0 /* 1 ms: finer than the coarse clock is useless */
#define SUMMARY_MAX_AGE_LIMIT   1e7       /* seconds (about 115 days) */

/* Tag bit of a slice being cleared; readers skip it. */
#define SLICE_CLEARING (UINT64_C(1) << 63)

/* One time slice of the window: a bucketed histogram and the epoch it holds. */
typedef struct summary_slice {
    _Atomic uint64_t epoch;                   /* epoch held; 0 none; SLICE_CLEARING while cleared */
    _Atomic uint32_t counts[SUMMARY_INDEXES]; /* observations per bucket in that epoch */
} summary_slice;

/* Counting cells of a summary series; the sum cells follow them. */
enum {
    CELL_COUNT = 0,  /* every observation, NaN included */
    COUNT_CELLS = 1, /* the first sum cell */
    SUMMARY_CELLS = COUNT_CELLS + EXTATUS__SUM_CELLS
};

struct extatus_summary {
    summary_slice *slices;        /* the quantile window; NULL for a plain summary */
    uint64_t slice_ns;            /* length of one slice */
    uint32_t slice_count;         /* age_buckets */
    uint32_t quantile_count;      /* entries in quantiles */
    const double *quantiles;      /* strictly increasing, in (0,1) */
    double max_age;               /* window length in seconds */
    extatus__composite composite; /* count and sum cells, datapoints (quantiles, count, ...) */
    uint64_t base[SUMMARY_CELLS]; /* the composite's baseline */
};

/* Parsed and checked options. */
typedef struct summary_config {
    const double *quantiles; /* NULL/0: no window */
    size_t quantile_count;   /* entries in quantiles */
    double max_age;          /* seconds */
    uint32_t age_buckets;    /* slices */
} summary_config;

/* ---- estimator --------------------------------------------------------- */

/*
 * Bucket index of a non-NaN value, ordered like the values: negatives
 * (largest magnitude first), zero, positives. The bits above the top five
 * mantissa bits are the biased exponent, so (bits >> 47) counts 32-wide
 * sub-buckets from the smallest double; magnitudes outside [2^-32, 2^32)
 * (subnormals, huge values, infinities) clamp to the end buckets.
 */
static inline uint32_t summary_index(double value)
{
    uint64_t bits = extatus__double_bits(value);
    uint64_t magnitude = bits & ~(UINT64_C(1) << 63);
    int64_t m;

    if (magnitude == 0)
        return SUMMARY_ZERO;
    m = (int64_t)(magnitude >> (52 - SUMMARY_SUB_BITS)) -
        ((int64_t)(1023 + SUMMARY_MIN_EXPONENT) << SUMMARY_SUB_BITS);
    if (m < 0)
        m = 0;
    else if (m > (int64_t)SUMMARY_MAGNITUDES - 1)
        m = SUMMARY_MAGNITUDES - 1;
    return (bits >> 63) ? (uint32_t)(SUMMARY_ZERO - 1 - m) : (uint32_t)(SUMMARY_ZERO + 1 + m);
}

/* The value a bucket stands for: its midpoint (0 for the zero bucket). */
static double summary_index_value(uint32_t index)
{
    uint32_t m;
    double magnitude;

    if (index == SUMMARY_ZERO)
        return 0.0;
    m = index > SUMMARY_ZERO ? index - SUMMARY_ZERO - 1 : SUMMARY_ZERO - 1 - index;
    magnitude = ldexp(1.0 + ((double)(m & 31u) + 0.5) / 32.0,
                      (int)(m >> SUMMARY_SUB_BITS) + SUMMARY_MIN_EXPONENT);
    return index > SUMMARY_ZERO ? magnitude : -magnitude;
}

/* ---- window ------------------------------------------------------------ */

static inline uint64_t summary_epoch(const extatus_summary *summary)
{
    return (uint64_t)extatus__now_coarse_ns() / summary->slice_ns + 1;
}

/*
 * Make `slice` hold `epoch`: called by an observer that found tag `tag`.
 * Only one observer wins the CAS and clears; others (and observers whose
 * epoch is older than the tag, delayed since they read the clock) just add
 * to the slice as it is.
 */
static void summary_rotate(summary_slice *slice, uint64_t tag, uint64_t epoch)
{
    uint32_t i;

    if ((tag & SLICE_CLEARING) != 0 || tag > epoch)
        return;
    if (!atomic_compare_exchange_strong_explicit(&slice->epoch, &tag, epoch | SLICE_CLEARING,
                                                 memory_order_acq_rel, memory_order_relaxed))
        return;
    /*
     * Release stores: a reader whose acquire load sees a zeroed count (or
     * an increment after it) then sees the CLEARING tag or a later one.
     */
    for (i = 0; i < SUMMARY_INDEXES; i++)
        atomic_store_explicit(&slice->counts[i], 0, memory_order_release);
    atomic_store_explicit(&slice->epoch, epoch, memory_order_release);
}

static void summary_window_observe(extatus_summary *summary, double value)
{
    uint64_t epoch;
    summary_slice *slice;
    uint64_t tag;

    if (isnan(value))
        return; /* NaN has no rank; it is in count only */
    epoch = summary_epoch(summary);
    slice = &summary->slices[epoch % summary->slice_count];
    tag = atomic_load_explicit(&slice->epoch, memory_order_relaxed);
    if (EXTATUS__UNLIKELY(tag != epoch))
        summary_rotate(slice, tag, epoch);
    atomic_fetch_add_explicit(&slice->counts[summary_index(value)], 1, memory_order_relaxed);
}

/* A tag that belongs to the window ending at epoch `now`. */
static bool summary_tag_live(uint64_t tag, uint64_t now, uint32_t slice_count)
{
    return tag != 0 && (tag & SLICE_CLEARING) == 0 && tag + slice_count > now;
}

/* Counts of the buckets of `group`, summed over the live slices. */
static void summary_group_counts(const summary_slice *const *live, uint32_t live_count,
                                 uint32_t group, uint64_t *counts)
{
    uint32_t first = group << SUMMARY_GROUP_BITS;
    uint32_t i;
    uint32_t s;

    for (i = 0; i < (1u << SUMMARY_GROUP_BITS); i++) {
        counts[i] = 0;
        if (first + i >= SUMMARY_INDEXES)
            continue;
        for (s = 0; s < live_count; s++)
            counts[i] += atomic_load_explicit(&live[s]->counts[first + i], memory_order_relaxed);
    }
}

/*
 * Fill out[0..quantile_count) with the window's quantile estimates (NaN
 * when the window is empty). Pass 1 sums each live slice into groups of 32
 * buckets and keeps the slice only if its tag did not change meanwhile
 * (seqlock-style: the count loads are acquire, so a count written by a
 * clearing that started during the read makes the re-read tag differ).
 * Pass 2 finds each rank's group from those totals, then its bucket from
 * one read of the group's counts shared by the quantiles that fall in it,
 * so the estimates of one read never decrease.
 */
static void summary_window_read(const extatus_summary *summary, double *out)
{
    uint64_t groups[SUMMARY_GROUPS];
    uint64_t slice_groups[SUMMARY_GROUPS];
    const summary_slice *live[SUMMARY_MAX_AGE_BUCKETS];
    uint32_t live_count = 0;
    uint64_t now = summary_epoch(summary);
    uint64_t total = 0;
    uint64_t before = 0; /* observations in groups below `group` */
    uint32_t group = 0;
    uint32_t cached = SUMMARY_GROUPS; /* group whose counts are in `counts` */
    uint64_t counts[1u << SUMMARY_GROUP_BITS];
    uint32_t s;
    uint32_t i;
    uint32_t q;

    memset(groups, 0, sizeof(groups));
    for (s = 0; s < summary->slice_count; s++) {
        const summary_slice *slice = &summary->slices[s];
        uint64_t tag = atomic_load_explicit(&slice->epoch, memory_order_acquire);
        if (!summary_tag_live(tag, now, summary->slice_count))
            continue;
        memset(slice_groups, 0, sizeof(slice_groups));
        for (i = 0; i < SUMMARY_INDEXES; i++)
            slice_groups[i >> SUMMARY_GROUP_BITS] +=
                atomic_load_explicit(&slice->counts[i], memory_order_acquire);
        if (atomic_load_explicit(&slice->epoch, memory_order_relaxed) != tag)
            continue; /* cleared or reset while read: it was leaving the window */
        for (i = 0; i < SUMMARY_GROUPS; i++) {
            groups[i] += slice_groups[i];
            total += slice_groups[i];
        }
        live[live_count++] = slice;
    }

    for (q = 0; q < summary->quantile_count; q++) {
        double wanted = ceil(summary->quantiles[q] * (double)total);
        uint64_t rank;
        uint64_t seen;
        uint32_t found;
        uint32_t index;

        if (total == 0) {
            out[q] = NAN;
            continue;
        }
        rank = wanted < 1.0 ? 1 : wanted > (double)total ? total : (uint64_t)wanted;
        /* Quantiles increase, so the group search continues where it stopped. */
        while (group + 1 < SUMMARY_GROUPS && before + groups[group] < rank) {
            before += groups[group];
            group++;
        }
        if (group != cached) {
            summary_group_counts(live, live_count, group, counts);
            cached = group;
        }
        /*
         * Walk the group's buckets. If they fell short of the rank (the
         * group changed since pass 1), take its last non-empty bucket.
         */
        seen = before;
        found = 0;
        for (i = 0; i < (1u << SUMMARY_GROUP_BITS); i++) {
            if (counts[i] == 0)
                continue;
            found = i;
            seen += counts[i];
            if (seen >= rank)
                break;
        }
        index = (group << SUMMARY_GROUP_BITS) + found;
        out[q] = summary_index_value(index < SUMMARY_INDEXES ? index : SUMMARY_INDEXES - 1);
    }
}

/* Empty the window: tag 0 is outside every window; observers clear lazily. */
static void summary_window_reset(extatus_summary *summary)
{
    uint32_t s;

    for (s = 0; s < summary->slice_count; s++) {
        summary_slice *slice = &summary->slices[s];
        uint64_t tag = atomic_load_explicit(&slice->epoch, memory_order_relaxed);
        /* A slice being cleared comes out empty and current anyway. */
        if ((tag & SLICE_CLEARING) == 0)
            atomic_compare_exchange_strong_explicit(&slice->epoch, &tag, 0, memory_order_acq_rel,
                                                    memory_order_relaxed);
    }
}

/* ---- options ------------------------------------------------------------ */

static int number_option(const extatus_option *option, double *value)
{
    if (option->kind != EXTATUS_OPTION_NUMBER)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "option '%s' must be a number", option->key);
    *value = option->number;
    return EXTATUS_OK;
}

static int check_quantiles(const double *quantiles, size_t count)
{
    size_t i;

    if (count > SUMMARY_MAX_QUANTILES)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "option 'quantiles': %zu given, at most %u allowed", count,
                                   SUMMARY_MAX_QUANTILES);
    if (count > 0 && quantiles == NULL)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "option 'quantiles': list is NULL but count is %zu", count);
    for (i = 0; i < count; i++) {
        if (!(quantiles[i] > 0.0 && quantiles[i] < 1.0))
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "option 'quantiles': quantile %zu is %g; it must be in "
                                       "(0, 1)",
                                       i, quantiles[i]);
        if (i > 0 && !(quantiles[i] > quantiles[i - 1]))
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "option 'quantiles': quantile %zu (%g) is not greater "
                                       "than quantile %zu (%g); they must be strictly increasing",
                                       i, quantiles[i], i - 1, quantiles[i - 1]);
    }
    return EXTATUS_OK;
}

/* Parse and check the entry options; refuse unknown keys. */
static int parse_options(const extatus_option *options, size_t option_count, summary_config *config)
{
    double age_buckets = 5;
    size_t i;
    int rc;

    config->quantiles = NULL;
    config->quantile_count = 0;
    config->max_age = 60;
    for (i = 0; i < option_count; i++) {
        const extatus_option *option = &options[i];
        if (option->key == NULL)
            return extatus_entry_error(EXTATUS_ERR_OPTION, "summary: option %zu has no key", i);
        if (extatus__option_is_common(option->key))
            continue;
        if (strcmp(option->key, "quantiles") == 0) {
            if (option->kind != EXTATUS_OPTION_DOUBLES)
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "option 'quantiles' must be a list of doubles");
            rc = check_quantiles(option->list, option->count);
            if (rc != EXTATUS_OK)
                return rc;
            config->quantiles = option->list;
            config->quantile_count = option->count;
        } else if (strcmp(option->key, "max_age") == 0) {
            rc = number_option(option, &config->max_age);
            if (rc != EXTATUS_OK)
                return rc;
            if (!(config->max_age > 0 && config->max_age <= SUMMARY_MAX_AGE_LIMIT))
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "option 'max_age' must be > 0 and <= %g seconds, "
                                           "got %g",
                                           SUMMARY_MAX_AGE_LIMIT, config->max_age);
        } else if (strcmp(option->key, "age_buckets") == 0) {
            rc = number_option(option, &age_buckets);
            if (rc != EXTATUS_OK)
                return rc;
            if (!extatus__is_whole(age_buckets, 1, SUMMARY_MAX_AGE_BUCKETS))
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "option 'age_buckets' must be an integer in [1, %u], "
                                           "got %g",
                                           SUMMARY_MAX_AGE_BUCKETS, age_buckets);
        } else {
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "summary: unknown option '%s' (known: quantiles, "
                                       "max_age, age_buckets)",
                                       option->key);
        }
    }
    config->age_buckets = (uint32_t)age_buckets;
    if (config->max_age * 1e9 / age_buckets < SUMMARY_MIN_SLICE_NS)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "options 'max_age' (%g s) / 'age_buckets' (%u) give slices "
                                   "shorter than 1 ms",
                                   config->max_age, config->age_buckets);
    return EXTATUS_OK;
}

/* ---- entry callbacks ------------------------------------------------------ */

static int summary_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                          size_t option_count)
{
    summary_config config;
    extatus_summary *summary;
    double *own_quantiles;
    extatus_datapoint *points;
    size_t i;
    int rc;

    (void)ctx;
    *ref = NULL;
    rc = parse_options(options, option_count, &config);
    if (rc != EXTATUS_OK)
        return rc;

    /* One block: struct, quantiles, datapoints with their names. The window is separate. */
    summary =
        extatus__calloc(1, sizeof(*summary) + config.quantile_count * sizeof(double) +
                               extatus__datapoints_size(config.quantiles, config.quantile_count));
    if (summary == NULL)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "summary: out of memory");
    own_quantiles = (double *)(summary + 1);
    for (i = 0; i < config.quantile_count; i++)
        own_quantiles[i] = config.quantiles[i];
    summary->quantiles = own_quantiles;
    summary->quantile_count = (uint32_t)config.quantile_count;
    summary->max_age = config.max_age;
    summary->slice_count = config.age_buckets;
    summary->slice_ns = (uint64_t)(config.max_age * 1e9 / config.age_buckets);
    points = extatus__datapoints_build(own_quantiles + config.quantile_count, own_quantiles,
                                       config.quantile_count, EXTATUS_SAMPLE_QUANTILE);

    if (config.quantile_count > 0) {
        uint64_t epoch;
        summary->slices = extatus__calloc(config.age_buckets, sizeof(summary_slice));
        if (summary->slices == NULL) {
            extatus__free(summary);
            return extatus_entry_error(EXTATUS_ERR_NOMEM, "summary: cannot create series (%s)",
                                       extatus_strerror(EXTATUS_ERR_NOMEM));
        }
        /* The slices are zero: the current one needs no clearing by the first observers. */
        epoch = summary_epoch(summary);
        atomic_init(&summary->slices[epoch % summary->slice_count].epoch, epoch);
    }
    rc = extatus__composite_init(&summary->composite, "summary", COUNT_CELLS, true, summary->base,
                                 points, config.quantile_count + EXTATUS__DATAPOINT_TOTALS);
    if (rc != EXTATUS_OK) {
        extatus__free(summary->slices);
        extatus__free(summary);
        return rc;
    }
    *ref = summary;
    return EXTATUS_OK;
}

static void summary_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_summary *summary = ref;

    (void)ctx;
    if (summary == NULL)
        return;
    extatus__composite_dispose(&summary->composite);
    extatus__free(summary->slices);
    extatus__free(summary);
}

static int summary_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                             size_t count, extatus_value *values)
{
    extatus_summary *summary = ref;
    double estimates[SUMMARY_MAX_QUANTILES];
    extatus__composite_values read = {.head = summary->quantile_count, .head_doubles = estimates};
    uint32_t i;

    (void)ctx;
    extatus__composite_read(&summary->composite, &read.count, &read.sum, &read.created);
    for (i = 0; i < summary->quantile_count; i++)
        estimates[i] = NAN;
    if (summary->slices != NULL)
        summary_window_read(summary, estimates);
    extatus__composite_answer(&summary->composite, &read, datapoints, count, values);
    return EXTATUS_OK;
}

static int summary_update(void *ref, const extatus_entry_ctx *ctx, double value)
{
    (void)ctx;
    extatus_summary_observe(ref, value);
    return EXTATUS_OK;
}

static int summary_reset(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_summary *summary = ref;

    (void)ctx;
    extatus__composite_reset(&summary->composite);
    if (summary->slices != NULL)
        summary_window_reset(summary);
    return EXTATUS_OK;
}

static int summary_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                  const extatus_datapoint **datapoints, size_t *count)
{
    (void)ctx;
    return extatus__composite_get_datapoints(&((const extatus_summary *)ref)->composite, datapoints,
                                             count);
}

/*
 * The quantiles fix the datapoints and the window geometry is fixed in
 * the slices' tags, so no option can change on a live series; giving the
 * value the series already has is accepted as a no-op.
 */
static int summary_setopts(void *ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                           size_t option_count)
{
    const extatus_summary *summary = ref;
    summary_config config;
    int rc;

    (void)ctx;
    memset(&config, 0, sizeof(config));
    rc = parse_options(options, option_count, &config);
    if (rc != EXTATUS_OK)
        return rc;
    rc = extatus__option_fixed(options, option_count, "quantiles",
                               !extatus__doubles_same(config.quantiles, config.quantile_count,
                                                      summary->quantiles, summary->quantile_count),
                               "they fix the series' datapoints (create a new family instead)");
    if (rc == EXTATUS_OK)
        rc = extatus__option_fixed(options, option_count, "max_age",
                                   config.max_age != summary->max_age,
                                   "the window's slices are laid out by it");
    if (rc == EXTATUS_OK)
        rc = extatus__option_fixed(options, option_count, "age_buckets",
                                   config.age_buckets != summary->slice_count,
                                   "the window's slices are allocated by it");
    return rc;
}

static const extatus_entry_ops summary_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_ENTRY,
    .metric_type = EXTATUS_METRIC_SUMMARY,
    .create = summary_create,
    .destroy = summary_destroy,
    .get_value = summary_get_value,
    .update = summary_update,
    .reset = summary_reset,
    .sample = NULL,
    .get_datapoints = summary_get_datapoints,
    .setopts = summary_setopts,
};

int extatus__summary_register(void)
{
    return extatus_type_register("summary", &summary_ops, NULL);
}

/* ---- public API ------------------------------------------------------------ */

void extatus_summary_observe(extatus_summary *summary, double value)
{
    extatus__cell_add(&summary->composite.cells[CELL_COUNT], 1);
    extatus__sum_add(&summary->composite.cells[COUNT_CELLS], value);
    if (summary->slices != NULL)
        summary_window_observe(summary, value);
}

int extatus_summary_new(extatus_summary **out, extatus_registry *registry, const char *name,
                        const char *help, const double *quantiles, size_t quantile_count)
{
    extatus_option option = EXTATUS_OPT_DOUBLES("quantiles", quantiles, quantile_count);

    /* No quantiles: a plain count/sum summary. */
    return extatus__new_unlabelled((void **)out, registry, name, "summary", help, &option,
                                   quantiles != NULL && quantile_count > 0 ? 1 : 0);
}

int extatus_summary_get(extatus_summary **out, extatus_family *family, extatus_labels labels)
{
    return extatus__typed_get((void **)out, family, labels, summary_create, "summary");
}
