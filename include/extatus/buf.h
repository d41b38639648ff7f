/*
 * extatus/buf.h - a byte buffer for text the library produces.
 *
 * Two ways to use it:
 *  - library-owned: start from EXTATUS_BUF_INIT; the library grows it;
 *    release it with extatus_buf_dispose();
 *  - caller-owned: extatus_buf_fixed(&buf, memory, capacity); the library
 *    never grows or frees it. When the text does not fit, the call fails
 *    with EXTATUS_ERR_NOSPACE, `size` holds the size needed and the
 *    content is truncated (like snprintf).
 * The text is always NUL-terminated when capacity allows; `size` excludes
 * the terminator.
 */
#ifndef EXTATUS_BUF_H
#define EXTATUS_BUF_H

#include "common.h"

EXTATUS_BEGIN_DECLS

typedef struct extatus_buf {
    char *ptr;       /* the bytes; NULL before the first write */
    size_t size;     /* bytes of text (excluding the terminating NUL) */
    size_t capacity; /* bytes allocated at ptr */
    unsigned fixed;  /* nonzero: caller-owned memory, never grown or freed */
} extatus_buf;

#define EXTATUS_BUF_INIT                                                                           \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/*
 * Wrap caller memory; the library writes at most `capacity` bytes to it
 * (text plus NUL, so text of `capacity - 1` bytes fits).
 * Thread safety: any thread, on a buffer no other thread uses.
 */
EXTATUS_API void extatus_buf_fixed(extatus_buf *buf, char *memory, size_t capacity);

/*
 * Free a library-owned buffer's memory and reset it to EXTATUS_BUF_INIT;
 * for a caller-owned buffer only reset size. NULL is a no-op.
 * Thread safety: any thread, on a buffer no other thread uses.
 */
EXTATUS_API void extatus_buf_dispose(extatus_buf *buf);

EXTATUS_END_DECLS

#endif /* EXTATUS_BUF_H */
