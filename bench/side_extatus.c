/*
 * side_extatus.c - the extatus side of each case, through the public API
 * only, as a program linking the static library would use it.
 */
#include <stdlib.h>

#include <extatus.h>

#include "bench.h"

/* Exit with the library's message when a set-up call fails. */
static void check(int rc, const char *what)
{
    if (rc != EXTATUS_OK)
        bench_fail(what, extatus_error_last());
}

static extatus_registry *registry_new(const char *name)
{
    extatus_registry *registry = NULL;
    check(extatus_registry_new(&registry, name, NULL), "extatus_registry_new");
    return registry;
}

/* One datapoint ("count", "value") of the unlabelled family `name`. */
static uint64_t read_datapoint(extatus_registry *registry, const char *name, const char *datapoint)
{
    const char *const names[] = {datapoint};
    extatus_value value;
    check(extatus_get_value(registry, name, EXTATUS_NO_LABELS, names, 1, &value),
          "extatus_get_value");
    return (uint64_t)extatus_value_to_double(&value);
}

/* ---- counter_inc, counter_inc_2threads ------------------------------- */

typedef struct counter_state {
    extatus_registry *registry;
    extatus_counter *counter;
} counter_state;

static void *counter_setup(void)
{
    counter_state *state = calloc(1, sizeof(*state));
    if (state == NULL)
        bench_fail("calloc", "out of memory");
    state->registry = registry_new("bench_counter");
    check(extatus_counter_new(&state->counter, state->registry, "bench_ops", "Operations."),
          "extatus_counter_new");
    return state;
}

static uint64_t counter_run(void *opaque, uint64_t n, unsigned thread)
{
    extatus_counter *counter = ((counter_state *)opaque)->counter;
    uint64_t i;
    (void)thread;
    for (i = 0; i < n; i++)
        extatus_counter_inc(counter);
    return n;
}

static uint64_t counter_finish(void *opaque)
{
    counter_state *state = opaque;
    uint64_t value = (uint64_t)extatus_counter_value(state->counter);
    extatus_registry_free(state->registry);
    free(state);
    return value;
}

/* ---- labeled_inc ------------------------------------------------------- */

typedef struct labeled_state {
    extatus_registry *registry;
    extatus_family *family;
    unsigned next[2]; /* per thread: next series index */
} labeled_state;

static void labeled_values(unsigned index, const char *values[2])
{
    values[0] = bench_method[index / 10];
    values[1] = bench_code[index % 10];
}

static void *labeled_setup(void)
{
    static const char *const labels[] = {"method", "code"};
    const extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Requests."),
        EXTATUS_OPT_STRINGS("labels", labels, 2),
    };
    labeled_state *state = calloc(1, sizeof(*state));
    unsigned i;
    if (state == NULL)
        bench_fail("calloc", "out of memory");
    state->registry = registry_new("bench_labeled");
    check(extatus_family_new(&state->family, state->registry, "bench_requests", "counter", options,
                             2),
          "extatus_family_new");
    for (i = 0; i < BENCH_LABELED_SERIES; i++) {
        const char *values[2];
        extatus_counter *counter;
        labeled_values(i, values);
        check(extatus_counter_get(&counter, state->family, extatus_labels_of(values, 2)),
              "extatus_counter_get");
    }
    return state;
}

static uint64_t labeled_run(void *opaque, uint64_t n, unsigned thread)
{
    labeled_state *state = opaque;
    extatus_family *family = state->family;
    unsigned j = state->next[thread];
    uint64_t i;
    for (i = 0; i < n; i++) {
        const char *values[2];
        extatus_counter *counter;
        labeled_values(j, values);
        if (extatus_counter_get(&counter, family, extatus_labels_of(values, 2)) == EXTATUS_OK)
            extatus_counter_inc(counter);
        j += 37; /* coprime with 100: visits every series, not in order */
        if (j >= BENCH_LABELED_SERIES)
            j -= BENCH_LABELED_SERIES;
    }
    state->next[thread] = j;
    return n;
}

static uint64_t labeled_finish(void *opaque)
{
    labeled_state *state = opaque;
    double total = 0;
    unsigned i;
    for (i = 0; i < BENCH_LABELED_SERIES; i++) {
        const char *values[2];
        extatus_counter *counter;
        labeled_values(i, values);
        check(extatus_counter_get(&counter, state->family, extatus_labels_of(values, 2)),
              "extatus_counter_get");
        total += extatus_counter_value(counter);
    }
    extatus_registry_free(state->registry);
    free(state);
    return (uint64_t)total;
}

/* ---- histogram_observe ------------------------------------------------- */

typedef struct observe_state {
    extatus_registry *registry;
    extatus_histogram *histogram;
    extatus_native_histogram *native_histogram;
    extatus_summary *summary;
} observe_state;

static void *histogram_setup(void)
{
    observe_state *state = calloc(1, sizeof(*state));
    if (state == NULL)
        bench_fail("calloc", "out of memory");
    state->registry = registry_new("bench_histogram");
    check(extatus_histogram_new(&state->histogram, state->registry, "bench_latency_seconds",
                                "Latency.", NULL, 0),
          "extatus_histogram_new");
    return state;
}

static uint64_t histogram_run(void *opaque, uint64_t n, unsigned thread)
{
    extatus_histogram *histogram = ((observe_state *)opaque)->histogram;
    uint64_t i;
    (void)thread;
    for (i = 0; i < n; i++)
        extatus_histogram_observe(histogram, bench_values[i % BENCH_VALUE_COUNT]);
    return n;
}

