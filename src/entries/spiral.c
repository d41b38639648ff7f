/*
 * spiral.c - exometer's spiral ("spiral") as an entry: a lifetime total
 * ("count", exposed as a counter) and the sum over a sliding time window
 * ("one", read through get_value and reporters), as in exometer.
 *
 * The total is a sharded cell. The window is "slots" words; each word
 * packs the epoch it holds (low 24 bits of now / slot_ns) with that
 * epoch's sum (40 bits, saturating), so moving a slot to a new epoch and
 * adding to it is one compare-and-swap: no observation is ever lost to a
 * rotation. A read adds the words whose tag matches one of the last
 * `slots` epochs; stale words simply do not match and are never written by
 * readers.
 */
#include <math.h>
#include <string.h>

#include "entries/entries.h"

#define SPIRAL_COUNT_BITS 40u
#define SPIRAL_COUNT_MASK ((UINT64_C(1) << SPIRAL_COUNT_BITS) - 1)
#define SPIRAL_TAG_MASK   ((UINT64_C(1) << (64u - SPIRAL_COUNT_BITS)) - 1)
#define SPIRAL_TAG_HALF   (UINT64_C(1) << (63u - SPIRAL_COUNT_BITS))

/* Limits on the options. */
#define SPIRAL_MAX_SLOTS     3600u
#define SPIRAL_MIN_SLOT_NS   1000000.0 /* 1 ms */
#define SPIRAL_MAX_TIME_SPAN 1e10      /* ms (about 115 days) */

struct extatus_spiral {
    _Atomic uint64_t *slots;      /* slot_count packed words: tag << 40 | sum */
    uint64_t slot_ns;             /* length of one slot */
    uint32_t slot_count;          /* slots in the window */
    double time_span;             /* window length in ms, as given */
    extatus__composite composite; /* one counting cell (the lifetime total), no sum */
    uint64_t base[1];             /* the composite's baseline */
};

/*
 * Same for every spiral, named as in exometer: "count" is the lifetime
 * total (exposed), "one" the window sum (not exposed: Prometheus has
 * increase()).
 */
static const extatus_datapoint spiral_datapoints[] = {
    {.name = "count", .role = EXTATUS_SAMPLE_VALUE, .bound = 0.0},
    {.name = "one", .role = EXTATUS_SAMPLE_NONE, .bound = 0.0},
    {.name = "created", .role = EXTATUS_SAMPLE_CREATED, .bound = 0.0},
};
#define SPIRAL_DATAPOINTS (sizeof(spiral_datapoints) / sizeof(spiral_datapoints[0]))

/* ---- window ------------------------------------------------------------ */

static inline uint64_t spiral_epoch(const extatus_spiral *spiral)
{
    return (uint64_t)extatus__now_coarse_ns() / spiral->slot_ns;
}

static inline uint64_t spiral_saturating_add(uint64_t count, uint64_t amount)
{
    uint64_t room = SPIRAL_COUNT_MASK - count;
    return count + (amount > room ? room : amount);
}

static void spiral_window_add(extatus_spiral *spiral, uint64_t amount)
{
    uint64_t epoch = spiral_epoch(spiral);
    uint64_t tag = epoch & SPIRAL_TAG_MASK;
    _Atomic uint64_t *slot = &spiral->slots[epoch % spiral->slot_count];
    uint64_t word = atomic_load_explicit(slot, memory_order_relaxed);
    uint64_t next;

    do {
        uint64_t held = word >> SPIRAL_COUNT_BITS;
        uint64_t count = word & SPIRAL_COUNT_MASK;
        uint64_t ahead = (held - tag) & SPIRAL_TAG_MASK;
        if (ahead == 0 || (count != 0 && ahead < SPIRAL_TAG_HALF)) {
            /* Our epoch, or a newer one (we were delayed): add to it. */
            next = (held << SPIRAL_COUNT_BITS) | spiral_saturating_add(count, amount);
        } else {
            /* Empty or older: the slot starts our epoch. */
            next = (tag << SPIRAL_COUNT_BITS) | spiral_saturating_add(0, amount);
        }
    } while (!atomic_compare_exchange_weak_explicit(slot, &word, next, memory_order_relaxed,
                                                    memory_order_relaxed));
}

