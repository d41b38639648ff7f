/*
 * internal.h - core's own header: the model (registries, families,
 * series, the type map) and the calls only core makes. Included by
 * src/core/ alone; the layers above read the model through
 * core/reader.h and use the services of core/util.h, core/cells.h,
 * core/sched.h and core/layer.h (tests/layers/check_includes.sh checks
 * it). Never installed; names are extatus__ and hidden.
 */
#ifndef EXTATUS_INTERNAL_H
#define EXTATUS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "extatus.h"
#include "extatus/sys/entry.h"

#include "core/cells.h"
#include "core/layer.h"
#include "core/reader.h"
#include "core/sched.h"
#include "core/util.h"
#include "core/table.h"

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

/* ---- registry, families and series (core/registry.c, family.c, series.c, ...) --- */

/* Attachment slots a family and a series offer the layers above core. */
#define EXTATUS__FAMILY_SLOTS 1
#define EXTATUS__SERIES_SLOTS 1

struct extatus_series {
    extatus_family *family;                /* owner */
    extatus_series *next;                  /* in a list of series to free (graveyard, doomed) */
    void *ref;                             /* the entry's state */
    const char **label_values;             /* label_count pointers into this allocation */
    const char *labels_text;               /* escaped `a="x",b="y"` (no braces), NUL-terminated */
    uint32_t labels_text_len;              /* strlen(labels_text) */
    uint32_t hash;                         /* of the label values */
    uint32_t pins : 31;                    /* single readers holding it (under family lock) */
    uint32_t removed : 1;                  /* unlinked; free when pins drops to 0 (core/series.c) */
    uint32_t position;                     /* in the family's creation order (under family lock) */
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
    extatus_series ***order;      /* creation order: chunks of series, NULL where removed */
    size_t order_chunks;          /* chunk pointers allocated in `order` */
    size_t order_end;             /* positions used, live or removed */
    size_t order_holes;           /* removed positions below order_end */
    size_t snapshots;             /* snapshots not yet released (under lock) */
    extatus_series *graveyard;    /* removed, unpinned, freed when snapshots drops to 0 */
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
/* Sorted family array of a registry; call with registry->lock held. */
size_t extatus__registry_search_locked(const extatus_registry *registry, const char *name,
                                       bool *found);
int extatus__registry_insert_locked(extatus_registry *registry, size_t index,
                                    extatus_family *family);
void extatus__registry_remove_locked(extatus_registry *registry, size_t index);

/* ---- core-private family and series calls (core/family.c, series.c) ------------ */

/* The family left its registry: remove all its series. */
void extatus__family_detach(extatus_family *family);
/* setopts for every series of a family and for its series to come. */
int extatus__family_setopts(extatus_family *family, const extatus_option *options, size_t count);

/* Build the context an entry sees for `series` (or the family when NULL). */
void extatus__entry_ctx(extatus_entry_ctx *ctx, const extatus_family *family,
                        const extatus_series *series);

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

#endif /* EXTATUS_INTERNAL_H */
