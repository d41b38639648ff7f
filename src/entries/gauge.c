/*
 * gauge.c - the built-in "gauge" entry and its typed hot path.
 *
 * One atomic double: set is a store, add is a compare-and-swap loop. Not
 * sharded: a set must replace every thread's view at once.
 */
#include "entries/common.h"

struct extatus_gauge {
    _Atomic double value;     /* current value */
    _Atomic int64_t reset_ns; /* CLOCK_REALTIME of creation or last reset */
};

static const extatus_datapoint gauge_datapoints[] = {
    {.name = "value", .role = EXTATUS_SAMPLE_VALUE, .bound = 0.0},
    {.name = "ms_since_reset", .role = EXTATUS_SAMPLE_NONE, .bound = 0.0},
};
#define GAUGE_DATAPOINTS (sizeof(gauge_datapoints) / sizeof(gauge_datapoints[0]))

static int gauge_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                        size_t option_count)
{
    int rc = extatus__entry_no_options(ctx, options, option_count);
    if (rc != EXTATUS_OK)
        return rc;
    extatus_gauge *gauge = extatus__calloc(1, sizeof(*gauge));
    if (!gauge)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", ctx->name);
    atomic_init(&gauge->value, 0.0);
    atomic_init(&gauge->reset_ns, extatus__now_realtime_ns());
    *ref = gauge;
    return EXTATUS_OK;
}

static void gauge_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    (void)ctx;
    extatus__free(ref);
}

static int gauge_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                           size_t count, extatus_value *values)
{
    const extatus_gauge *gauge = ref;
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        size_t index = extatus__datapoint_wanted(gauge_datapoints, GAUGE_DATAPOINTS, datapoints, i);
        if (index == 0)
            values[i] = extatus__double_value(extatus_gauge_value(gauge));
        else if (index == 1)
            values[i] = extatus__int_value(extatus__ms_since(atomic_load(&gauge->reset_ns)));
        else
            values[i] = extatus__undefined_value();
    }
    return EXTATUS_OK;
}

static int gauge_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = gauge_datapoints;
    *count = GAUGE_DATAPOINTS;
    return EXTATUS_OK;
}

/* exometer's gauge: an update sets the value. */
static int gauge_update(void *ref, const extatus_entry_ctx *ctx, double value)
{
    (void)ctx;
    extatus_gauge_set(ref, value);
    return EXTATUS_OK;
}

static int gauge_reset(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_gauge *gauge = ref;
    (void)ctx;
    atomic_store(&gauge->value, 0.0);
    atomic_store(&gauge->reset_ns, extatus__now_realtime_ns());
    return EXTATUS_OK;
}

static const extatus_entry_ops gauge_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_ENTRY,
    .metric_type = EXTATUS_METRIC_GAUGE,
    .create = gauge_create,
    .destroy = gauge_destroy,
    .get_value = gauge_get_value,
    .update = gauge_update,
    .reset = gauge_reset,
    .sample = NULL,
    .get_datapoints = gauge_get_datapoints,
    .setopts = NULL,
};

int extatus__gauge_register(void);
int extatus__gauge_register(void)
{
    return extatus_type_register("gauge", &gauge_ops, NULL);
}

/* ---- typed API ----------------------------------------------------------- */

int extatus_gauge_new(extatus_gauge **out, extatus_registry *registry, const char *name,
                      const char *help)
{
    return extatus__new_unlabelled((void **)out, registry, name, "gauge", help, NULL, 0);
}

int extatus_gauge_get(extatus_gauge **out, extatus_family *family, extatus_labels labels)
{
    return extatus__typed_get((void **)out, family, labels, gauge_create, "gauge");
}

void extatus_gauge_set(extatus_gauge *gauge, double value)
{
    atomic_store_explicit(&gauge->value, value, memory_order_relaxed);
}

void extatus_gauge_add(extatus_gauge *gauge, double amount)
{
    double old = atomic_load_explicit(&gauge->value, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&gauge->value, &old, old + amount,
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

void extatus_gauge_sub(extatus_gauge *gauge, double amount)
{
    extatus_gauge_add(gauge, -amount);
}

void extatus_gauge_inc(extatus_gauge *gauge)
{
    extatus_gauge_add(gauge, 1.0);
}

void extatus_gauge_dec(extatus_gauge *gauge)
{
    extatus_gauge_add(gauge, -1.0);
}

void extatus_gauge_set_to_current_time(extatus_gauge *gauge)
{
    extatus_gauge_set(gauge, (double)extatus__now_realtime_ns() / 1e9);
}

double extatus_gauge_value(const extatus_gauge *gauge)
{
    return atomic_load_explicit((_Atomic double *)(uintptr_t)&gauge->value, memory_order_relaxed);
}