static uint64_t spiral_window_sum(const extatus_spiral *spiral)
{
    uint64_t now = spiral_epoch(spiral);
    uint64_t sum = 0;
    uint32_t j;

    for (j = 0; j < spiral->slot_count && j <= now; j++) {
        uint64_t epoch = now - j;
        uint64_t word =
            atomic_load_explicit(&spiral->slots[epoch % spiral->slot_count], memory_order_relaxed);
        if ((word >> SPIRAL_COUNT_BITS) == (epoch & SPIRAL_TAG_MASK))
            sum += word & SPIRAL_COUNT_MASK;
    }
    return sum;
}

/* ---- options ------------------------------------------------------------ */

typedef struct spiral_config {
    double time_span; /* ms */
    uint32_t slots;   /* slots in the window */
} spiral_config;

static int parse_options(const extatus_option *options, size_t option_count, spiral_config *config)
{
    double slots = 60;
    size_t i;

    config->time_span = 60000;
    for (i = 0; i < option_count; i++) {
        const extatus_option *option = &options[i];
        if (option->key == NULL)
            return extatus_entry_error(EXTATUS_ERR_OPTION, "spiral: option %zu has no key", i);
        if (extatus__option_is_common(option->key))
            continue;
        if (strcmp(option->key, "time_span") == 0) {
            if (option->kind != EXTATUS_OPTION_NUMBER)
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "option 'time_span' must be a number (ms)");
            config->time_span = option->number;
            if (!(config->time_span > 0 && config->time_span <= SPIRAL_MAX_TIME_SPAN))
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "option 'time_span' must be > 0 and <= %g ms, got %g",
                                           SPIRAL_MAX_TIME_SPAN, config->time_span);
        } else if (strcmp(option->key, "slots") == 0) {
            if (option->kind != EXTATUS_OPTION_NUMBER)
                return extatus_entry_error(EXTATUS_ERR_OPTION, "option 'slots' must be a number");
            slots = option->number;
            if (!extatus__is_whole(slots, 1, SPIRAL_MAX_SLOTS))
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "option 'slots' must be an integer in [1, %u], got %g",
                                           SPIRAL_MAX_SLOTS, slots);
        } else {
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "spiral: unknown option '%s' (known: time_span, slots)",
                                       option->key);
        }
    }
    config->slots = (uint32_t)slots;
    if (config->time_span * 1e6 / slots < SPIRAL_MIN_SLOT_NS)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "options 'time_span' (%g ms) / 'slots' (%u) give slots shorter "
                                   "than 1 ms",
                                   config->time_span, config->slots);
    return EXTATUS_OK;
}

/* ---- entry callbacks ------------------------------------------------------ */

static int spiral_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                         size_t option_count)
{
    spiral_config config;
    extatus_spiral *spiral;
    int rc;

    (void)ctx;
    *ref = NULL;
    rc = parse_options(options, option_count, &config);
    if (rc != EXTATUS_OK)
        return rc;
    spiral = extatus__calloc(1, sizeof(*spiral) + config.slots * sizeof(uint64_t));
    if (spiral == NULL)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "spiral: out of memory");
    spiral->slots = (_Atomic uint64_t *)(spiral + 1);
    spiral->slot_count = config.slots;
    spiral->slot_ns = (uint64_t)(config.time_span * 1e6 / config.slots);
    spiral->time_span = config.time_span;
    rc = extatus__composite_init(&spiral->composite, "spiral", 1, false, spiral->base,
                                 spiral_datapoints, SPIRAL_DATAPOINTS);
    if (rc != EXTATUS_OK) {
        extatus__free(spiral);
        return rc;
    }
    *ref = spiral;
    return EXTATUS_OK;
}

static void spiral_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_spiral *spiral = ref;

    (void)ctx;
    if (spiral == NULL)
        return;
    extatus__composite_dispose(&spiral->composite);
    extatus__free(spiral);
}

