/*
 * native_histogram.c - the native histogram ("native_histogram") as an
 * entry: exponential buckets at schema -4..8, a zero bucket, positive and
 * negative buckets, a bucket limit that lowers the resolution, optional
 * classic buckets beside them.
 *
 * Bucket index. At schema s the bucket with index i holds |v| in
 * (base^(i-1), base^i], base = 2^(2^-s). The index is computed once at
 * schema 8 from frexp (|v| = frac * 2^exp, frac in [0.5, 1)) as
 * client_golang does it: the first of the 256 schema-8 boundaries of an
 * octave at or above frac, plus (exp - 1) * 256. Coarser schemas merge
 * 2^(8-s) neighbours: i_s = ceil(i_8 / 2^(8-s)), so their boundaries are
 * exactly boundaries of schema 8 and powers of two are always exact.
 * frexp is done on the bits for normal numbers (the same result, no
 * call), and the boundary search starts from a guess by the top mantissa
 * bits (at most two steps).
 *
 * Storage. An index can be anywhere in about +-2^18, so buckets cannot be
 * one cell each up front. A *window* is a fixed run of sharded cells, 256
 * per sign, at one schema and position (its lowest index per sign);
 * windows never move or change once published. The series points to its
 * current window; an observation whose index falls inside it is a
 * lock-free cell add like the classic histogram's. One that falls outside
 * takes the rare path under the series' window lock: it gathers the
 * counts of all windows, lowers the schema while a sign would need more
 * than max_buckets buckets (the bucket limit), and publishes a window that
 * covers everything seen: an old one when one fits (after a reset the
 * same workload finds its windows again), else a new one centred on the
 * counts. Observers still holding an older window keep adding to it; that
 * is not lost, since reads sum every window, each mapped to the read's
 * schema (the lowest schema holding counts). Windows are freed with the
 * series only (no observer can be proven done with one before), so their
 * number is capped; the last slot is a catch-all window at schema -4,
 * whose 256 cells per sign cover every finite double.
 *
 * The classic buckets (only +Inf by default), the zero bucket, the sum
 * and the reset baseline are the shared composite part (composite.c).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "entries/entries.h"

#define NH_SPAN       ((int32_t)EXTATUS__NATIVE_SPAN_MAX)    /* cells per sign in a window */
#define NH_CELLS      ((size_t)2 * EXTATUS__NATIVE_SPAN_MAX) /* positive, then negative */
#define NH_WINDOWS    48  /* windows per series, the last a catch-all */
#define NH_FINE       8   /* the schema indexes are computed at */
#define NH_OCTAVE     256 /* schema-8 buckets per power of two */
#define NH_MANTISSA   ((UINT64_C(1) << 52) - 1)
#define NH_GUESS_BITS 8 /* top mantissa bits that index the guess table */

/* One window of bucket cells (see the head of the file); immutable once published. */
typedef struct nh_window {
    int32_t schema;          /* resolution of its cells */
    int32_t low[2];          /* index of the first cell, per sign (0 positive, 1 negative) */
    extatus__cell *cells;    /* NH_CELLS sharded cells: positive, then negative */
    uint64_t base[NH_CELLS]; /* cell totals at the last reset; under window_lock */
} nh_window;

struct extatus_native_histogram {
    _Atomic(nh_window *) current;        /* where observations go; NULL until the first */
    int32_t schema;                      /* configured (starting) schema */
    uint32_t max_buckets;                /* bucket limit per sign */
    double zero_threshold;               /* |v| <= this goes to the zero bucket */
    const double *bounds;                /* classic bounds, +Inf padded (entries.h) */
    uint32_t bound_count;                /* finite classic bounds */
    uint32_t scan_count;                 /* bounds a scan reads */
    pthread_mutex_t window_lock;         /* guards windows, window_count and every base */
    nh_window *windows[NH_WINDOWS];      /* every window ever published */
    uint32_t window_count;               /* entries in windows */
    extatus__composite composite;        /* classic bucket cells, the zero bucket, the sum */
    extatus__exemplars_holder exemplars; /* one per classic bucket, from the first exemplar */
};

