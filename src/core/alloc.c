/*
 * alloc.c - the allocator hook, and library set-up and tear-down.
 */
#include "core/internal.h"

#include <stdlib.h>
#include <string.h>

static void *libc_malloc(size_t size, void *user)
{
    (void)user;
    return malloc(size);
}

static void *libc_realloc(void *ptr, size_t size, void *user)
{
    (void)user;
    return realloc(ptr, size);
}

static void libc_free(void *ptr, void *user)
{
    (void)user;
    free(ptr);
}

static const extatus_allocator libc_allocator = {libc_malloc, libc_realloc, libc_free, NULL};
static extatus_allocator allocator = {libc_malloc, libc_realloc, libc_free, NULL};

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int initialized;
/* Set while this thread runs the set-up, so that set-up may call public API. */
static __thread int initializing;

int extatus_set_allocator(const extatus_allocator *replacement)
{
    if (replacement &&
        (!replacement->malloc_fn || !replacement->realloc_fn || !replacement->free_fn))
        return extatus__error(EXTATUS_ERR_INVALID, "allocator: malloc_fn, realloc_fn and "
                                                   "free_fn must all be set");
    pthread_mutex_lock(&init_lock);
    if (atomic_load(&initialized)) {
        pthread_mutex_unlock(&init_lock);
        return extatus__error(EXTATUS_ERR_STATE,
                              "allocator: the library is initialised; set it before the first "
                              "object or after extatus_shutdown()");
    }
    allocator = replacement ? *replacement : libc_allocator;
    pthread_mutex_unlock(&init_lock);
    return EXTATUS_OK;
}

void *extatus__malloc(size_t size)
{
    return allocator.malloc_fn(size ? size : 1, allocator.user);
}

void *extatus__calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *ptr = extatus__malloc(count * size);
    if (ptr)
        memset(ptr, 0, count * size);
    return ptr;
}

void *extatus__realloc(void *ptr, size_t size)
{
    return allocator.realloc_fn(ptr, size ? size : 1, allocator.user);
}

void extatus__free(void *ptr)
{
    if (ptr)
        allocator.free_fn(ptr, allocator.user);
}

char *extatus__strdup(const char *text)
{
    if (!text)
        return NULL;
    size_t length = strlen(text) + 1;
    char *copy = extatus__malloc(length);
    if (copy)
        memcpy(copy, text, length);
    return copy;
}

void *extatus_malloc(size_t size)
{
    return extatus__malloc(size);
}

void extatus_free(void *ptr)
{
    extatus__free(ptr);
}

/*
 * Tear everything down, in the order that keeps every pointer valid: the
 * layers above core first, newest first (reporters read metrics), then the
 * scheduler's threads (no task runs after this), then the registries
 * (whose series leave every layer), the defaults, the types and the cells.
 */
static void shutdown_locked(void)
{
    extatus__layers_shutdown();
    extatus__sched_stop();
    extatus__registries_shutdown();
    extatus__sched_reset();
    extatus__defaults_free();
    extatus__types_free();
    extatus__cells_shutdown();
}

int extatus__ensure_init(void)
{
    if (EXTATUS__LIKELY(atomic_load_explicit(&initialized, memory_order_acquire)) || initializing)
        return EXTATUS_OK;
    pthread_mutex_lock(&init_lock);
    int rc = EXTATUS_OK;
    if (!atomic_load_explicit(&initialized, memory_order_relaxed)) {
        initializing = 1;
        /* Core first, then the layers that joined it, in their order. */
        rc = extatus__cells_init();
        if (rc == EXTATUS_OK) {
            rc = extatus__registries_init();
            if (rc == EXTATUS_OK && (rc = extatus__layers_init()) != EXTATUS_OK)
                shutdown_locked();
            else if (rc != EXTATUS_OK)
                extatus__cells_shutdown();
        }
        initializing = 0;
        if (rc == EXTATUS_OK)
            atomic_store_explicit(&initialized, 1, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
    return rc;
}

int extatus_init(void)
{
    return extatus__ensure_init();
}

void extatus_shutdown(void)
{
    /*
     * Layers' threads that call the library first (the workers' handler
     * runs user reports): outside init_lock, which their starts may take
     * after their own locks.
     */
    extatus__layers_stop();
    pthread_mutex_lock(&init_lock);
    if (atomic_load(&initialized)) {
        shutdown_locked();
        atomic_store(&initialized, 0);
    }
    pthread_mutex_unlock(&init_lock);
}

bool extatus__initialized(void)
{
    return atomic_load(&initialized) != 0;
}
