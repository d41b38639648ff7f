/*
 * counter.c - the built-in "counter" entry and its typed hot path.
 *
 * State: one sharded cell for the integer total, so integer increments are
 * plain stores on the thread's own shard, and one atomic double for
 * fractional increments (rare; a compare-and-swap, not worth 8 bytes per
 * shard per series). Reset never writes the cells (other threads own
 * them): it records the integer sum as a baseline that reads subtract,
 * and clears the fractional total.
 */
#include "entries/common.h"

#include <math.h>

struct extatus_counter {
    extatus__cell *cells;          /* [0] integer total (sharded) */
    _Atomic double floats;         /* fractional increments since the last reset */
    _Atomic uint64_t int_baseline; /* integer total at the last reset */
    _Atomic int64_t reset_ns;      /* CLOCK_REALTIME of creation or last reset */
};

#define COUNTER_CELLS 1

static const extatus_datapoint counter_datapoints[] = {
    {"value", EXTATUS_SAMPLE_VALUE, 0},
    {"ms_since_reset", EXTATUS_SAMPLE_NONE, 0},
    {"created", EXTATUS_SAMPLE_CREATED, 0},
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
    extatus__free(counter);
}

/* The total since the last reset; *integral tells whether no float was added. */
static double counter_total(const extatus_counter *counter, uint64_t *integer, bool *integral)
{
    uint64_t ints = extatus__cell_sum(&counter->cells[0]) -
                    atomic_load_explicit(&counter->int_baseline, memory_order_relaxed);
    double floats =
        atomic_load_explicit((_Atomic double *)(uintptr_t)&counter->floats, memory_order_relaxed);
    *integer = ints;
    *integral = floats == 0;
    return (double)ints + floats;
}

static extatus_value counter_datapoint(const extatus_counter *counter, size_t index)
{
    switch (index) {
    case 0: {
        uint64_t integer;
        bool integral;
        double total = counter_total(counter, &integer, &integral);
        if (integral && integer <= (uint64_t)INT64_MAX)
            return extatus__int_value((int64_t)integer);
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
        int index = datapoints ? extatus__datapoint_index(counter_datapoints, COUNTER_DATAPOINTS,
                                                          datapoints[i])
                               : (i < COUNTER_DATAPOINTS ? (int)i : -1);
        values[i] = index < 0 ? (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0}
                              : counter_datapoint(counter, (size_t)index);
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
    extatus__cell_add(&counter->cells[0], 1);
}

void extatus_counter_add(extatus_counter *counter, uint64_t amount)
{
    extatus__cell_add(&counter->cells[0], amount);
}

int extatus_counter_add_float(extatus_counter *counter, double amount)
{
    if (!(amount >= 0))
        return extatus__error(EXTATUS_ERR_RANGE,
                              "a counter increment must be >= 0 and not NaN, got %g", amount);
    /* Whole amounts stay on the exact integer path. */
    if (amount < 9007199254740992.0 && amount == floor(amount))
        extatus__cell_add(&counter->cells[0], (uint64_t)amount);
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
    uint64_t integer;
    bool integral;
    return counter_total(counter, &integer, &integral);
}

void extatus_counter_reset(extatus_counter *counter)
{
    atomic_store(&counter->int_baseline, extatus__cell_sum(&counter->cells[0]));
    /* Not sharded, so it can simply be cleared (an infinite total could not be subtracted). */
    atomic_store(&counter->floats, 0.0);
    atomic_store(&counter->reset_ns, extatus__now_realtime_ns());
}