/* ---- bucket index ----------------------------------------------------------- */

static uint64_t nh_bound_bits[NH_OCTAVE + 1];  /* mantissa of 2^(j/256); [256] a sentinel */
static uint16_t nh_guess[1u << NH_GUESS_BITS]; /* first j whose bound is >= the slot's start */
static pthread_once_t nh_tables_once = PTHREAD_ONCE_INIT;

static void nh_tables_build(void)
{
    uint32_t j = 0;
    uint32_t slot;

    for (j = 0; j < NH_OCTAVE; j++)
        nh_bound_bits[j] = extatus__double_bits(exp2((double)j / NH_OCTAVE)) & NH_MANTISSA;
    nh_bound_bits[NH_OCTAVE] = NH_MANTISSA + 1; /* above every mantissa */
    j = 0;
    for (slot = 0; slot < (1u << NH_GUESS_BITS); slot++) {
        uint64_t start = (uint64_t)slot << (52 - NH_GUESS_BITS);
        while (nh_bound_bits[j] < start)
            j++;
        nh_guess[slot] = (uint16_t)j;
    }
}

/* Schema-8 index of a positive finite value (the frexp rule above). */
static inline int32_t nh_key_fine(double magnitude)
{
    uint64_t bits = extatus__double_bits(magnitude);
    int32_t exponent = (int32_t)(bits >> 52) - 1022; /* frexp's exp for normal numbers */
    uint64_t mantissa = bits & NH_MANTISSA;
    uint32_t j;

    if (EXTATUS__UNLIKELY(exponent == -1022)) { /* subnormal: frexp normalises it */
        int exp;
        double frac = frexp(magnitude, &exp);
        exponent = exp;
        mantissa = extatus__double_bits(frac * 2.0) & NH_MANTISSA;
    }
    j = nh_guess[mantissa >> (52 - NH_GUESS_BITS)];
    while (nh_bound_bits[j] < mantissa)
        j++;
    return (int32_t)j + (exponent - 1) * NH_OCTAVE;
}

/*
 * Index at `schema` of the bucket holding schema-8 bucket `key`:
 * ceil(key / 2^(8-schema)). Right shifts of negative numbers are
 * arithmetic on every compiler the project supports.
 */
static inline int32_t nh_key_at(int32_t key, int32_t schema)
{
    int32_t shift = NH_FINE - schema;
    return (key + (int32_t)((1u << shift) - 1)) >> shift;
}

/* The index one schema lower of index `key`: ceil(key / 2). */
static inline int32_t nh_key_coarser(int32_t key)
{
    return (key + 1) >> 1;
}

int32_t extatus__native_key(double value, int32_t schema)
{
    pthread_once(&nh_tables_once, nh_tables_build);
    return nh_key_at(nh_key_fine(fabs(value)), schema);
}

/* ---- gathering the counts of all windows ----------------------------------- */

/*
 * The native buckets since the last reset (under window_lock), plus one
 * observation at schema-8 index `extra_key` of sign `extra_sign` when
 * extra_sign >= 0 (the rare path asks where it would go): at the lowest
 * schema holding counts, lowered further while a sign needs more than
 * max_buckets buckets. Fills schema, first, length and counts of `out`.
 * EXTATUS_ERR_NOMEM when the snapshot cannot be allocated.
 */
