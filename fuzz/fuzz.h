/*
 * fuzz.h - what every fuzz target provides, and shared helpers.
 *
 * Each <target>_fuzz.c defines LLVMFuzzerTestOneInput. Built with clang's
 * -fsanitize=fuzzer it is a libFuzzer target; linked with replay.c it is a
 * program that runs every file of a corpus once (how `make test` uses it,
 * under AddressSanitizer and UndefinedBehaviorSanitizer). A finding is an
 * abort: a crash, a sanitizer report, or a failed check below.
 */
#ifndef EXTATUS_FUZZ_H
#define EXTATUS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The strict OpenMetrics checker of the integration tests. */
bool om_check_buffer(const char *name, char *text, size_t size);

#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/*
 * The input as NUL-terminated lines: a copy (free it) whose lines are in
 * fields[0..*count), at most `max`; NULL when out of memory.
 */
static inline char *fuzz_lines(const uint8_t *data, size_t size, char **fields, size_t max,
                               size_t *count)
{
    char *copy = malloc(size + 1);
    *count = 0;
    if (!copy)
        return NULL;
    for (size_t i = 0; i < size; i++)
        copy[i] = (char)data[i];
    copy[size] = '\0';
    for (char *p = copy; *count < max;) {
        fields[(*count)++] = p;
        while (*p && *p != '\n')
            p++;
        if (!*p)
            break;
        *p++ = '\0';
    }
    return copy;
}

/* Reads bytes from the input as a stream; past the end it yields zeros. */
typedef struct fuzz_input {
    const uint8_t *data; /* the input */
    size_t size;         /* its length */
    size_t at;           /* next byte */
} fuzz_input;

static inline uint8_t fuzz_byte(fuzz_input *in)
{
    return in->at < in->size ? in->data[in->at++] : 0;
}

static inline bool fuzz_done(const fuzz_input *in)
{
    return in->at >= in->size;
}

/* A string of up to `max` bytes (length from the input) into `out` (NUL-terminated). */
static inline void fuzz_string(fuzz_input *in, char *out, size_t max)
{
    size_t length = fuzz_byte(in) % (max + 1);
    for (size_t i = 0; i < length; i++)
        out[i] = (char)fuzz_byte(in);
    out[length] = '\0';
}

#endif /* EXTATUS_FUZZ_H */
