/*
 * internal.h - private interfaces shared by the library's layers.
 * Never installed. Names are extatus__ (double underscore) and hidden.
 */
#ifndef EXTATUS_INTERNAL_H
#define EXTATUS_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "extatus.h"
#include "extatus/sys/entry.h"

#include "table.h"

#if defined(__GNUC__) || defined(__clang__)
#define EXTATUS__LIKELY(x)    __builtin_expect(!!(x), 1)
#define EXTATUS__UNLIKELY(x)  __builtin_expect(!!(x), 0)
#define EXTATUS__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define EXTATUS__TLS_FAST     __attribute__((tls_model("initial-exec")))
#else
#define EXTATUS__LIKELY(x)   (x)
#define EXTATUS__UNLIKELY(x) (x)
#define EXTATUS__PRINTF(f, a)
#define EXTATUS__TLS_FAST
#endif

/*
 * End of `field` in `type`: the size of a versioned table (entry ops,
 * reporter ops) written against the version whose last member it is. A
 * caller built against an older header passes a shorter struct, so a copy
 * takes only that many bytes.
 */
#define EXTATUS__FIELD_END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * The library's one string hash, FNV-1a (32 bits): start from
 * EXTATUS__HASH_INIT and fold text or single bytes in. Family series
 * tables and the worker-name table both use it.
 */
#define EXTATUS__HASH_INIT 2166136261u

static inline uint32_t extatus__hash_byte(uint32_t hash, unsigned char byte)
{
    return (hash ^ byte) * 16777619u;
}

static inline uint32_t extatus__hash_text(uint32_t hash, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = extatus__hash_byte(hash, *p);
    return hash;
}

/* ---- errors (core/error.c) ------------------------------------------ */

/*
 * Record `code` and a formatted message for the calling thread; the
 * expression's value is `code`. A macro so that callers (and static
 * analysis) see the code that is returned.
 */
void extatus__error_set(int code, const char *format, ...) EXTATUS__PRINTF(2, 3);
#define extatus__error(code, ...) (extatus__error_set((code), __VA_ARGS__), (code))
int extatus__error_v(int code, const char *format, va_list args) EXTATUS__PRINTF(2, 0);
/*
 * Around internal best-effort work whose failures are not returned to the
 * caller: such failures must not leave a message (extatus_error_last()
 * speaks only of the caller's own failed call). Sections nest; per thread.
 */
/*
 * Whether a callback (an entry's, a reporter's) gave a reason for its
 * failure: take a mark before calling it, and after a failure call
 * extatus__error_unless_since, which records `format` only when no message
 * was recorded since the mark. The message is never cleared for this, so a
 * success keeps the text of an earlier failure (docs/errors.md).
 */
uint64_t extatus__error_mark(void);
int extatus__error_unless_since(uint64_t mark, int code, const char *format, ...)
    EXTATUS__PRINTF(3, 4);
void extatus__error_quiet_begin(void);
void extatus__error_quiet_end(void);

/* ---- allocation (core/alloc.c) --------------------------------------- */

void *extatus__malloc(size_t size);
void *extatus__calloc(size_t count, size_t size); /* zeroed; overflow-checked */
void *extatus__realloc(void *ptr, size_t size);
void extatus__free(void *ptr);
char *extatus__strdup(const char *text); /* NULL in, NULL out */

/* Set up the library if it is not (idempotent, thread-safe). */
int extatus__ensure_init(void);
/* Is the library initialised right now? */
bool extatus__initialized(void);

/* ---- time (core/clock.c) ---------------------------------------------- */

int64_t extatus__now_realtime_ns(void);        /* CLOCK_REALTIME */
int64_t extatus__now_monotonic_ns(void);       /* CLOCK_MONOTONIC */
int64_t extatus__now_coarse_ns(void);          /* CLOCK_MONOTONIC_COARSE: cheap, ms resolution */
int64_t extatus__now_realtime_coarse_ns(void); /* CLOCK_REALTIME_COARSE: cheap, ms resolution */