static int nh_gather(extatus_native_histogram *histogram, int extra_sign, int32_t extra_key,
                     extatus__native_read *out)
{
    uint32_t window_count = histogram->window_count;
    uint64_t *snapshot = NULL;
    int32_t low[2];
    int32_t high[2];
    bool seen[2] = {false, false};
    int32_t schema = histogram->schema;
    uint32_t w;
    uint32_t c;
    int sign;

    if (window_count > 0) {
        snapshot = extatus__malloc((size_t)window_count * NH_CELLS * sizeof(*snapshot));
        if (snapshot == NULL)
            return EXTATUS_ERR_NOMEM;
    }
    /* One read of every cell; the lowest schema that holds a count. */
    for (w = 0; w < window_count; w++) {
        const nh_window *window = histogram->windows[w];
        for (c = 0; c < NH_CELLS; c++) {
            uint64_t count = extatus__cell_sum(&window->cells[c]) - window->base[c];
            snapshot[w * NH_CELLS + c] = count;
            if (count != 0 && window->schema < schema)
                schema = window->schema;
        }
    }
    if (extra_sign >= 0) {
        low[extra_sign] = high[extra_sign] = nh_key_at(extra_key, schema);
        seen[extra_sign] = true;
    }
    for (w = 0; w < window_count; w++) {
        const nh_window *window = histogram->windows[w];
        for (c = 0; c < NH_CELLS; c++) {
            int32_t key;
            if (snapshot[w * NH_CELLS + c] == 0)
                continue;
            sign = c >= NH_SPAN;
            key = window->low[sign] + (int32_t)(c % NH_SPAN);
            key = nh_key_at(key, schema + NH_FINE - window->schema); /* down to `schema` */
            if (!seen[sign] || key < low[sign])
                low[sign] = key;
            if (!seen[sign] || key > high[sign])
                high[sign] = key;
            seen[sign] = true;
        }
    }
    /* The bucket limit: merge neighbour pairs while a sign spans too many. */
    while (schema > EXTATUS_NATIVE_HISTOGRAM_SCHEMA_MIN &&
           ((seen[0] && (uint32_t)(high[0] - low[0]) >= histogram->max_buckets) ||
            (seen[1] && (uint32_t)(high[1] - low[1]) >= histogram->max_buckets))) {
        schema--;
        for (sign = 0; sign < 2; sign++) {
            low[sign] = nh_key_coarser(low[sign]);
            high[sign] = nh_key_coarser(high[sign]);
        }
    }
    out->schema = schema;
    for (sign = 0; sign < 2; sign++) {
        out->first[sign] = seen[sign] ? low[sign] : 0;
        out->length[sign] = seen[sign] ? (uint32_t)(high[sign] - low[sign]) + 1 : 0;
        memset(out->counts[sign], 0, sizeof(out->counts[sign]));
    }
    for (w = 0; w < window_count; w++) {
        const nh_window *window = histogram->windows[w];
        for (c = 0; c < NH_CELLS; c++) {
            uint64_t count = snapshot[w * NH_CELLS + c];
            int32_t key;
            if (count == 0)
                continue;
            sign = c >= NH_SPAN;
            key = window->low[sign] + (int32_t)(c % NH_SPAN);
            key = nh_key_at(key, schema + NH_FINE - window->schema);
            out->counts[sign][key - low[sign]] += count;
        }
    }
    extatus__free(snapshot);
    return EXTATUS_OK;
}

/* ---- the rare path: a window for an index outside the current one ---------- */

/* Whether `window` holds the gathered buckets of both signs. */
static bool nh_window_fits(const nh_window *window, const extatus__native_read *need)
{
    int sign;

    if (window->schema != need->schema)
        return false;
    for (sign = 0; sign < 2; sign++) {
        if (need->length[sign] == 0)
            continue;
        if (need->first[sign] < window->low[sign] ||
            need->first[sign] + (int32_t)need->length[sign] > window->low[sign] + NH_SPAN)
            return false;
    }
    return true;
}

/* A new window for `need` (NULL without memory): centred on its buckets, or the catch-all. */
static nh_window *nh_window_new(const extatus__native_read *need, bool catch_all)
{
    nh_window *window = extatus__calloc(1, sizeof(*window));
    int sign;

    if (window == NULL)
        return NULL;
    if (extatus__cells_alloc(NH_CELLS, &window->cells) != EXTATUS_OK) {
        extatus__free(window);
        return NULL;
    }
    if (catch_all) {
        /* At schema -4 every finite double's index is within -67..64. */
        window->schema = EXTATUS_NATIVE_HISTOGRAM_SCHEMA_MIN;
        window->low[0] = window->low[1] = -(NH_SPAN / 2);
        return window;
    }
    window->schema = need->schema;
    for (sign = 0; sign < 2; sign++) {
        if (need->length[sign] > 0)
            window->low[sign] = need->first[sign] - (int32_t)(NH_SPAN - need->length[sign]) / 2;
        else /* none yet: expect the magnitudes of the other sign */
            window->low[sign] = need->first[!sign] - (int32_t)(NH_SPAN - need->length[!sign]) / 2;
    }
    return window;
}

