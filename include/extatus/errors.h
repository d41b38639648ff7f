/*
 * extatus/errors.h - error codes and the per-thread error message.
 *
 * Every fallible call returns an int: EXTATUS_OK (0) or a negative
 * extatus_err. Codes are only ever appended, never renumbered. On failure
 * the calling thread's last-error message names what was wrong (the bad
 * metric, label, option or value).
 */
#ifndef EXTATUS_ERRORS_H
#define EXTATUS_ERRORS_H

#include "common.h"

EXTATUS_BEGIN_DECLS

typedef enum extatus_err {
    EXTATUS_OK = 0,                /* success */
    EXTATUS_ERR_NOMEM = -1,        /* an allocation failed */
    EXTATUS_ERR_INVALID = -2,      /* an argument is invalid (NULL, out of domain) */
    EXTATUS_ERR_NAME = -3,         /* a metric name is invalid */
    EXTATUS_ERR_LABEL = -4,        /* a label name or value is invalid or reserved */
    EXTATUS_ERR_EXISTS = -5,       /* the name is taken by a different definition */
    EXTATUS_ERR_NOT_FOUND = -6,    /* no such registry, family, series or type */
    EXTATUS_ERR_TYPE = -7,         /* the metric is not of the type the call needs */
    EXTATUS_ERR_LIMIT = -8,        /* a configured limit (series per family) is reached */
    EXTATUS_ERR_RANGE = -9,        /* a value is out of range (negative counter increment) */
    EXTATUS_ERR_OPTION = -10,      /* an option is unknown or its value is bad */
    EXTATUS_ERR_STATE = -11,       /* the call is not allowed in the current state */
    EXTATUS_ERR_NOSPACE = -12,     /* a caller-owned buffer is too small */
    EXTATUS_ERR_CALLBACK = -13,    /* a user callback (entry, function) failed */
    EXTATUS_ERR_UNSUPPORTED = -14, /* the entry or build does not support the call */
    EXTATUS_ERR_SYSTEM = -15       /* an operating-system call failed (see errno) */
} extatus_err;

/*
 * A short static description of `code`; never NULL (unknown codes give
 * "unknown error").
 * Thread safety: any thread.
 */
EXTATUS_API const char *extatus_strerror(int code);

/*
 * The calling thread's message for its last failed call, for example
 * "invalid metric name '9lives': must match [a-zA-Z_:][a-zA-Z0-9_:]*".
 * Never NULL; "" when no call has failed. Valid until the thread's next
 * extatus call. Meaningful right after a call that returned an error: a
 * successful call neither sets nor clears it, and failures the library
 * absorbs inside a successful call leave no message.
 * Thread safety: any thread; each thread has its own message.
 */
EXTATUS_API const char *extatus_error_last(void);

/*
 * The code of the calling thread's last failure, EXTATUS_OK if none.
 * Successful calls leave the last error in place.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_error_last_code(void);

/* Forget the calling thread's last error. Thread safety: any thread. */
EXTATUS_API void extatus_error_clear(void);

EXTATUS_END_DECLS

#endif /* EXTATUS_ERRORS_H */