/* ---- native_histogram_observe -------------------------------------------- */

/* Schema 3 (the default resolution), no classic buckets: +Inf, count, sum. */
static void *native_histogram_setup(void)
{
    observe_state *state = calloc(1, sizeof(*state));
    if (state == NULL)
        bench_fail("calloc", "out of memory");
    state->registry = registry_new("bench_native_histogram");
    check(extatus_native_histogram_new(&state->native_histogram, state->registry,
                                       "bench_latency_seconds", "Latency.", 3),
          "extatus_native_histogram_new");
    return state;
}

static uint64_t native_histogram_run(void *opaque, uint64_t n, unsigned thread)
{
    extatus_native_histogram *histogram = ((observe_state *)opaque)->native_histogram;
    uint64_t i;
    (void)thread;
    for (i = 0; i < n; i++)
        extatus_native_histogram_observe(histogram, bench_values[i % BENCH_VALUE_COUNT]);
    return n;
}

/* ---- summary_observe --------------------------------------------------- */

static void *summary_setup(void)
{
    static const double quantiles[] = {0.5, 0.9, 0.99};
    observe_state *state = calloc(1, sizeof(*state));
    if (state == NULL)
        bench_fail("calloc", "out of memory");
    state->registry = registry_new("bench_summary");
    /* Default max_age (60 s) and age_buckets (5). */
    check(extatus_summary_new(&state->summary, state->registry, "bench_latency_seconds", "Latency.",
                              quantiles, 3),
          "extatus_summary_new");
    return state;
}

static uint64_t summary_run(void *opaque, uint64_t n, unsigned thread)
{
    extatus_summary *summary = ((observe_state *)opaque)->summary;
    uint64_t i;
    (void)thread;
    for (i = 0; i < n; i++)
        extatus_summary_observe(summary, bench_values[i % BENCH_VALUE_COUNT]);
    return n;
}

static uint64_t observe_finish(void *opaque)
{
    observe_state *state = opaque;
    uint64_t count = read_datapoint(state->registry, "bench_latency_seconds", "count");
    extatus_registry_free(state->registry);
    free(state);
    return count;
}

/* ---- expose_100k and bytes_per_series ---------------------------------- */

typedef struct big_state {
    extatus_registry *registry;
    extatus_family *family;
    uint64_t bytes; /* rendered so far */
} big_state;

static big_state *big_new(const char *registry_name)
{
    static const char *const labels[] = {"handler", "instance"};
    const extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Items handled."),
        EXTATUS_OPT_STRINGS("labels", labels, 2),
        EXTATUS_OPT_NUMBER("max_series", BENCH_BIG_SERIES),
    };
    big_state *state = calloc(1, sizeof(*state));
    if (state == NULL)
        bench_fail("calloc", "out of memory");
    state->registry = registry_new(registry_name);
    check(extatus_family_new(&state->family, state->registry, "bench_items", "counter", options, 3),
          "extatus_family_new");
    return state;
}

/* Create series [0, n) of the big family and add a varying amount to each. */
static void big_fill(big_state *state, uint64_t n)
{
    uint64_t i;
    for (i = 0; i < n; i++) {
        const char *values[2];
        extatus_counter *counter;
        values[0] = bench_big_a[i / BENCH_BIG_B];
        values[1] = bench_big_b[i % BENCH_BIG_B];
        check(extatus_counter_get(&counter, state->family, extatus_labels_of(values, 2)),
              "extatus_counter_get");
        extatus_counter_add(counter, i % 1000 + 1);
    }
}

static void *expose_setup(void)
{
    big_state *state = big_new("bench_expose");
    big_fill(state, BENCH_BIG_SERIES);
    return state;
}

static uint64_t expose_run(void *opaque, uint64_t n, unsigned thread)
{
    big_state *state = opaque;
    uint64_t bytes = 0;
    uint64_t i;
    (void)thread;
    for (i = 0; i < n; i++) {
        extatus_buf text = EXTATUS_BUF_INIT;
        check(extatus_expose(&text, &state->registry, 1, NULL), "extatus_expose");
        bytes += text.size;
        extatus_buf_dispose(&text);
    }
    state->bytes += bytes;
    return bytes;
}

static uint64_t big_finish(void *opaque)
{
    big_state *state = opaque;
    uint64_t bytes = state->bytes;
    extatus_registry_free(state->registry);
    free(state);
    return bytes;
}

static void *memory_setup(void)
{
    return big_new("bench_memory");
}

static uint64_t memory_run(void *opaque, uint64_t n, unsigned thread)
{
    (void)thread;
    big_fill(opaque, n);
    return n;
}

const bench_ops bench_ext_counter_inc = {counter_setup, counter_run, counter_finish};
const bench_ops bench_ext_labeled_inc = {labeled_setup, labeled_run, labeled_finish};
const bench_ops bench_ext_histogram_observe = {histogram_setup, histogram_run, observe_finish};
const bench_ops bench_ext_native_histogram_observe = {native_histogram_setup, native_histogram_run,
                                                      observe_finish};
const bench_ops bench_ext_summary_observe = {summary_setup, summary_run, observe_finish};
const bench_ops bench_ext_expose = {expose_setup, expose_run, big_finish};
const bench_ops bench_ext_series_memory = {memory_setup, memory_run, big_finish};