/* Count an observation whose index lies outside the current window (or none yet). */
static EXTATUS__NOINLINE void nh_observe_outside(extatus_native_histogram *histogram, int sign,
                                                 int32_t key)
{
    extatus__native_read *need = NULL;
    nh_window *window;
    uint32_t w;

    pthread_mutex_lock(&histogram->window_lock);
    window = atomic_load_explicit(&histogram->current, memory_order_relaxed);
    if (window != NULL) { /* another observer may have moved it meanwhile */
        int32_t offset = nh_key_at(key, window->schema) - window->low[sign];
        if (offset >= 0 && offset < NH_SPAN)
            goto out_add;
    }
    need = extatus__malloc(sizeof(*need));
    if (need == NULL || nh_gather(histogram, sign, key, need) != EXTATUS_OK)
        goto out_unlock; /* no memory: counted in count and sum, not in a native bucket */
    window = NULL;
    for (w = 0; w < histogram->window_count && window == NULL; w++)
        if (nh_window_fits(histogram->windows[w], need))
            window = histogram->windows[w];
    if (window == NULL) {
        bool catch_all = histogram->window_count == NH_WINDOWS - 1;
        if (histogram->window_count == NH_WINDOWS) /* the catch-all exists already */
            window = histogram->windows[NH_WINDOWS - 1];
        else if ((window = nh_window_new(need, catch_all)) != NULL)
            histogram->windows[histogram->window_count++] = window;
        else
            goto out_unlock;
    }
    atomic_store_explicit(&histogram->current, window, memory_order_release);
out_add : {
    int32_t offset = nh_key_at(key, window->schema) - window->low[sign];
    extatus__cell_add(&window->cells[sign * NH_SPAN + offset], 1);
}
out_unlock:
    pthread_mutex_unlock(&histogram->window_lock);
    extatus__free(need);
}

/* ---- options ------------------------------------------------------------------ */

typedef struct nh_config {
    int32_t schema;
    double zero_threshold;
    uint32_t max_buckets;
    const double *bounds;
    size_t bound_count;
} nh_config;

/* An integer option within [min, max]; EXTATUS_ERR_OPTION naming it otherwise. */
static int nh_integer(const extatus_option *option, int64_t min, int64_t max, int64_t *out)
{
    *out = 0;
    if (option->kind != EXTATUS_OPTION_NUMBER || !(option->number >= (double)min) ||
        !(option->number <= (double)max) || option->number != floor(option->number))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "native_histogram: option '%s' must be an integer from %lld to "
                                   "%lld",
                                   option->key, (long long)min, (long long)max);
    *out = (int64_t)option->number;
    return EXTATUS_OK;
}

/* The configuration from the entry options; every unknown key refused. */
static int nh_parse_options(const extatus_option *options, size_t option_count, nh_config *config)
{
    size_t i;
    int rc = EXTATUS_OK;

    config->schema = EXTATUS_NATIVE_HISTOGRAM_SCHEMA_DEFAULT;
    config->zero_threshold = EXTATUS_NATIVE_HISTOGRAM_ZERO_THRESHOLD_DEFAULT;
    config->max_buckets = EXTATUS_NATIVE_HISTOGRAM_MAX_BUCKETS_DEFAULT;
    config->bounds = NULL;
    config->bound_count = 0;
    for (i = 0; i < option_count && rc == EXTATUS_OK; i++) {
        const extatus_option *option = &options[i];
        int64_t integer;
        if (option->key == NULL)
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "native_histogram: option %zu has no key", i);
        if (extatus__option_is_common(option->key))
            continue;
        if (strcmp(option->key, "schema") == 0) {
            rc = nh_integer(option, EXTATUS_NATIVE_HISTOGRAM_SCHEMA_MIN,
                            EXTATUS_NATIVE_HISTOGRAM_SCHEMA_MAX, &integer);
            config->schema = (int32_t)integer;
        } else if (strcmp(option->key, "max_buckets") == 0) {
            rc = nh_integer(option, 1, EXTATUS_NATIVE_HISTOGRAM_MAX_BUCKETS, &integer);
            config->max_buckets = (uint32_t)integer;
        } else if (strcmp(option->key, "zero_threshold") == 0) {
            if (option->kind != EXTATUS_OPTION_NUMBER || !isfinite(option->number) ||
                !(option->number >= 0))
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "native_histogram: option 'zero_threshold' must be a "
                                           "finite number >= 0");
            config->zero_threshold = option->number;
        } else if (strcmp(option->key, "buckets") == 0) {
            if (option->kind != EXTATUS_OPTION_DOUBLES)
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "option 'buckets' must be a list of doubles");
            rc = extatus__check_bounds(option->list, option->count);
            config->bounds = option->list;
            config->bound_count = option->count;
        } else {
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "native_histogram: unknown option '%s' (known: schema, "
                                       "zero_threshold, max_buckets, buckets)",
                                       option->key);
        }
    }
    return rc;
}

