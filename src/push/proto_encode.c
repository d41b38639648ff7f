/*
 * proto_encode.c - the streaming protobuf writer (see proto_encode.h).
 */
#include "proto_encode.h"

#include <extatus/alloc.h>

#include <string.h>

void extatus__proto_init(extatus__proto_writer *w)
{
    memset(w, 0, sizeof(*w));
}

void extatus__proto_dispose(extatus__proto_writer *w)
{
    extatus_free(w->data);
    extatus__proto_init(w);
}

void extatus__proto_reset(extatus__proto_writer *w)
{
    w->size = 0;
    w->failed = 0;
    w->depth = 0;
}

int extatus__proto_failed(const extatus__proto_writer *w)
{
    return w->failed || w->depth != 0;
}

int extatus__proto_reserve(extatus__proto_writer *w, size_t extra)
{
    if (w->failed)
        return -1;
    if (w->capacity - w->size >= extra)
        return 0;
    if (extra > SIZE_MAX / 2 - w->size) {
        w->failed = 1;
        return -1;
    }
    size_t capacity = w->capacity ? w->capacity : 256;
    while (capacity - w->size < extra)
        capacity *= 2;
    /* The allocator hook has no public realloc: copy into a new block. */
    unsigned char *data = extatus_malloc(capacity);
    if (!data) {
        w->failed = 1;
        return -1;
    }
    if (w->size)
        memcpy(data, w->data, w->size);
    extatus_free(w->data);
    w->data = data;
    w->capacity = capacity;
    return 0;
}

size_t extatus__proto_varint_size(uint64_t value)
{
    size_t size = 1;
    while (value >= 0x80) {
        value >>= 7;
        size++;
    }
    return size;
}

/* Write a varint into room already reserved. */
static inline void put_varint(extatus__proto_writer *w, uint64_t value)
{
    unsigned char *out = w->data + w->size;
    while (value >= 0x80) {
        *out++ = (unsigned char)(value | 0x80);
        value >>= 7;
    }
    *out++ = (unsigned char)value;
    w->size = (size_t)(out - w->data);
}

static inline void put_tag(extatus__proto_writer *w, uint32_t field, unsigned wire_type)
{
    put_varint(w, ((uint64_t)field << 3) | wire_type);
}

void extatus__proto_raw_varint(extatus__proto_writer *w, uint64_t value)
{
    if (extatus__proto_reserve(w, 10) == 0)
        put_varint(w, value);
}

void extatus__proto_uint64(extatus__proto_writer *w, uint32_t field, uint64_t value)
{
    if (extatus__proto_reserve(w, 15) != 0)
        return;
    put_tag(w, field, EXTATUS_PROTO_VARINT);
    put_varint(w, value);
}

void extatus__proto_int64(extatus__proto_writer *w, uint32_t field, int64_t value)
{
    /* Negative int32/int64 take ten bytes, as the wire format says. */
    extatus__proto_uint64(w, field, (uint64_t)value);
}

void extatus__proto_sint64(extatus__proto_writer *w, uint32_t field, int64_t value)
{
    uint64_t zigzag = ((uint64_t)value << 1) ^ (uint64_t)(0 - (int64_t)((uint64_t)value >> 63));
    extatus__proto_uint64(w, field, zigzag);
}

/* Field `field` as `width` little-endian bytes of `value` (wire type `wire_type`). */
static void put_fixed(extatus__proto_writer *w, uint32_t field, unsigned wire_type, uint64_t value,
                      unsigned width)
{
    if (extatus__proto_reserve(w, 5 + width) != 0)
        return;
    put_tag(w, field, wire_type);
    unsigned char *out = w->data + w->size;
    for (unsigned i = 0; i < width; i++)
        out[i] = (unsigned char)(value >> (8 * i));
    w->size += width;
}

void extatus__proto_fixed64(extatus__proto_writer *w, uint32_t field, uint64_t value)
{
    put_fixed(w, field, EXTATUS_PROTO_FIXED64, value, 8);
}

void extatus__proto_fixed32(extatus__proto_writer *w, uint32_t field, uint32_t value)
{
    put_fixed(w, field, EXTATUS_PROTO_FIXED32, value, 4);
}

void extatus__proto_double(extatus__proto_writer *w, uint32_t field, double value)
{
    uint64_t bits;
    memcpy(&bits, &value, sizeof(bits)); /* every bit kept: -0, NaN payloads */
    extatus__proto_fixed64(w, field, bits);
}

void extatus__proto_bytes(extatus__proto_writer *w, uint32_t field, const void *bytes, size_t size)
{
    if (size > SIZE_MAX - 15 || extatus__proto_reserve(w, 15 + size) != 0)
        return;
    put_tag(w, field, EXTATUS_PROTO_LEN);
    put_varint(w, size);
    if (size)
        memcpy(w->data + w->size, bytes, size);
    w->size += size;
}

void extatus__proto_string(extatus__proto_writer *w, uint32_t field, const char *text)
{
    extatus__proto_bytes(w, field, text, strlen(text));
}

void extatus__proto_begin(extatus__proto_writer *w, uint32_t field, size_t expected_size)
{
    if (w->depth >= EXTATUS_PROTO_MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    uint8_t room = (uint8_t)extatus__proto_varint_size(expected_size);
    if (extatus__proto_reserve(w, 5 + room) != 0)
        return;
    put_tag(w, field, EXTATUS_PROTO_LEN);
    w->size += room;
    w->open[w->depth] = w->size;
    w->room[w->depth] = room;
    w->depth++;
}

void extatus__proto_end(extatus__proto_writer *w)
{
    if (w->failed)
        return;
    if (w->depth == 0) {
        w->failed = 1;
        return;
    }
    w->depth--;
    size_t start = w->open[w->depth];
    size_t room = w->room[w->depth];
    size_t length = w->size - start;
    size_t need = extatus__proto_varint_size(length);
    if (need > room) {
        /* The body moves forward by the missing length bytes. */
        if (extatus__proto_reserve(w, need - room) != 0)
            return;
        memmove(w->data + start + (need - room), w->data + start, length);
        w->size += need - room;
    } else if (need < room) {
        /* The guess was too long: move the body back, keeping the encoding minimal. */
        memmove(w->data + start - (room - need), w->data + start, length);
        w->size -= room - need;
    }
    size_t keep = w->size;
    w->size = start - room;
    put_varint(w, length);
    w->size = keep;
}
