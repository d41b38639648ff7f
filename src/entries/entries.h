/*
 * entries.h - private helpers shared by the built-in histogram, summary
 * and spiral entries. Never installed.
 */
#ifndef EXTATUS_ENTRIES_H
#define EXTATUS_ENTRIES_H

#include "entries/common.h"

/* Registration of the built-in types (called from entries/builtin.c). */
int extatus__histogram_register(void);
int extatus__summary_register(void);
int extatus__spiral_register(void);

/* Bytes enough for any text extatus__format_canonical() writes, with NUL. */
#define EXTATUS__CANONICAL_MAX 32

/*
 * Write the canonical label text of `value` (an le bound or a quantile)
 * into out[0..EXTATUS__CANONICAL_MAX): the shortest decimal that reads
 * back as the same double, laid out like Go's strconv 'g' format with
 * ".0" appended when the text would look like an integer: "0.005",
 * "1.0", "1e-05", "1e+06", "+Inf", "-Inf", "NaN". -0 is written as "0.0".
 * The result never depends on the C locale. Returns the text length, or
 * EXTATUS_ERR_NOMEM if the C locale object could not be made.
 */
int extatus__format_canonical(char *out, double value);

/*
 * Epoch seconds of the realtime clock, the value of every "created"
 * datapoint.
 */
static inline double extatus__created_now(void)
{
    return (double)extatus__now_realtime_ns() / 1e9;
}

#endif /* EXTATUS_ENTRIES_H */
