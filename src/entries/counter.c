/*
 * counter.c - the built-in "counter" entry and its typed hot path.
 *
 * State: one sharded cell for the integer total, so integer increments are
 * plain stores on the thread's own shard, and one atomic double for
 * fractional increments (rare; a compare-and-swap, not worth 8 bytes per
 * shard per series). Reset never writes the cells (other threads own
 * them): it records the integer sum as a baseline that reads subtract,
 * and clears the fractional total.
 *
 * Never backwards, past 2^64: the integer total is the 128-bit
 * `carries * 2^63 + sum of the shards`. An add that would take a shard's
 * cell to 2^63 or more takes a slow path that moves 2^63 (or 2, or 3
 * times it) from the cell into `carries`, so after any add a cell is below
 * 2^63. An increment by 1 needs no check: from below 2^63 a cell would
 * need 2^63 increments, centuries of them, to wrap, so extatus_counter_inc
 * is the plain add it always was and extatus_counter_add pays one test.
 * Carries and resets are recorded under a process-wide mutex inside a
 * sequence count (odd while one is being recorded); a read retries when
 * the count was odd or moved, so it never sees a cell that lost 2^63
 * without its carry. Between them the cells only grow, so reads need no
 * lock.
 */
#include "entries/entries.h"

#include <math.h>
#include <sched.h>

struct extatus_counter {
    extatus__cell *cells;                /* [0] integer total (sharded, each shard mod 2^64) */
    _Atomic double floats;               /* fractional increments since the last reset */
    _Atomic uint64_t carries;            /* units of 2^63 moved out of the cells since creation */
    _Atomic uint64_t base_low;           /* integer total at the last reset: low 64 bits */
    _Atomic uint64_t base_high;          /* and high 64 bits */
    _Atomic uint32_t sequence;           /* odd while a carry or reset is being recorded */
    _Atomic int64_t reset_ns;            /* CLOCK_REALTIME of creation or last reset */
    extatus__exemplars_holder exemplars; /* the value's exemplar, from the first one */
};

/* Orders the writers of carries and resets (rare: one per 2^64 or per reset call). */
static pthread_mutex_t carry_lock = PTHREAD_MUTEX_INITIALIZER;

/* A 128-bit unsigned integer total. */
typedef struct wide {
    uint64_t high;
    uint64_t low;
} wide;

/* The integer total since creation: carries * 2^63 + the sum of the shards. */
static wide integer_total(const extatus_counter *counter)
{
    uint64_t carries = atomic_load_explicit((_Atomic uint64_t *)(uintptr_t)&counter->carries,
                                            memory_order_acquire);
    wide total = {carries >> 1, carries << 63};
    const extatus__cell *cell = &counter->cells[0];
    for (size_t s = 0; s < extatus__shard_count; s++) {
        uint64_t part = atomic_load_explicit(
            (extatus__cell *)(uintptr_t)(cell + s * EXTATUS__CELL_CHUNK), memory_order_acquire);
        total.low += part;
        total.high += total.low < part;
    }
    return total;
}

/* The integer total since the last reset, consistent with carries and resets. */
static wide integer_since_reset(const extatus_counter *counter)
{
    _Atomic uint32_t *sequence = (_Atomic uint32_t *)(uintptr_t)&counter->sequence;
    for (;;) {
        uint32_t before = atomic_load_explicit(sequence, memory_order_acquire);
        if (before & 1u) {
            sched_yield(); /* a carry or reset is being recorded: a few instructions */
            continue;
        }
        wide total = integer_total(counter);
        wide base = {atomic_load_explicit((_Atomic uint64_t *)(uintptr_t)&counter->base_high,
                                          memory_order_acquire),
                     atomic_load_explicit((_Atomic uint64_t *)(uintptr_t)&counter->base_low,
                                          memory_order_acquire)};
        /* The acquire loads above keep this load after them. */
        if (atomic_load_explicit(sequence, memory_order_relaxed) != before)
            continue;
        wide since = {total.high - base.high - (total.low < base.low), total.low - base.low};
        return since;
    }
}

/* The nearest double to a 128-bit integer (one rounding, to nearest even). */
static double wide_to_double(wide value)
{
    if (value.high == 0)
        return (double)value.low;
    int shift = 64 - __builtin_clzll(value.high); /* bits of high: 1..64 */
    uint64_t top = shift == 64 ? value.high : (value.high << (64 - shift)) | (value.low >> shift);
    uint64_t lost = shift == 64 ? value.low : value.low & ((UINT64_C(1) << shift) - 1);
    /* top has its highest bit set, so bit 0 lies far below the rounding point: a sticky bit. */
    return ldexp((double)(top | (lost != 0)), shift);
}

/*
 * Begin and end recording a carry or reset; call with carry_lock held.
 * What is recorded in between is stored with release order, so a reader
 * (acquire loads) that sees it also sees the odd count.
 */
