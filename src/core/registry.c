/*
 * registry.c - named registries and their name-sorted family arrays.
 */
#include "core/internal.h"

#include <string.h>

static pthread_mutex_t registries_lock = PTHREAD_MUTEX_INITIALIZER;
static extatus_registry *registries;       /* all registries, newest first */
static extatus_registry *default_registry; /* the one named "default" */

static int registry_create(extatus_registry **out, const char *name,
                           const extatus_registry_options *options)
{
    extatus_registry *registry = extatus__calloc(1, sizeof(*registry));
    if (!registry || !(registry->name = extatus__strdup(name))) {
        extatus__free(registry);
        return extatus__error(EXTATUS_ERR_NOMEM, "registry '%s': out of memory", name);
    }
    if (pthread_mutex_init(&registry->lock, NULL) != 0) {
        extatus__free(registry->name);
        extatus__free(registry);
        return extatus__error(EXTATUS_ERR_SYSTEM, "registry '%s': cannot create its lock", name);
    }
    registry->max_series = options && options->max_series_per_family
                               ? options->max_series_per_family
                               : EXTATUS_DEFAULT_MAX_SERIES;
    *out = registry;
    return EXTATUS_OK;
}

static void registry_destroy(extatus_registry *registry)
{
    /* Detach every family; each is freed when its last scrape ends. */
    pthread_mutex_lock(&registry->lock);
    extatus_family **families = registry->families;
    size_t count = registry->family_count;
    registry->families = NULL;
    registry->family_count = registry->family_capacity = 0;
    pthread_mutex_unlock(&registry->lock);
    for (size_t i = 0; i < count; i++) {
        extatus__family_detach(families[i]);
        extatus__family_drop(families[i]);
    }
    extatus__free(families);
    pthread_mutex_destroy(&registry->lock);
    extatus__free(registry->name);
    extatus__free(registry);
}

int extatus__registries_init(void)
{
    extatus_registry *registry = NULL;
    int rc = registry_create(&registry, "default", NULL);
    if (rc != EXTATUS_OK)
        return rc;
    pthread_mutex_lock(&registries_lock);
    registry->next = registries;
    registries = registry;
    default_registry = registry;
    pthread_mutex_unlock(&registries_lock);
    return EXTATUS_OK;
}

void extatus__registries_shutdown(void)
{
    pthread_mutex_lock(&registries_lock);
    extatus_registry *list = registries;
    registries = NULL;
    default_registry = NULL;
    pthread_mutex_unlock(&registries_lock);
    while (list) {
        extatus_registry *next = list->next;
        registry_destroy(list);
        list = next;
    }
}

extatus_registry *extatus_registry_default(void)
{
    if (extatus__ensure_init() != EXTATUS_OK)
        return NULL;
    return default_registry;
}

extatus_registry *extatus__registry_resolve(extatus_registry *registry)
{
    return registry ? registry : extatus_registry_default();
}

int extatus_registry_new(extatus_registry **out, const char *name,
                         const extatus_registry_options *options)
{
    if (!out)
        return extatus__error(EXTATUS_ERR_INVALID, "registry: out pointer is NULL");
    *out = NULL;
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if (!name || !extatus__valid_metric_name(name))
        return extatus__error(EXTATUS_ERR_NAME,
                              "invalid registry name '%s': must match [a-zA-Z_:][a-zA-Z0-9_:]*",
                              name ? name : "(null)");
    if (options && options->version != EXTATUS_REGISTRY_OPTIONS_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID, "registry '%s': options version %u unsupported",
                              name, options->version);
    extatus_registry *registry = NULL;
    if ((rc = registry_create(&registry, name, options)) != EXTATUS_OK)
        return rc;
    pthread_mutex_lock(&registries_lock);
    for (extatus_registry *r = registries; r; r = r->next) {
        if (strcmp(r->name, name) == 0) {
            pthread_mutex_unlock(&registries_lock);
            registry_destroy(registry);
            return extatus__error(EXTATUS_ERR_EXISTS, "a registry named '%s' already exists", name);
        }
    }
    registry->next = registries;
    registries = registry;
    pthread_mutex_unlock(&registries_lock);
    *out = registry;
    return EXTATUS_OK;
}

