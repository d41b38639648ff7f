/*
 * extatus/alloc.h - the allocator hook and library-wide set-up.
 *
 * All memory the library allocates goes through one allocator, copied by
 * the library. Set it before the first extatus object exists.
 */
#ifndef EXTATUS_ALLOC_H
#define EXTATUS_ALLOC_H

#include "common.h"

EXTATUS_BEGIN_DECLS

typedef struct extatus_allocator {
    void *(*malloc_fn)(size_t size, void *user);             /* like malloc */
    void *(*realloc_fn)(void *ptr, size_t size, void *user); /* like realloc */
    void (*free_fn)(void *ptr, void *user);                  /* like free; NULL is a no-op */
    void *user;                                              /* passed to every call */
} extatus_allocator;

/*
 * Replace the allocator; NULL restores the C library's. The functions must
 * be thread-safe. Fails with EXTATUS_ERR_STATE once the library has been
 * initialised (by extatus_init() or by the first object created), unless
 * extatus_shutdown() has run since, and with EXTATUS_ERR_INVALID when one
 * of the three functions is NULL.
 * Thread safety: set-up only, before any other extatus call.
 */
EXTATUS_API int extatus_set_allocator(const extatus_allocator *allocator);

/*
 * Allocate and free with the library's allocator. Free everything the
 * library hands out as raw memory with extatus_free(), never with free().
 * Thread safety: any thread.
 */
EXTATUS_API void *extatus_malloc(size_t size);
EXTATUS_API void extatus_free(void *ptr);

/*
 * Initialise the library: the type map with the built-in types and the
 * default registry. Called implicitly by the first call that needs it;
 * calling it yourself reports an allocation failure early.
 * Errors: EXTATUS_ERR_NOMEM, EXTATUS_ERR_SYSTEM.
 * Thread safety: any thread; idempotent.
 */
EXTATUS_API int extatus_init(void);

/*
 * Release everything the library holds: all registries (including
 * "default"), their families and series, and the type map. Handles become
 * invalid. The library may be initialised again afterwards.
 * Thread safety: call only when no other thread uses the library.
 */
EXTATUS_API void extatus_shutdown(void);

EXTATUS_END_DECLS

#endif /* EXTATUS_ALLOC_H */