static int spiral_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                            size_t count, extatus_value *values)
{
    extatus_spiral *spiral = ref;
    uint64_t total;
    uint64_t window;
    double created;
    size_t i;

    (void)ctx;
    extatus__composite_read(&spiral->composite, &total, NULL, &created);
    window = spiral_window_sum(spiral);
    for (i = 0; i < count; i++) {
        switch (extatus__datapoint_wanted(spiral_datapoints, SPIRAL_DATAPOINTS, datapoints, i)) {
        case 0:
            values[i] = extatus__int_value((int64_t)total);
            break;
        case 1:
            values[i] = extatus__int_value((int64_t)window);
            break;
        case 2:
            values[i] = extatus__double_value(created);
            break;
        default:
            values[i] = extatus__undefined_value();
            break;
        }
    }
    return EXTATUS_OK;
}

static int spiral_update(void *ref, const extatus_entry_ctx *ctx, double value)
{
    (void)ctx;
    /* 2^64 is the first double past the uint64_t range. */
    if (!(value >= 0 && value < 18446744073709551616.0) || value != floor(value))
        return extatus_entry_error(EXTATUS_ERR_RANGE,
                                   "spiral '%s': update must be a non-negative integer, got %g",
                                   ctx != NULL && ctx->name != NULL ? ctx->name : "?", value);
    extatus_spiral_add(ref, (uint64_t)value);
    return EXTATUS_OK;
}

static int spiral_reset(void *ref, const extatus_entry_ctx *ctx)
{
    extatus_spiral *spiral = ref;
    uint32_t i;

    (void)ctx;
    extatus__composite_reset(&spiral->composite);
    /* A zero word adds nothing whatever its tag; adders racing this may survive or not. */
    for (i = 0; i < spiral->slot_count; i++)
        atomic_store_explicit(&spiral->slots[i], 0, memory_order_relaxed);
    return EXTATUS_OK;
}

static int spiral_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                 const extatus_datapoint **datapoints, size_t *count)
{
    (void)ctx;
    return extatus__composite_get_datapoints(&((const extatus_spiral *)ref)->composite, datapoints,
                                             count);
}

/* The slots are laid out by both options: accept only the values the series has. */
static int spiral_setopts(void *ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                          size_t option_count)
{
    const extatus_spiral *spiral = ref;
    spiral_config config;
    int rc;

    (void)ctx;
    memset(&config, 0, sizeof(config));
    rc = parse_options(options, option_count, &config);
    if (rc != EXTATUS_OK)
        return rc;
    rc = extatus__option_fixed(options, option_count, "time_span",
                               config.time_span != spiral->time_span,
                               "the window's slots are laid out by it");
    if (rc == EXTATUS_OK)
        rc = extatus__option_fixed(options, option_count, "slots",
                                   config.slots != spiral->slot_count,
                                   "the window's slots are allocated by it");
    return rc;
}

static const extatus_entry_ops spiral_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_ENTRY,
    .metric_type = EXTATUS_METRIC_COUNTER,
    .create = spiral_create,
    .destroy = spiral_destroy,
    .get_value = spiral_get_value,
    .update = spiral_update,
    .reset = spiral_reset,
    .sample = NULL,
    .get_datapoints = spiral_get_datapoints,
    .setopts = spiral_setopts,
};

int extatus__spiral_register(void)
{
    return extatus_type_register("spiral", &spiral_ops, NULL);
}

/* ---- public API ------------------------------------------------------------ */

void extatus_spiral_add(extatus_spiral *spiral, uint64_t amount)
{
    if (amount == 0)
        return;
    extatus__cell_add(spiral->composite.cells, amount);
    spiral_window_add(spiral, amount);
}

int extatus_spiral_new(extatus_spiral **out, extatus_registry *registry, const char *name,
                       const char *help)
{
    return extatus__new_unlabelled((void **)out, registry, name, "spiral", help, NULL, 0);
}

int extatus_spiral_get(extatus_spiral **out, extatus_family *family, extatus_labels labels)
{
    return extatus__typed_get((void **)out, family, labels, spiral_create, "spiral");
}
