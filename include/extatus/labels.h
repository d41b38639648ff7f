/*
 * extatus/labels.h - label values with their count.
 *
 * Every call that takes the label values of a series takes an
 * extatus_labels: the values and how many there are. The library checks
 * the count against the family's label names, so a missing or an extra
 * value is an error (EXTATUS_ERR_LABEL) instead of a read past the array.
 *
 * In C, count a list of values with EXTATUS_LABELS:
 *
 *     extatus_counter_get(&ok_gets, requests, EXTATUS_LABELS("GET", "200"));
 *     extatus_counter_get(&total, plain, EXTATUS_NO_LABELS);
 *
 * EXTATUS_LABELS builds an array (a compound literal) that lives until
 * the end of the enclosing block. With an array and its length (or in
 * C++, where compound literals do not exist) use extatus_labels_of():
 *
 *     const char *values[2] = {method, code};
 *     extatus_counter_get(&c, requests, extatus_labels_of(values, 2));
 *
 * C++ also counts a fixed-size array itself: extatus_labels_of(values).
 *
 * { NULL, 0 } (EXTATUS_NO_LABELS) means "no label values": right for a
 * family without labels, EXTATUS_ERR_LABEL for one with labels.
 * EXTATUS_ALL_SERIES names every series of a family; only extatus_reset()
 * and extatus_setopts() accept it.
 */
#ifndef EXTATUS_LABELS_H
#define EXTATUS_LABELS_H

#include "common.h"

EXTATUS_BEGIN_DECLS

/* The label values of one series, in the order of the family's label names. */
typedef struct extatus_labels {
    const char *const *values; /* `count` values (may be NULL when count is 0) */
    size_t count;              /* how many values; EXTATUS_LABELS_COUNT_ALL: every series */
} extatus_labels;

/* The count of EXTATUS_ALL_SERIES. */
#define EXTATUS_LABELS_COUNT_ALL ((size_t)-1)

/* `count` values from `values`. Thread safety: any thread. */
static inline extatus_labels extatus_labels_of(const char *const *values, size_t count)
{
    extatus_labels labels;
    labels.values = values;
    labels.count = count;
    return labels;
}

EXTATUS_END_DECLS

#ifdef __cplusplus
/* C++: the values of a fixed-size array, counted. */
template <size_t N> static inline extatus_labels extatus_labels_of(const char *const (&values)[N])
{
    return extatus_labels_of(values, N);
}

#define EXTATUS_NO_LABELS  (extatus_labels_of(NULL, 0))
#define EXTATUS_ALL_SERIES (extatus_labels_of(NULL, EXTATUS_LABELS_COUNT_ALL))
#else
/* C only: the values given, counted (at least one). */
#define EXTATUS_LABELS(...)                                                                        \
    ((extatus_labels){(const char *const[]){__VA_ARGS__},                                          \
                      sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)})

#define EXTATUS_NO_LABELS  ((extatus_labels){NULL, 0})
#define EXTATUS_ALL_SERIES ((extatus_labels){NULL, EXTATUS_LABELS_COUNT_ALL})
#endif

#endif /* EXTATUS_LABELS_H */
