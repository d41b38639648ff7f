/*
 * reader.h - how the layers above core read the model: the exposition,
 * the reporters, the probes, the entries' typed getters and the worker
 * status layer. Families, series and registries are opaque here (their
 * structs are core's, in core/internal.h); a reader pins what it reads,
 * describes it through a view and reads values through core, which asks
 * the entry.
 *
 * Lifetimes: a view's pointers stay valid while the family is referenced
 * (extatus__family_acquire, a registry snapshot) or the series pinned
 * (extatus__series_acquire, a family snapshot).
 */
#ifndef EXTATUS_CORE_READER_H
#define EXTATUS_CORE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extatus.h"
#include "extatus/sys/entry.h"

/* ---- pin and snapshot (core/family.c, core/registry.c) ---------------- */

/* The registry a call addresses: NULL means "default" (NULL if set-up failed). */
extatus_registry *extatus__registry_resolve(extatus_registry *registry);

/* Find a family by name with a reference taken; drop it with extatus__family_drop. */
extatus_family *extatus__family_acquire(extatus_registry *registry, const char *name);
void extatus__family_drop(extatus_family *family);
/* Find (or create) a series and pin it; unpin with extatus__series_unpin. */
int extatus__series_acquire(extatus_series **out, extatus_family *family, extatus_labels labels,
                            bool create);
void extatus__series_unpin(extatus_series *series);

/*
 * Reader snapshots: the families of a registry sorted by name (each
 * referenced), and the live series of a family in creation order (held
 * all at once through the family, none freed before the release). Release
 * with the matching call.
 */
int extatus__registry_snapshot(extatus_registry *registry, extatus_family ***families,
                               size_t *count);
void extatus__families_release(extatus_family **families, size_t count);
int extatus__family_snapshot(extatus_family *family, extatus_series ***out, size_t *count);
void extatus__series_release(extatus_family *family, extatus_series **series, size_t count);

/* ---- views (core/reader.c) -------------------------------------------- */

/* What a family is; fixed for its lifetime. */
typedef struct extatus__family_view {
    const char *registry;            /* name of its registry */
    const char *name;                /* as registered */
    const char *help;                /* never NULL */
    const char *unit;                /* NULL when none */
    const char *type_name;           /* as given at creation */
    extatus_metric_type metric_type; /* of its type, as the type declared it */
    extatus_entry_kind kind;         /* plain entry or probe */
    const char *const *label_names;  /* label_count names */
    size_t label_count;
} extatus__family_view;

void extatus__family_view_of(const extatus_family *family, extatus__family_view *view);

/* What a series is, and the datapoints its entry offers now. */
typedef struct extatus__series_view {
    extatus_family *family;          /* its family */
    const char *labels_text;         /* escaped `a="x",b="y"` (no braces), NUL-terminated */
    size_t labels_text_len;          /* strlen(labels_text) */
    const char *const *label_values; /* one per label name */
    const extatus_datapoint *points; /* from the entry; NULL when it gave none */
    size_t point_count;              /* 0 when it gave none */
} extatus__series_view;

/* Describe a series (points NULL, point_count 0). */
void extatus__series_describe(const extatus_series *series, extatus__series_view *view);

/*
 * Describe a pinned series and ask its entry for its datapoints (the
 * series' get_datapoints). An entry that fails leaves points NULL and
 * point_count 0; the description is filled in either way.
 */
void extatus__series_view_of(extatus_series *series, extatus__series_view *view);

/*
 * Read datapoints of a series through its entry, or from its read cache
 * when the family has the `cache` option (see core/cache.c). The
 * exposition, the reporters and extatus_series_get_value read this way.
 */
int extatus__series_read(extatus_series *series, const char *const *datapoints, size_t count,
                         extatus_value *values);

/*
 * The exemplar the series' entry keeps for datapoint `index` (its
 * get_exemplar): true with *out filled, false when there is none or the
 * type keeps none.
 */
bool extatus__series_exemplar(extatus_series *series, size_t index, extatus_exemplar_value *out);

/* Run the entry's sample method (probes); EXTATUS_OK when it has none. */
int extatus__series_sample(extatus_series *series);

/* The entry's state of a series (what its create method made). */
void *extatus__series_ref(const extatus_series *series);

/*
 * The typed getters (extatus_counter_get, ...): the entry's state (*ref)
 * of the series of `family` for `labels`, created when missing, provided
 * the family's type is implemented by `ops_create`; else EXTATUS_ERR_TYPE
 * naming the family's type and `what` (the type the caller expected).
 */
int extatus__typed_get(void **ref, extatus_family *family, extatus_labels labels,
                       int (*ops_create)(void **, const extatus_entry_ctx *, const extatus_option *,
                                         size_t),
                       const char *what);

/* ---- attachment slots (core/reader.c) ----------------------------------
 *
 * A layer keeps per-family and per-series data in the slot whose index
 * core gave it when it joined (see core/layer.h). A slot is written by
 * the layer's own hooks (family_created, series_created/removed) and read
 * while the family is referenced or the series pinned.
 */
uintptr_t extatus__family_attachment(const extatus_family *family, size_t slot);
void extatus__family_attach(extatus_family *family, size_t slot, uintptr_t value);
void *extatus__series_attachment(const extatus_series *series, size_t slot);
void extatus__series_attach(extatus_series *series, size_t slot, void *value);

/* ---- exposed names (core/names.c) --------------------------------------
 *
 * The names a family takes in an exposition, shared by registration
 * (clashes refused) and the exposition (clashes across registries
 * skipped).
 */

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

#endif /* EXTATUS_CORE_READER_H */