/* ---- entry callbacks ------------------------------------------------------------ */

static int nh_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                     size_t option_count)
{
    double upper[EXTATUS_HISTOGRAM_MAX_BUCKETS + 4]; /* the classic bounds as stored */
    extatus_native_histogram *histogram;
    nh_config config;
    size_t scan_count;
    size_t stored_count;
    size_t cell_count;
    uint32_t classic;
    uint64_t *base;
    extatus_datapoint *points;
    int rc;

    (void)ctx;
    *ref = NULL;
    pthread_once(&nh_tables_once, nh_tables_build);
    rc = nh_parse_options(options, option_count, &config);
    if (rc != EXTATUS_OK)
        return rc;
    stored_count = extatus__bounds_store(upper, config.bounds, config.bound_count, &scan_count);
    classic = (uint32_t)config.bound_count + 1;
    cell_count = extatus__composite_cell_count(classic + 1, true); /* + the zero bucket */

    /* One block: struct, classic bounds, baseline, then the datapoints and their names. */
    histogram = extatus__calloc(1, sizeof(*histogram) + stored_count * sizeof(double) +
                                       cell_count * sizeof(uint64_t) +
                                       extatus__datapoints_size(upper, classic));
    if (histogram == NULL)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "native_histogram: out of memory");
    histogram->schema = config.schema;
    histogram->max_buckets = config.max_buckets;
    histogram->zero_threshold = config.zero_threshold;
    histogram->bounds = memcpy(histogram + 1, upper, stored_count * sizeof(double));
    histogram->bound_count = (uint32_t)config.bound_count;
    histogram->scan_count = (uint32_t)scan_count;
    atomic_init(&histogram->current, NULL);
    base = (uint64_t *)(void *)((double *)(histogram + 1) + stored_count);
    points = extatus__datapoints_build(base + cell_count, histogram->bounds, classic,
                                       EXTATUS_SAMPLE_BUCKET);
    if (pthread_mutex_init(&histogram->window_lock, NULL) != 0) {
        extatus__free(histogram);
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "native_histogram: cannot create series");
    }
    rc = extatus__composite_init(&histogram->composite, "native_histogram", classic + 1, true, base,
                                 points, classic + EXTATUS__DATAPOINT_TOTALS);
    if (rc != EXTATUS_OK) {
        pthread_mutex_destroy(&histogram->window_lock);
        extatus__free(histogram);
        return rc;
    }
    *ref = histogram;
    return EXTATUS_OK;
}

static void nh_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_native_histogram *histogram = ref;
    uint32_t w;

    (void)ctx;
    if (histogram == NULL)
        return;
    for (w = 0; w < histogram->window_count; w++) {
        extatus__cells_free(histogram->windows[w]->cells, NH_CELLS);
        extatus__free(histogram->windows[w]);
    }
    pthread_mutex_destroy(&histogram->window_lock);
    extatus__composite_dispose(&histogram->composite);
    extatus__exemplars_free(&histogram->exemplars);
    extatus__free(histogram);
}