/* ---- sharded cells (core/cells.c) ------------------------------------
 *
 * Hot-path state lives in 64-bit cells replicated once per shard. Cells of
 * many series are packed in blocks; a block holds EXTATUS__CELL_CHUNK cells
 * for every shard, shard s at offset s * EXTATUS__CELL_CHUNK from shard 0.
 * A series keeps one pointer (its shard-0 cell); a thread adds its shard's
 * offset. A thread owns an exclusive shard when one is free (plain
 * load+store, no lock prefix: it is the only writer) and otherwise shares
 * one of a few shared shards (atomic read-modify-write). Readers sum the
 * shards with relaxed loads.
 */
#define EXTATUS__CELL_CHUNK 512u

typedef _Atomic uint64_t extatus__cell;

/* Thread's shard word: 0 = none yet; else (offset << 2) | 2 | exclusive. */
extern __thread uintptr_t extatus__tls_shard EXTATUS__TLS_FAST;
uintptr_t extatus__shard_claim(void);

/* Number of shards (exclusive + shared); fixed after init. */
extern unsigned extatus__shard_count;

int extatus__cells_init(void);
void extatus__cells_shutdown(void);

/* Allocate `count` (<= EXTATUS__CELL_CHUNK) zeroed consecutive cells in every shard. */
int extatus__cells_alloc(size_t count, extatus__cell **out);
void extatus__cells_free(extatus__cell *cells, size_t count);

static inline uintptr_t extatus__shard_word(void)
{
    uintptr_t word = extatus__tls_shard;
    if (EXTATUS__UNLIKELY(word == 0))
        word = extatus__shard_claim();
    return word;
}

/* Add an integer to this thread's copy of cell `cells[index]`. */
static inline void extatus__cell_add(extatus__cell *cell, uint64_t amount)
{
    uintptr_t word = extatus__shard_word();
    extatus__cell *mine = cell + (word >> 2);
    if (word & 1u)
        atomic_store_explicit(mine, atomic_load_explicit(mine, memory_order_relaxed) + amount,
                              memory_order_relaxed);
    else
        atomic_fetch_add_explicit(mine, amount, memory_order_relaxed);
}

/* Add a double to this thread's copy of a cell holding double bits. */
void extatus__cell_add_double_shared(extatus__cell *mine, double amount);

static inline uint64_t extatus__double_bits(double value)
{
    union {
        double d;
        uint64_t u;
    } pun = {.d = value};
    return pun.u;
}

static inline double extatus__bits_double(uint64_t bits)
{
    union {
        uint64_t u;
        double d;
    } pun = {.u = bits};
    return pun.d;
}

static inline void extatus__cell_add_double(extatus__cell *cell, double amount)
{
    uintptr_t word = extatus__shard_word();
    extatus__cell *mine = cell + (word >> 2);
    if (word & 1u) {
        double now = extatus__bits_double(atomic_load_explicit(mine, memory_order_relaxed));
        atomic_store_explicit(mine, extatus__double_bits(now + amount), memory_order_relaxed);
    } else {
        extatus__cell_add_double_shared(mine, amount);
    }
}

/* Sum of a cell over all shards (integers / doubles). */
uint64_t extatus__cell_sum(const extatus__cell *cell);
double extatus__cell_sum_double(const extatus__cell *cell);

/* ---- names and labels (core/validate.c) ------------------------------ */

bool extatus__valid_metric_name(const char *name);
bool extatus__valid_label_name(const char *name);
/* EXTATUS_OK or EXTATUS_ERR_LABEL with a message naming label and family. */
int extatus__check_utf8(const char *text, size_t length, size_t *bad_offset);

/* ---- type map (core/types.c) ------------------------------------------ */

typedef struct extatus__type {
    char *name;                      /* registered type name */
    extatus_entry_ops ops;           /* copy of the table, upgraded to the current version */
    extatus_metric_type metric_type; /* resolved exposition type */
    void *type_data;                 /* from extatus_type_options */
} extatus__type;

/* Borrowed pointer valid until extatus_shutdown(). */
const extatus__type *extatus__type_find(const char *name);
void extatus__types_free(void);