static void record_begin(extatus_counter *counter)
{
    uint32_t sequence = atomic_load_explicit(&counter->sequence, memory_order_relaxed);
    atomic_store_explicit(&counter->sequence, sequence + 1, memory_order_relaxed);
}

static void record_end(extatus_counter *counter)
{
    uint32_t sequence = atomic_load_explicit(&counter->sequence, memory_order_relaxed);
    atomic_store_explicit(&counter->sequence, sequence + 1, memory_order_release);
}

#define TWO_POW_63 (UINT64_C(1) << 63)

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline, cold))
#endif
/* Add `amount` to this thread's cell and move whole 2^63s from it into the carries. */
static void
counter_add_carrying(extatus_counter *counter, extatus__cell *mine, uint64_t amount)
{
    pthread_mutex_lock(&carry_lock);
    record_begin(counter);
    /* Other threads may share this cell (shared shards): a CAS from what is there now. */
    uint64_t old = atomic_load_explicit(mine, memory_order_relaxed);
    uint64_t moved;
    uint64_t kept;
    do {
        uint64_t low;
        uint64_t high = __builtin_add_overflow(old, amount, &low); /* old + amount < 2^65 */
        moved = (high << 1) | (low >> 63);                         /* whole 2^63s */
        kept = low & (TWO_POW_63 - 1);
    } while (!atomic_compare_exchange_weak_explicit(mine, &old, kept, memory_order_release,
                                                    memory_order_relaxed));
    atomic_fetch_add_explicit(&counter->carries, moved, memory_order_release);
    record_end(counter);
    pthread_mutex_unlock(&carry_lock);
}

/* Add to this thread's shard; a cell that would reach 2^63 takes the slow path. */
static inline void counter_add(extatus_counter *counter, uint64_t amount)
{
    uintptr_t word = extatus__shard_word();
    extatus__cell *mine = counter->cells + (word >> 2);
    uint64_t old = atomic_load_explicit(mine, memory_order_relaxed);
    if (EXTATUS__LIKELY(word & 1u)) { /* this thread's own shard: plain load and store */
        uint64_t sum = old + amount;
        if (EXTATUS__UNLIKELY((int64_t)(old | amount | sum) < 0))
            counter_add_carrying(counter, mine, amount);
        else
            atomic_store_explicit(mine, sum, memory_order_relaxed);
        return;
    }
    /* A shared shard: never store 2^63 or more outside the slow path. */
    do {
        if (EXTATUS__UNLIKELY((int64_t)(old | amount | (old + amount)) < 0)) {
            counter_add_carrying(counter, mine, amount);
            return;
        }
    } while (!atomic_compare_exchange_weak_explicit(mine, &old, old + amount, memory_order_relaxed,
                                                    memory_order_relaxed));
}

#define COUNTER_CELLS 1

static const extatus_datapoint counter_datapoints[] = {
    {.name = "value", .role = EXTATUS_SAMPLE_VALUE, .bound = 0.0},
    {.name = "ms_since_reset", .role = EXTATUS_SAMPLE_NONE, .bound = 0.0},
    {.name = "created", .role = EXTATUS_SAMPLE_CREATED, .bound = 0.0},
};
#define COUNTER_DATAPOINTS (sizeof(counter_datapoints) / sizeof(counter_datapoints[0]))

static int counter_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                          size_t option_count)
{
    int rc = extatus__entry_no_options(ctx, options, option_count);
    if (rc != EXTATUS_OK)
        return rc;
    extatus_counter *counter = extatus__calloc(1, sizeof(*counter));
    if (!counter)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", ctx->name);
    if ((rc = extatus__cells_alloc(COUNTER_CELLS, &counter->cells)) != EXTATUS_OK) {
        extatus__free(counter);
        return rc;
    }
    atomic_init(&counter->reset_ns, extatus__now_realtime_ns());
    *ref = counter;
    return EXTATUS_OK;
}

static void counter_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_counter *counter = ref;
    (void)ctx;
    extatus__cells_free(counter->cells, COUNTER_CELLS);
    extatus__exemplars_free(&counter->exemplars);
    extatus__free(counter);
}

/* The total since the last reset; *integral tells whether no float was added. */
static double counter_total(const extatus_counter *counter, wide *integer, bool *integral)
{
    wide ints = integer_since_reset(counter);
    double floats =
        atomic_load_explicit((_Atomic double *)(uintptr_t)&counter->floats, memory_order_relaxed);
    *integer = ints;
    *integral = floats == 0;
    return wide_to_double(ints) + floats;
}

static extatus_value counter_datapoint(const extatus_counter *counter, size_t index)
{
    switch (index) {
    case 0: {
        wide integer;
        bool integral;
        double total = counter_total(counter, &integer, &integral);
        if (integral && integer.high == 0 && integer.low <= (uint64_t)INT64_MAX)
            return extatus__int_value((int64_t)integer.low);
        return extatus__double_value(total);
    }
    case 1:
        return extatus__int_value(extatus__ms_since(atomic_load(&counter->reset_ns)));
    default:
        return extatus__double_value((double)atomic_load(&counter->reset_ns) / 1e9);
    }
}