static int nh_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                        size_t count, extatus_value *values)
{
    extatus_native_histogram *histogram = ref;
    uint64_t counts[EXTATUS_HISTOGRAM_MAX_BUCKETS + 2];
    extatus__composite_values read = {.head = (size_t)histogram->bound_count + 1,
                                      .head_ints = counts};

    (void)ctx;
    extatus__composite_read_buckets(&histogram->composite, counts, histogram->bound_count + 1,
                                    &read);
    extatus__composite_answer(&histogram->composite, &read, datapoints, count, values);
    return EXTATUS_OK;
}

int extatus__native_histogram_read(extatus_native_histogram *histogram, extatus__native_read *out)
{
    uint64_t counts[EXTATUS_HISTOGRAM_MAX_BUCKETS + 2];
    extatus__composite_values read = {0};
    uint64_t in_buckets;
    uint32_t i;
    int rc;
    int sign;

    pthread_mutex_lock(&histogram->window_lock);
    rc = nh_gather(histogram, -1, 0, out);
    pthread_mutex_unlock(&histogram->window_lock);
    if (rc != EXTATUS_OK)
        return extatus__error(rc, "native_histogram: no memory to read the buckets");
    /* Read after the buckets, which an observation counts in last. */
    extatus__composite_read_buckets(&histogram->composite, counts, histogram->bound_count + 1,
                                    &read);
    out->zero_threshold = histogram->zero_threshold;
    out->zero_count = counts[histogram->bound_count + 1];
    out->sum = read.sum;
    out->created = read.created;
    /*
     * An observation racing the read may be in a bucket and not yet in
     * count; Prometheus refuses a count below the buckets' total.
     */
    in_buckets = out->zero_count;
    for (sign = 0; sign < 2; sign++)
        for (i = 0; i < out->length[sign]; i++)
            in_buckets += out->counts[sign][i];
    out->count = read.count > in_buckets ? read.count : in_buckets;
    return EXTATUS_OK;
}

static int nh_update(void *ref, const extatus_entry_ctx *ctx, double value)
{
    (void)ctx;
    extatus_native_histogram_observe(ref, value);
    return EXTATUS_OK;
}

/* Zero everything; the next observation starts again at the configured schema. */
static int nh_reset(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_native_histogram *histogram = ref;
    uint32_t w;
    uint32_t c;

    (void)ctx;
    pthread_mutex_lock(&histogram->window_lock);
    for (w = 0; w < histogram->window_count; w++) {
        nh_window *window = histogram->windows[w];
        for (c = 0; c < NH_CELLS; c++)
            window->base[c] = extatus__cell_sum(&window->cells[c]);
    }
    atomic_store_explicit(&histogram->current, NULL, memory_order_release);
    pthread_mutex_unlock(&histogram->window_lock);
    extatus__composite_reset(&histogram->composite);
    extatus__exemplars_clear(&histogram->exemplars);
    return EXTATUS_OK;
}

static int nh_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                             const extatus_datapoint **datapoints, size_t *count)
{
    (void)ctx;
    return extatus__composite_get_datapoints(&((const extatus_native_histogram *)ref)->composite,
                                             datapoints, count);
}

/* Every option is fixed for the life of a series; setopts accepts only what it has. */
static int nh_setopts(void *ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                      size_t option_count)
{
    const extatus_native_histogram *histogram = ref;
    static const char why[] =
        "the bucket layout of a series is fixed (create a new family instead)";
    nh_config config;
    int rc;

    (void)ctx;
    rc = nh_parse_options(options, option_count, &config);
    if (rc == EXTATUS_OK)
        rc = extatus__option_fixed(options, option_count, "schema",
                                   config.schema != histogram->schema, why);
    if (rc == EXTATUS_OK)
        rc = extatus__option_fixed(options, option_count, "max_buckets",
                                   config.max_buckets != histogram->max_buckets, why);
    if (rc == EXTATUS_OK)
        rc = extatus__option_fixed(options, option_count, "zero_threshold",
                                   config.zero_threshold != histogram->zero_threshold, why);
    if (rc == EXTATUS_OK)
        rc =
            extatus__option_fixed(options, option_count, "buckets",
                                  !extatus__doubles_same(config.bounds, config.bound_count,
                                                         histogram->bounds, histogram->bound_count),
                                  why);
    return rc;
}