void extatus_registry_free(extatus_registry *registry)
{
    if (!registry)
        return;
    pthread_mutex_lock(&registries_lock);
    if (registry == default_registry) {
        pthread_mutex_unlock(&registries_lock);
        return;
    }
    bool found = false;
    for (extatus_registry **link = &registries; *link; link = &(*link)->next) {
        if (*link == registry) {
            *link = registry->next;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&registries_lock);
    if (found)
        registry_destroy(registry);
}

int extatus_registry_lookup(extatus_registry **out, const char *name)
{
    if (!out || !name)
        return extatus__error(EXTATUS_ERR_INVALID, "registry lookup: NULL argument");
    *out = NULL;
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    pthread_mutex_lock(&registries_lock);
    for (extatus_registry *r = registries; r; r = r->next) {
        if (strcmp(r->name, name) == 0) {
            *out = r;
            break;
        }
    }
    pthread_mutex_unlock(&registries_lock);
    if (!*out)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no registry named '%s'", name);
    return EXTATUS_OK;
}

const char *extatus_registry_name(const extatus_registry *registry)
{
    return registry ? registry->name : "";
}

size_t extatus_registry_family_count(extatus_registry *registry)
{
    registry = extatus__registry_resolve(registry);
    if (!registry)
        return 0;
    pthread_mutex_lock(&registry->lock);
    size_t count = registry->family_count;
    pthread_mutex_unlock(&registry->lock);
    return count;
}

size_t extatus__registry_search_locked(const extatus_registry *registry, const char *name,
                                       bool *found)
{
    return extatus__families_search(registry->families, registry->family_count, name, found);
}

int extatus__registry_insert_locked(extatus_registry *registry, size_t index,
                                    extatus_family *family)
{
    if (registry->family_count == registry->family_capacity) {
        size_t capacity = registry->family_capacity ? registry->family_capacity * 2 : 16;
        extatus_family **grown = extatus__realloc(registry->families, capacity * sizeof(*grown));
        if (!grown)
            return EXTATUS_ERR_NOMEM;
        registry->families = grown;
        registry->family_capacity = capacity;
    }
    memmove(&registry->families[index + 1], &registry->families[index],
            (registry->family_count - index) * sizeof(*registry->families));
    registry->families[index] = family;
    registry->family_count++;
    return EXTATUS_OK;
}

void extatus__registry_remove_locked(extatus_registry *registry, size_t index)
{
    memmove(&registry->families[index], &registry->families[index + 1],
            (registry->family_count - index - 1) * sizeof(*registry->families));
    registry->family_count--;
}

extatus_family *extatus__family_acquire(extatus_registry *registry, const char *name)
{
    bool found;
    extatus_family *family = NULL;
    pthread_mutex_lock(&registry->lock);
    size_t index = extatus__registry_search_locked(registry, name, &found);
    if (found) {
        family = registry->families[index];
        atomic_fetch_add_explicit(&family->refs, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&registry->lock);
    return family;
}

int extatus__registry_snapshot(extatus_registry *registry, extatus_family ***families,
                               size_t *count)
{
    *families = NULL;
    *count = 0;
    pthread_mutex_lock(&registry->lock);
    size_t n = registry->family_count;
    extatus_family **copy = n ? extatus__malloc(n * sizeof(*copy)) : NULL;
    if (n && !copy) {
        pthread_mutex_unlock(&registry->lock);
        return extatus__error(EXTATUS_ERR_NOMEM, "registry '%s': cannot snapshot %zu families",
                              registry->name, n);
    }
    for (size_t i = 0; i < n; i++) {
        copy[i] = registry->families[i];
        atomic_fetch_add_explicit(&copy[i]->refs, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&registry->lock);
    *families = copy;
    *count = n;
    return EXTATUS_OK;
}

void extatus__families_release(extatus_family **families, size_t count)
{
    for (size_t i = 0; i < count; i++)
        extatus__family_drop(families[i]);
    extatus__free(families);
}