static int counter_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                             size_t count, extatus_value *values)
{
    const extatus_counter *counter = ref;
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        size_t index =
            extatus__datapoint_wanted(counter_datapoints, COUNTER_DATAPOINTS, datapoints, i);
        values[i] = index < COUNTER_DATAPOINTS ? counter_datapoint(counter, index)
                                               : extatus__undefined_value();
    }
    return EXTATUS_OK;
}

static int counter_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                  const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = counter_datapoints;
    *count = COUNTER_DATAPOINTS;
    return EXTATUS_OK;
}

static int counter_update(void *ref, const extatus_entry_ctx *ctx, double value)
{
    int rc = extatus_counter_add_float(ref, value);
    if (rc != EXTATUS_OK)
        return extatus_entry_error(rc, "metric '%s': a counter cannot go down (increment %g)",
                                   ctx->name, value);
    return EXTATUS_OK;
}

static int counter_reset(void *ref, const extatus_entry_ctx *ctx)
{
    (void)ctx;
    extatus_counter_reset(ref);
    return EXTATUS_OK;
}

/* The exemplar of the value (datapoint 0, "value"), the only one a counter keeps. */
static int counter_get_exemplar(void *ref, const extatus_entry_ctx *ctx, size_t index,
                                extatus_exemplar_value *out)
{
    (void)ctx;
    return index == 0 ? extatus__exemplars_get(&((extatus_counter *)ref)->exemplars, 0, out) : 0;
}

static const extatus_entry_ops counter_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_ENTRY,
    .metric_type = EXTATUS_METRIC_COUNTER,
    .create = counter_create,
    .destroy = counter_destroy,
    .get_value = counter_get_value,
    .update = counter_update,
    .reset = counter_reset,
    .sample = NULL,
    .get_datapoints = counter_get_datapoints,
    .setopts = NULL,
    .get_exemplar = counter_get_exemplar,
};

int extatus__counter_register(void);
int extatus__counter_register(void)
{
    return extatus_type_register("counter", &counter_ops, NULL);
}

/* ---- typed API ----------------------------------------------------------- */

int extatus_counter_new(extatus_counter **out, extatus_registry *registry, const char *name,
                        const char *help)
{
    return extatus__new_unlabelled((void **)out, registry, name, "counter", help, NULL, 0);
}

int extatus_counter_get(extatus_counter **out, extatus_family *family, extatus_labels labels)
{
    return extatus__typed_get((void **)out, family, labels, counter_create, "counter");
}

void extatus_counter_inc(extatus_counter *counter)
{
    /* No carry check: a cell is below 2^63 after every add (see the top). */
    extatus__cell_add(&counter->cells[0], 1);
}

void extatus_counter_add(extatus_counter *counter, uint64_t amount)
{
    counter_add(counter, amount);
}

int extatus_counter_add_float(extatus_counter *counter, double amount)
{
    if (!(amount >= 0))
        return extatus__error(EXTATUS_ERR_RANGE,
                              "a counter increment must be >= 0 and not NaN, got %g", amount);
    /* Whole amounts stay on the exact integer path. */
    if (amount < 9007199254740992.0 && amount == floor(amount))
        counter_add(counter, (uint64_t)amount);
    else {
        double old = atomic_load_explicit(&counter->floats, memory_order_relaxed);
        while (!atomic_compare_exchange_weak_explicit(&counter->floats, &old, old + amount,
                                                      memory_order_relaxed, memory_order_relaxed)) {
        }
    }
    return EXTATUS_OK;
}

double extatus_counter_value(const extatus_counter *counter)
{
    wide integer;
    bool integral;
    return counter_total(counter, &integer, &integral);
}

int extatus_counter_add_exemplar(extatus_counter *counter, uint64_t amount,
                                 const extatus_exemplar *exemplar)
{
    counter_add(counter, amount); /* counted whatever the exemplar */
    return extatus__exemplar_keep(&counter->exemplars, 1, 0, (double)amount, exemplar);
}

void extatus_counter_reset(extatus_counter *counter)
{
    pthread_mutex_lock(&carry_lock);
    record_begin(counter);
    wide total = integer_total(counter); /* carries cannot move: we hold carry_lock */
    atomic_store_explicit(&counter->base_high, total.high, memory_order_release);
    atomic_store_explicit(&counter->base_low, total.low, memory_order_release);
    record_end(counter);
    pthread_mutex_unlock(&carry_lock);
    /* Not sharded, so it can simply be cleared (an infinite total could not be subtracted). */
    atomic_store(&counter->floats, 0.0);
    atomic_store(&counter->reset_ns, extatus__now_realtime_ns());
    extatus__exemplars_clear(&counter->exemplars);
}
