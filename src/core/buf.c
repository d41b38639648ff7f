/*
 * buf.c - the growable (or caller-fixed) output buffer.
 */
#include "core/internal.h"

#include <string.h>

void extatus_buf_fixed(extatus_buf *buf, char *memory, size_t capacity)
{
    buf->ptr = memory;
    buf->size = 0;
    buf->capacity = memory ? capacity : 0;
    buf->fixed = 1;
    if (buf->capacity)
        buf->ptr[0] = '\0';
}

void extatus_buf_dispose(extatus_buf *buf)
{
    if (!buf)
        return;
    if (buf->fixed) {
        buf->size = 0;
        if (buf->capacity)
            buf->ptr[0] = '\0';
        return;
    }
    extatus__free(buf->ptr);
    buf->ptr = NULL;
    buf->size = 0;
    buf->capacity = 0;
}

int extatus__buf_reserve(extatus_buf *buf, size_t extra)
{
    if (buf->fixed)
        return EXTATUS_OK; /* writes past the end are counted, not stored */
    if (extra > SIZE_MAX - buf->size - 1)
        return extatus__error(EXTATUS_ERR_NOMEM, "output buffer size overflows");
    size_t need = buf->size + extra + 1;
    if (need <= buf->capacity)
        return EXTATUS_OK;
    size_t capacity = buf->capacity ? buf->capacity : 4096;
    while (capacity < need)
        capacity = capacity > SIZE_MAX / 2 ? need : capacity * 2;
    char *grown = extatus__realloc(buf->ptr, capacity);
    if (!grown)
        return extatus__error(EXTATUS_ERR_NOMEM, "cannot grow output buffer to %zu bytes",
                              capacity);
    buf->ptr = grown;
    buf->capacity = capacity;
    return EXTATUS_OK;
}

int extatus__buf_append(extatus_buf *buf, const char *data, size_t length)
{
    if (buf->fixed) {
        if (buf->size < buf->capacity) {
            size_t room = buf->capacity - buf->size - 1;
            size_t copy = length < room ? length : room;
            memcpy(buf->ptr + buf->size, data, copy);
            buf->ptr[buf->size + copy] = '\0';
        }
        buf->size += length;
        return EXTATUS_OK;
    }
    int rc = extatus__buf_reserve(buf, length);
    if (rc != EXTATUS_OK)
        return rc;
    memcpy(buf->ptr + buf->size, data, length);
    buf->size += length;
    buf->ptr[buf->size] = '\0';
    return EXTATUS_OK;
}