/* ---- options (core/options.c) ----------------------------------------- */

/* Deep copy of an option list (strings and lists copied). */
int extatus__options_copy(extatus_option **out, const extatus_option *options, size_t count);
void extatus__options_free(extatus_option *options, size_t count);
/*
 * Merge copies of options[0..add) into the deep-copied list *list of
 * *count options: a key already there gets the new value, a new key is
 * appended, so setopts never grows a list beyond one option per key. On
 * failure (EXTATUS_ERR_NOMEM) the list is unchanged.
 */
int extatus__options_merge(extatus_option **list, size_t *count, const extatus_option *options,
                           size_t add);
/* True when `value` is a whole number in [min, max] (false for NaN). */
static inline bool extatus__is_whole(double value, double min, double max)
{
    return value >= min && value <= max && value == (double)(int64_t)value;
}

/*
 * A whole number of milliseconds in [min, max] from a NUMBER option, into
 * *out; else EXTATUS_ERR_OPTION naming "<owner_kind> '<owner>'", the key
 * and the range.
 */
int extatus__option_ms(int64_t *out, const extatus_option *opt, int64_t min, int64_t max,
                       const char *owner_kind, const char *owner);

/* True if `key` is taken by the library rather than the entry. */
bool extatus__option_is_common(const char *key);

/* ---- registry, families and series (core/registry.c, core/family.c) --- */

/* Attachment slots a family and a series offer the layers above core. */
#define EXTATUS__FAMILY_SLOTS 1
#define EXTATUS__SERIES_SLOTS 1

struct extatus_series {
    extatus_family *family;                /* owner */
    extatus_series *next;                  /* creation order */
    extatus_series *prev;                  /* creation order */
    void *ref;                             /* the entry's state */
    const char **label_values;             /* label_count pointers into this allocation */
    const char *labels_text;               /* escaped `a="x",b="y"` (no braces), NUL-terminated */
    uint32_t labels_text_len;              /* strlen(labels_text) */
    uint32_t hash;                         /* of the label values */
    uint32_t pins;                         /* readers holding it (under family lock) */
    uint8_t removed;                       /* unlinked; free when pins drops to 0 */
    struct extatus__cache *cache;          /* read cache when the family has `cache`, else NULL */
    void *attached[EXTATUS__SERIES_SLOTS]; /* layers' per-series data (see core/layer.c) */
};

struct extatus_family {
    extatus_registry *registry;   /* owner */
    char *name;                   /* as registered */
    char *help;                   /* never NULL */
    char *unit;                   /* NULL when none */
    char *type_name;              /* as given at creation */
    const extatus__type *type;    /* resolved implementation */
    char **label_names;           /* label_count names */
    size_t label_count;           /* number of labels */
    extatus_option *options;      /* entry options for new series (deep copy) */
    size_t option_count;          /* entries in options */
    size_t max_series;            /* limit on series */
    pthread_mutex_t lock;         /* guards the series table and list */
    pthread_mutex_t options_lock; /* guards options (read by create, grown by setopts) */
    extatus__table series_table;  /* live series by label values (core/table.h) */
    extatus_series *first;        /* creation order */
    extatus_series *last;         /* creation order */
    atomic_uint refs;             /* registry's reference + one per scrape */
    bool unregistered;            /* removed from its registry */
    int64_t cache_ms;             /* option `cache`: get_value answers from a cache this long */
    uintptr_t attached[EXTATUS__FAMILY_SLOTS]; /* layers' per-family data (see core/layer.c) */
};

struct extatus_registry {
    char *name;                /* unique name */
    pthread_mutex_t lock;      /* guards families */
    extatus_family **families; /* sorted by name */
    size_t family_count;       /* entries used */
    size_t family_capacity;    /* entries allocated */
    size_t max_series;         /* default limit per family */
    extatus_registry *next;    /* global list of named registries */
};

