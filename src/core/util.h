/*
 * util.h - the services every part of the library uses: compiler hints,
 * the string hash, errors, allocation, clocks, name checks, option
 * helpers and the output buffer. Private to the library (never
 * installed); names are extatus__ and hidden. Any layer may include it.
 */
#ifndef EXTATUS_CORE_UTIL_H
#define EXTATUS_CORE_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extatus.h"
#include "extatus/sys/entry.h"

#if defined(__GNUC__) || defined(__clang__)
#define EXTATUS__LIKELY(x)    __builtin_expect(!!(x), 1)
#define EXTATUS__UNLIKELY(x)  __builtin_expect(!!(x), 0)
#define EXTATUS__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define EXTATUS__TLS_FAST     __attribute__((tls_model("initial-exec")))
#else
#define EXTATUS__LIKELY(x)   (x)
#define EXTATUS__UNLIKELY(x) (x)
#define EXTATUS__PRINTF(f, a)
#define EXTATUS__TLS_FAST
#endif

/*
 * End of `field` in `type`: the size of a versioned table (entry ops,
 * reporter ops) written against the version whose last member it is. A
 * caller built against an older header passes a shorter struct, so a copy
 * takes only that many bytes.
 */
#define EXTATUS__FIELD_END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/*
 * The library's one string hash, FNV-1a (32 bits): start from
 * EXTATUS__HASH_INIT and fold text or single bytes in. Family series
 * tables and the worker-name table both use it.
 */
#define EXTATUS__HASH_INIT 2166136261u

static inline uint32_t extatus__hash_byte(uint32_t hash, unsigned char byte)
{
    return (hash ^ byte) * 16777619u;
}

static inline uint32_t extatus__hash_text(uint32_t hash, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = extatus__hash_byte(hash, *p);
    return hash;
}

/* ---- errors (core/error.c) ------------------------------------------ */

/*
 * Record `code` and a formatted message for the calling thread; the
 * expression's value is `code`. A macro so that callers (and static
 * analysis) see the code that is returned.
 */
void extatus__error_set(int code, const char *format, ...) EXTATUS__PRINTF(2, 3);
#define extatus__error(code, ...) (extatus__error_set((code), __VA_ARGS__), (code))
int extatus__error_v(int code, const char *format, va_list args) EXTATUS__PRINTF(2, 0);
/*
 * Around internal best-effort work whose failures are not returned to the
 * caller: such failures must not leave a message (extatus_error_last()
 * speaks only of the caller's own failed call). Sections nest; per thread.
 */
/*
 * Whether a callback (an entry's, a reporter's) gave a reason for its
 * failure: take a mark before calling it, and after a failure call
 * extatus__error_unless_since, which records `format` only when no message
 * was recorded since the mark. The message is never cleared for this, so a
 * success keeps the text of an earlier failure (docs/errors.md).
 */
uint64_t extatus__error_mark(void);
int extatus__error_unless_since(uint64_t mark, int code, const char *format, ...)
    EXTATUS__PRINTF(3, 4);
void extatus__error_quiet_begin(void);
void extatus__error_quiet_end(void);

/* ---- allocation (core/alloc.c) --------------------------------------- */

void *extatus__malloc(size_t size);
void *extatus__calloc(size_t count, size_t size); /* zeroed; overflow-checked */
void *extatus__realloc(void *ptr, size_t size);
void extatus__free(void *ptr);
char *extatus__strdup(const char *text); /* NULL in, NULL out */

/* Set up the library if it is not (idempotent, thread-safe). */
int extatus__ensure_init(void);
/* Is the library initialised right now? */
bool extatus__initialized(void);

/* ---- time (core/clock.c) ---------------------------------------------- */

int64_t extatus__now_realtime_ns(void);        /* CLOCK_REALTIME */
int64_t extatus__now_monotonic_ns(void);       /* CLOCK_MONOTONIC */
int64_t extatus__now_coarse_ns(void);          /* CLOCK_MONOTONIC_COARSE: cheap, ms resolution */
int64_t extatus__now_realtime_coarse_ns(void); /* CLOCK_REALTIME_COARSE: cheap, ms resolution */

/* ---- names and labels (core/validate.c) ------------------------------ */

bool extatus__valid_metric_name(const char *name);
bool extatus__valid_label_name(const char *name);
/* EXTATUS_OK or EXTATUS_ERR_LABEL with a message naming label and family. */
int extatus__check_utf8(const char *text, size_t length, size_t *bad_offset);

/* ---- options (core/options.c) ----------------------------------------- */

/* Deep copy of an option list (strings and lists copied). */
int extatus__options_copy(extatus_option **out, const extatus_option *options, size_t count);
void extatus__options_free(extatus_option *options, size_t count);
/*
 * Merge copies of options[0..add) into the deep-copied list *list of
 * *count options: a key already there gets the new value, a new key is
 * appended, so setopts never grows a list beyond one option per key. On
 * failure (EXTATUS_ERR_NOMEM) the list is unchanged.
 */
int extatus__options_merge(extatus_option **list, size_t *count, const extatus_option *options,
                           size_t add);
/* True when `value` is a whole number in [min, max] (false for NaN). */
static inline bool extatus__is_whole(double value, double min, double max)
{
    return value >= min && value <= max && value == (double)(int64_t)value;
}

/*
 * A whole number of milliseconds in [min, max] from a NUMBER option, into
 * *out; else EXTATUS_ERR_OPTION naming "<owner_kind> '<owner>'", the key
 * and the range.
 */
int extatus__option_ms(int64_t *out, const extatus_option *opt, int64_t min, int64_t max,
                       const char *owner_kind, const char *owner);

/* True if `key` is taken by the library rather than the entry. */
bool extatus__option_is_common(const char *key);

/* ---- output buffer (core/buf.c) --------------------------------------- */

/* Make room for `extra` more bytes (plus NUL); fixed buffers just count. */
int extatus__buf_reserve(extatus_buf *buf, size_t extra);
int extatus__buf_append(extatus_buf *buf, const char *data, size_t length);

#endif /* EXTATUS_CORE_UTIL_H */
