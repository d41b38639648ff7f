/*
 * extatus/options.h - typed key/value options for metric creation and
 * setopts (exometer's option lists).
 *
 * An option list is an array of extatus_option plus its length. Build
 * entries with the EXTATUS_OPT_* macros:
 *
 *     const char *labels[] = {"method", "code"};
 *     extatus_option opts[] = {
 *         EXTATUS_OPT_STRING("help", "Requests served."),
 *         EXTATUS_OPT_STRINGS("labels", labels, 2),
 *     };
 *
 * Keys understood for every type (taken by the library, not the entry):
 *   "help"       STRING   help text (UTF-8 without carriage returns; may be empty)
 *   "unit"       STRING   OpenMetrics unit; the name must end in "_<unit>"
 *   "labels"     STRINGS  label names, in exposition order
 *   "max_series" NUMBER   series limit of the family (default: registry's)
 * Every other key goes to the type's entry, which refuses keys it does not
 * know with EXTATUS_ERR_OPTION.
 */
#ifndef EXTATUS_OPTIONS_H
#define EXTATUS_OPTIONS_H

#include "common.h"

EXTATUS_BEGIN_DECLS

typedef enum extatus_option_kind {
    EXTATUS_OPTION_STRING = 1,  /* string */
    EXTATUS_OPTION_NUMBER = 2,  /* number (integers too) */
    EXTATUS_OPTION_DOUBLES = 3, /* list: const double[count] */
    EXTATUS_OPTION_STRINGS = 4, /* list: const char *const[count] */
    EXTATUS_OPTION_POINTER = 5, /* pointer: user data */
    EXTATUS_OPTION_FUNCTION = 6 /* function: a callback, cast to extatus_option_fn */
} extatus_option_kind;

/* Generic function pointer carried by an option; cast back by the receiver. */
typedef void (*extatus_option_fn)(void);

typedef struct extatus_option {
    const char *key;            /* option name */
    extatus_option_kind kind;   /* which of the fields below holds the value */
    const char *string;         /* EXTATUS_OPTION_STRING */
    double number;              /* EXTATUS_OPTION_NUMBER */
    const void *list;           /* EXTATUS_OPTION_DOUBLES / _STRINGS */
    size_t count;               /* elements in list */
    void *pointer;              /* EXTATUS_OPTION_POINTER */
    extatus_option_fn function; /* EXTATUS_OPTION_FUNCTION */
} extatus_option;

#define EXTATUS_OPT_STRING(k, s)                                                                   \
    {                                                                                              \
        (k), EXTATUS_OPTION_STRING, (s), 0, NULL, 0, NULL, NULL                                    \
    }
#define EXTATUS_OPT_NUMBER(k, n)                                                                   \
    {                                                                                              \
        (k), EXTATUS_OPTION_NUMBER, NULL, (n), NULL, 0, NULL, NULL                                 \
    }
#define EXTATUS_OPT_DOUBLES(k, v, n)                                                               \
    {                                                                                              \
        (k), EXTATUS_OPTION_DOUBLES, NULL, 0, (v), (n), NULL, NULL                                 \
    }
#define EXTATUS_OPT_STRINGS(k, v, n)                                                               \
    {                                                                                              \
        (k), EXTATUS_OPTION_STRINGS, NULL, 0, (v), (n), NULL, NULL                                 \
    }
#define EXTATUS_OPT_POINTER(k, p)                                                                  \
    {                                                                                              \
        (k), EXTATUS_OPTION_POINTER, NULL, 0, NULL, 0, (p), NULL                                   \
    }
#define EXTATUS_OPT_FUNCTION(k, f)                                                                 \
    {                                                                                              \
        (k), EXTATUS_OPTION_FUNCTION, NULL, 0, NULL, 0, NULL, (extatus_option_fn)(f)               \
    }

/*
 * The last option in `opts[0..count)` whose key is `key`, or NULL.
 * Thread safety: any thread.
 */
EXTATUS_API const extatus_option *extatus_option_find(const extatus_option *opts, size_t count,
                                                      const char *key);

EXTATUS_END_DECLS

#endif /* EXTATUS_OPTIONS_H */
