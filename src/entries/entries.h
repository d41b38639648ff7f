/*
 * entries.h - private helpers shared by the built-in histogram, summary
 * and spiral entries. Never installed.
 */
#ifndef EXTATUS_ENTRIES_H
#define EXTATUS_ENTRIES_H

#include "core/format.h"
#include "entries/common.h"

/* Registration of the built-in types (called from entries/builtin.c). */
int extatus__histogram_register(void);
int extatus__summary_register(void);
int extatus__spiral_register(void);

/* Bytes enough for any text extatus__format_canonical() writes, with NUL. */
#define EXTATUS__CANONICAL_MAX (EXTATUS__NUMBER_MAX + 1)

/*
 * Write the canonical label text of `value` (an le bound or a quantile),
 * NUL-terminated, into out[0..EXTATUS__CANONICAL_MAX): the same text the
 * exposition writes in le and quantile labels ("0.005", "1.0", "1e-05",
 * "+Inf"), independent of the C locale. Returns the text length.
 */
static inline int extatus__format_canonical(char *out, double value)
{
    char *end = extatus__format_bound(out, value);
    *end = '\0';
    return (int)(end - out);
}

/*
 * Epoch seconds of the realtime clock, the value of every "created"
 * datapoint.
 */
static inline double extatus__created_now(void)
{
    return (double)extatus__now_realtime_ns() / 1e9;
}

#endif /* EXTATUS_ENTRIES_H */
