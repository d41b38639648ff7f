/*
 * proto_encode.h - a small streaming encoder of the protobuf wire format.
 *
 * It writes fields in the order the caller gives them into one growing
 * buffer: varints, zigzag varints, fixed 32/64-bit values, doubles,
 * length-delimited bytes and strings, packed repeated varints, and
 * embedded messages. An embedded message is opened with
 * extatus__proto_begin(), written field by field, and closed with
 * extatus__proto_end(), which writes its length in front of it: the
 * opening reserves one byte for the length (or two, when the caller
 * expects a longer message) and the closing moves the body along when the
 * length needs more bytes than reserved. No schema, no intermediate
 * objects, no size pass.
 *
 * The writer knows no remote write and no metric: it is the wire format
 * alone, so that every protobuf payload of the project (remote write
 * here, the protobuf exposition later) shares it. It depends on libc and
 * the library's allocator only.
 *
 * Errors are sticky: a failed allocation sets `failed`, later calls do
 * nothing, and the caller checks once at the end (extatus__proto_failed).
 * Thread safety: a writer is used by one thread at a time.
 */
#ifndef EXTATUS_PUSH_PROTO_ENCODE_H
#define EXTATUS_PUSH_PROTO_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of embedded messages a writer takes. */
#define EXTATUS_PROTO_MAX_DEPTH 8

typedef struct extatus__proto_writer {
    unsigned char *data;                   /* the encoded bytes */
    size_t size;                           /* bytes written */
    size_t capacity;                       /* bytes allocated at data */
    int failed;                            /* an allocation failed; nothing more is written */
    unsigned depth;                        /* embedded messages open */
    size_t open[EXTATUS_PROTO_MAX_DEPTH];  /* where each open message's body starts */
    uint8_t room[EXTATUS_PROTO_MAX_DEPTH]; /* length bytes reserved before that body */
} extatus__proto_writer;

/* The wire types of the protobuf encoding. */
enum {
    EXTATUS_PROTO_VARINT = 0,
    EXTATUS_PROTO_FIXED64 = 1,
    EXTATUS_PROTO_LEN = 2,
    EXTATUS_PROTO_FIXED32 = 5
};

/* An empty writer (no memory until the first write). */
void extatus__proto_init(extatus__proto_writer *w);

/* Free the writer's memory; the writer is empty again. */
void extatus__proto_dispose(extatus__proto_writer *w);

/* Forget the bytes but keep the memory, for the next message. */
void extatus__proto_reset(extatus__proto_writer *w);

/* Make room for `extra` more bytes; returns 0, or -1 (and sets failed). */
int extatus__proto_reserve(extatus__proto_writer *w, size_t extra);

/* Nonzero when an allocation failed or begin/end did not pair up. */
int extatus__proto_failed(const extatus__proto_writer *w);

/* Bytes a value takes as a varint (1 to 10). */
size_t extatus__proto_varint_size(uint64_t value);

/* A bare varint, without a tag (inside a packed field). */
void extatus__proto_raw_varint(extatus__proto_writer *w, uint64_t value);

/* Field `field` as a varint: uint32/uint64/bool/enum, and int32/int64 (two's complement). */
void extatus__proto_uint64(extatus__proto_writer *w, uint32_t field, uint64_t value);
void extatus__proto_int64(extatus__proto_writer *w, uint32_t field, int64_t value);

/* Field `field` as a zigzag varint (sint32/sint64). */
void extatus__proto_sint64(extatus__proto_writer *w, uint32_t field, int64_t value);

/* Field `field` as 8 or 4 little-endian bytes (fixed64/sfixed64/double, fixed32/float). */
void extatus__proto_fixed64(extatus__proto_writer *w, uint32_t field, uint64_t value);
void extatus__proto_fixed32(extatus__proto_writer *w, uint32_t field, uint32_t value);
void extatus__proto_double(extatus__proto_writer *w, uint32_t field, double value);

/* Field `field` as length-delimited bytes (bytes, string). */
void extatus__proto_bytes(extatus__proto_writer *w, uint32_t field, const void *bytes, size_t size);
void extatus__proto_string(extatus__proto_writer *w, uint32_t field, const char *text);

/*
 * Open an embedded message (or a packed repeated field) as field `field`;
 * `expected_size` is a guess of its body's size, used only to reserve the
 * right number of length bytes (0 when unknown). Close it with
 * extatus__proto_end().
 */
void extatus__proto_begin(extatus__proto_writer *w, uint32_t field, size_t expected_size);
void extatus__proto_end(extatus__proto_writer *w);

#endif /* EXTATUS_PUSH_PROTO_ENCODE_H */
