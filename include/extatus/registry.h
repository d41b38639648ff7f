/*
 * extatus/registry.h - named registries of metric families.
 *
 * A registry owns its families; a family owns its series. The registry
 * named "default" always exists once the library is initialised; every
 * call that takes a registry treats NULL as the default one.
 */
#ifndef EXTATUS_REGISTRY_H
#define EXTATUS_REGISTRY_H

#include "common.h"

EXTATUS_BEGIN_DECLS

#define EXTATUS_REGISTRY_OPTIONS_VERSION 1

/* Default limit of series per family (see extatus_registry_options). */
#define EXTATUS_DEFAULT_MAX_SERIES 10000

typedef struct extatus_registry_options {
    unsigned version;             /* EXTATUS_REGISTRY_OPTIONS_VERSION */
    size_t max_series_per_family; /* 0: EXTATUS_DEFAULT_MAX_SERIES */
} extatus_registry_options;

#define EXTATUS_REGISTRY_OPTIONS_INIT                                                              \
    {                                                                                              \
        EXTATUS_REGISTRY_OPTIONS_VERSION, 0                                                        \
    }

/*
 * Create a registry called `name` (a metric-name-like identifier, unique
 * in the process); `options` may be NULL. Free it with
 * extatus_registry_free().
 * Errors: EXTATUS_ERR_NAME, _EXISTS, _INVALID (options version), _NOMEM.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_registry_new(extatus_registry **out, const char *name,
                                     const extatus_registry_options *options);

/*
 * Free a registry, its families and their series; handles into it become
 * invalid. NULL is a no-op; the default registry is freed only by
 * extatus_shutdown() (freeing it here is a no-op).
 * Thread safety: not concurrent with other calls on this registry.
 */
EXTATUS_API void extatus_registry_free(extatus_registry *registry);

/*
 * The registry named "default" (initialising the library if needed);
 * NULL only if that initialisation failed for lack of memory.
 * Thread safety: any thread.
 */
EXTATUS_API extatus_registry *extatus_registry_default(void);

/*
 * Find a registry by name. The pointer is borrowed: valid until the
 * registry is freed.
 * Errors: EXTATUS_ERR_NOT_FOUND. Thread safety: any thread.
 */
EXTATUS_API int extatus_registry_lookup(extatus_registry **out, const char *name);

/* The registry's name (borrowed). Thread safety: any thread. */
EXTATUS_API const char *extatus_registry_name(const extatus_registry *registry);

/* Number of families in the registry. Thread safety: any thread. */
EXTATUS_API size_t extatus_registry_family_count(extatus_registry *registry);

EXTATUS_END_DECLS

#endif /* EXTATUS_REGISTRY_H */