int extatus__registries_init(void);
void extatus__registries_shutdown(void);
/* The registry a call addresses: NULL means "default" (NULL if set-up failed). */
extatus_registry *extatus__registry_resolve(extatus_registry *registry);
/* Sorted family array of a registry; call with registry->lock held. */
size_t extatus__registry_search_locked(const extatus_registry *registry, const char *name,
                                       bool *found);
int extatus__registry_insert_locked(extatus_registry *registry, size_t index,
                                    extatus_family *family);
void extatus__registry_remove_locked(extatus_registry *registry, size_t index);

/* ---- exposed names (core/names.c) ------------------------------------- */

/* How a family of `type` is exposed: counter, gauge, histogram, summary or unknown. */
extatus_metric_type extatus__exposed_type(extatus_metric_type type);
/* Length of the base name (OpenMetrics family name): a counter's name without "_total". */
size_t extatus__exposed_base_length(const char *name, extatus_metric_type exposed);
/* The suffixes the samples add to the base, "" first; NULL-terminated, static. */
const char *const *extatus__exposed_suffixes(extatus_metric_type exposed);
/* Binary search of a name-sorted family array; the insertion index when not found. */
size_t extatus__families_search(extatus_family *const *families, size_t count, const char *name,
                                bool *found);
/*
 * A family of families[0..count) (sorted by name), other than one named
 * `name`, that takes a name a family `name` of metric type `type` would
 * take in an exposition: *clash (NULL if none), and *suffix such that the
 * shared name is the base of `name` plus *suffix. EXTATUS_ERR_NOMEM only.
 */
int extatus__clash_find(extatus_family **clash, const char **suffix,
                        extatus_family *const *families, size_t count, const char *name,
                        extatus_metric_type type);

/* Find a family by name with a reference taken; drop it with extatus__family_drop. */
extatus_family *extatus__family_acquire(extatus_registry *registry, const char *name);
void extatus__family_drop(extatus_family *family);
/* The family left its registry: remove all its series. */
void extatus__family_detach(extatus_family *family);
/* Find (or create) a series and pin it; unpin with extatus__series_unpin. */
int extatus__series_acquire(extatus_series **out, extatus_family *family, extatus_labels labels,
                            bool create);
void extatus__series_unpin(extatus_series *series);
/* setopts for every series of a family and for its series to come. */
int extatus__family_setopts(extatus_family *family, const extatus_option *options, size_t count);

/* Build the context an entry sees for `series` (or the family when NULL). */
void extatus__entry_ctx(extatus_entry_ctx *ctx, const extatus_family *family,
                        const extatus_series *series);

/*
 * Reader snapshots for the exposition: the families of a registry sorted
 * by name (each referenced), and the live series of a family in creation
 * order (each pinned). Release with the matching call.
 */
int extatus__registry_snapshot(extatus_registry *registry, extatus_family ***families,
                               size_t *count);
void extatus__families_release(extatus_family **families, size_t count);
int extatus__family_snapshot(extatus_family *family, extatus_series ***out, size_t *count);
void extatus__series_release(extatus_family *family, extatus_series **series, size_t count);

/* The family's type is implemented by `ops_create` (typed getters' check). */
static inline bool extatus__family_is(const extatus_family *family,
                                      int (*ops_create)(void **, const extatus_entry_ctx *,
                                                        const extatus_option *, size_t))
{
    return family->type->ops.create == ops_create;
}

/*
 * Read datapoints of a series through its entry, or from its read cache
 * when the family has the `cache` option (see core/cache.c). The
 * exposition and extatus_series_get_value both read this way.
 */
int extatus__series_read(extatus_series *series, const char *const *datapoints, size_t count,
                         extatus_value *values);
/* Set up / free the read cache of a new series (no-op without `cache`). */
int extatus__cache_attach(extatus_series *series);
void extatus__cache_detach(extatus_series *series);

/* ---- type defaults by name pattern (core/defaults.c) ------------------ */

/*
 * The defaults for a family `name` of `type`: the option list of the most
 * specific matching pattern, merged in front of the caller's options into
 * a new array (*merged, *merged_count; free with extatus__free). *merged
 * is NULL when no default applies.
 */