/* Datapoints are the classic buckets first: a bucket's index is its exemplar slot. */
static int nh_get_exemplar(void *ref, const extatus_entry_ctx *ctx, size_t index,
                           extatus_exemplar_value *out)
{
    (void)ctx;
    return extatus__exemplars_get(&((extatus_native_histogram *)ref)->exemplars, index, out);
}

static const extatus_entry_ops native_histogram_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_ENTRY,
    .metric_type = EXTATUS_METRIC_HISTOGRAM,
    .create = nh_create,
    .destroy = nh_destroy,
    .get_value = nh_get_value,
    .update = nh_update,
    .reset = nh_reset,
    .sample = NULL,
    .get_datapoints = nh_get_datapoints,
    .setopts = nh_setopts,
    .get_exemplar = nh_get_exemplar,
};

int extatus__native_histogram_register(void)
{
    pthread_once(&nh_tables_once, nh_tables_build);
    return extatus_type_register("native_histogram", &native_histogram_ops, NULL);
}

/* ---- public API ------------------------------------------------------------------ */

/* NaN and infinities: the classic buckets (as the classic histogram), the sum's counters. */
static EXTATUS__NOINLINE void nh_observe_special(extatus_native_histogram *histogram, double value)
{
    uint32_t inf = histogram->bound_count;
    extatus__cell *cells = histogram->composite.cells;

    extatus__cell_add(&cells[value < 0 ? 0 : inf], 1); /* NaN < 0 is false */
    extatus__sum_add_nonfinite(&cells[inf + 2], value);
}

void extatus_native_histogram_observe(extatus_native_histogram *histogram, double value)
{
    extatus__cell *cells = histogram->composite.cells;
    uint32_t classic = histogram->bound_count + 1;
    double magnitude = fabs(value);
    const nh_window *window;
    int32_t key;
    int sign;

    if (EXTATUS__UNLIKELY(!isfinite(value))) {
        nh_observe_special(histogram, value);
        return;
    }
    extatus__cell_add(&cells[histogram->bound_count == 0
                                 ? 0
                                 : extatus__bucket_index(histogram->bounds, histogram->bound_count,
                                                         histogram->scan_count, value)],
                      1);
    extatus__cell_add_double(&cells[classic + 1 + EXTATUS__SUM_FINITE], value);
    if (magnitude <= histogram->zero_threshold) {
        extatus__cell_add(&cells[classic], 1);
        return;
    }
    sign = value < 0;
    key = nh_key_fine(magnitude);
    window = atomic_load_explicit(&histogram->current, memory_order_acquire);
    if (EXTATUS__LIKELY(window != NULL)) {
        int32_t offset = nh_key_at(key, window->schema) - window->low[sign];
        if (EXTATUS__LIKELY((uint32_t)offset < (uint32_t)NH_SPAN)) {
            extatus__cell_add(&window->cells[sign * NH_SPAN + offset], 1);
            return;
        }
    }
    nh_observe_outside(histogram, sign, key);
}

int extatus_native_histogram_observe_exemplar(extatus_native_histogram *histogram, double value,
                                              const extatus_exemplar *exemplar)
{
    extatus_native_histogram_observe(histogram, value); /* counted whatever the exemplar */
    return extatus__exemplar_keep(
        &histogram->exemplars, histogram->bound_count + 1,
        extatus__bucket_of(histogram->bounds, histogram->bound_count, histogram->scan_count, value),
        value, exemplar);
}

int extatus_native_histogram_new(extatus_native_histogram **out, extatus_registry *registry,
                                 const char *name, const char *help, int schema)
{
    extatus_option option = EXTATUS_OPT_NUMBER("schema", (double)schema);

    return extatus__new_unlabelled((void **)out, registry, name, "native_histogram", help, &option,
                                   1);
}

int extatus_native_histogram_get(extatus_native_histogram **out, extatus_family *family,
                                 extatus_labels labels)
{
    return extatus__typed_get((void **)out, family, labels, nh_create, "native_histogram");
}
