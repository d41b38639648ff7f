/*
 * format.h - the pure text pieces shared by the exposition writers and the
 * entries (canonical le and quantile names): numbers and
 * escaping. Nothing here allocates, takes a lock or looks at the C locale.
 *
 * Every writer takes a destination with enough room (see the *_MAX sizes
 * and extatus__escape_size()) and returns the end of what it wrote. No
 * terminating NUL is written.
 */
#ifndef EXTATUS_CORE_FORMAT_H
#define EXTATUS_CORE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text of one number: "-1.2345678901234567e-308" plus ".0" fits. */
#define EXTATUS__NUMBER_MAX 32

/* Decimal text of an integer: "0", "-42", "18446744073709551615". */
char *extatus__format_uint(char *dst, uint64_t value);
char *extatus__format_int(char *dst, int64_t value);

/*
 * A double as the shortest text that reads back to the same value, laid
 * out like Go's strconv.FormatFloat(v, 'g', -1, 64): exponent form when the
 * decimal exponent is < -4 or >= 6 ("1e-05", "1.5e+06"), plain otherwise
 * ("0.001", "123456"). Specials are "NaN", "+Inf", "-Inf"; zeros are "0"
 * and "-0" (the sign reads back). With `openmetrics`, a result without '.' or 'e' gets ".0"
 * appended
 * ("2.0", "0.0"), as the OpenMetrics Go writer does, so a float is never
 * mistaken for an integer.
 */
char *extatus__format_double(char *dst, double value, bool openmetrics);

/*
 * The canonical text of an `le` or `quantile` label value: the
 * OpenMetrics float form ("1.0", "0.005", "1e-05", "+Inf"). Used by both
 * formats so that series identity never depends on the format.
 */
static inline char *extatus__format_bound(char *dst, double bound)
{
    return extatus__format_double(dst, bound, true);
}

/*
 * Escape `length` bytes of `text` for a HELP line or a quoted value:
 * backslash becomes \\ and line feed \n; with `quote`, a double quote
 * becomes \" as well (OpenMetrics HELP and UNIT, label values). Every
 * other byte is copied unchanged. `dst` needs extatus__escape_size() bytes.
 */
char *extatus__escape(char *dst, const char *text, size_t length, bool quote);

/* Bytes extatus__escape() writes for `text` (at most 2 * length). */
size_t extatus__escape_size(const char *text, size_t length, bool quote);

#endif /* EXTATUS_CORE_FORMAT_H */