int extatus__defaults_merge(extatus_option **merged, size_t *merged_count, const char *name,
                            const char *type, const extatus_option *options, size_t count);
void extatus__defaults_free(void);

/* ---- scheduler (core/scheduler.c) --------------------------------------
 *
 * One clock for the whole library and a small pool of workers. A task runs
 * fn(arg) every interval; a turn that comes while the previous run is
 * still queued or running is skipped and counted. Any layer may add tasks
 * (probes, reporters, the worker-status handler).
 */
typedef struct extatus__task extatus__task;
typedef void (*extatus__task_fn)(void *arg);

/*
 * Run fn(arg) every interval_ms (0: never by itself), first after
 * first_delay_ms. *out is set before the first run can start.
 */
int extatus__sched_add(extatus__task **out, int64_t interval_ms, int64_t first_delay_ms,
                       extatus__task_fn fn, void *arg);
/*
 * Remove a task and free it. No run starts after this returns; a run in
 * progress is waited for, except when called from inside that run.
 */
void extatus__sched_remove(extatus__task *task);
void extatus__sched_set_interval(extatus__task *task, int64_t interval_ms);
void extatus__sched_stats(const extatus__task *task, uint64_t *runs, uint64_t *skips);
/* The task whose run the calling thread is in, or NULL. */
extatus__task *extatus__sched_current(void);
/* Stop the threads (tasks stay registered); then, after every owner tidied up, free the rest. */
void extatus__sched_stop(void);
void extatus__sched_reset(void);

/* ---- layers (core/layer.c) ---------------------------------------------
 *
 * A layer above core (entries, probes, worker status, reporters) joins
 * through one table; core calls it only through the table. Every hook may
 * be NULL. Families and series offer each layer that asks for one an
 * attachment slot: core writes the slot's index to *family_slot or
 * *series_slot when the layer joins.
 */
typedef struct extatus__layer {
    const char *name; /* for messages */
    /* At library init, after core (registries included), in join order. */
    int (*init)(void);
    /* First in extatus_shutdown, outside core's locks, in reverse order:
     * stop threads that call into the library. */
    void (*stop)(void);
    /* Next, under the init lock, in reverse order, while registries exist. */
    void (*shutdown)(void);
    /* NULL-terminated family option keys the layer takes (not the entry's). */
    const char *const *family_options;
    size_t *family_slot; /* receives the index of this layer's family slot; NULL: none */
    size_t *series_slot; /* receives the index of this layer's series slot; NULL: none */
    /* A family is being registered (not yet visible), with all its options:
     * check and keep what is the layer's; an error cancels the registration. */
    int (*family_created)(extatus_family *family, const extatus_option *options, size_t count);
    /* Outside core's locks: a family was added (options NULL) or setopts
     * changed its options. */
    void (*family_changed)(extatus_family *family, const extatus_option *options, size_t count);
    /* A series was built and is not yet visible; an error cancels it. */
    int (*series_created)(extatus_series *series);
    /* A series is going: after this no call of the layer may use it. */
    void (*series_removed)(extatus_series *series);
} extatus__layer;

/* Called once, by the library's assembly when the library is loaded. */
int extatus__layers_join(const extatus__layer *const *list, size_t count);
int extatus__layers_init(void);
void extatus__layers_stop(void);
void extatus__layers_shutdown(void);
bool extatus__layers_take_option(const char *key);
int extatus__layers_family_created(extatus_family *family, const extatus_option *options,
                                   size_t count);
void extatus__layers_family_changed(extatus_family *family, const extatus_option *options,
                                    size_t count);
int extatus__layers_series_created(extatus_series *series);
void extatus__layers_series_removed(extatus_series *series);

/* ---- output buffer (core/buf.c) --------------------------------------- */

/* Make room for `extra` more bytes (plus NUL); fixed buffers just count. */
int extatus__buf_reserve(extatus_buf *buf, size_t extra);
int extatus__buf_append(extatus_buf *buf, const char *data, size_t length);

#endif /* EXTATUS_INTERNAL_H */
