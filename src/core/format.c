/*
 * format.c - numbers and escaping for the exposition writers.
 *
 * Integers are converted by hand (two digits per step). Doubles that hold
 * an integer below 2^53 take the same path: their exact digits, without
 * trailing zeros, are already the shortest text that reads back. Other
 * doubles get their digits from "%.*e" at 15, 16 and then 17 significant
 * digits, keeping the first that reads back to the same value; any
 * decimal of up to 15 digits that reads back is the unique nearest
 * 15-digit decimal, so the search returns the shortest text and, among
 * texts of that length, the nearest one (what Go's shortest formatting
 * returns).
 *
 * The C locale is never consulted: the digits of the printf output are
 * picked out whatever the radix character is, and the check reads back a
 * text without a radix ("1234567e-10"), which strtod parses the same in
 * every locale.
 */
#include "core/format.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

char *extatus__format_uint(char *dst, uint64_t value)
{
    char tmp[20];
    char *p = tmp + sizeof(tmp);
    while (value >= 100) {
        unsigned pair = (unsigned)(value % 100) * 2;
        value /= 100;
        *--p = digit_pairs[pair + 1];
        *--p = digit_pairs[pair];
    }
    if (value >= 10) {
        unsigned pair = (unsigned)value * 2;
        *--p = digit_pairs[pair + 1];
        *--p = digit_pairs[pair];
    } else {
        *--p = (char)('0' + value);
    }
    size_t length = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(dst, p, length);
    return dst + length;
}

char *extatus__format_int(char *dst, int64_t value)
{
    if (value < 0) {
        *dst++ = '-';
        /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
        return extatus__format_uint(dst, 0 - (uint64_t)value);
    }
    return extatus__format_uint(dst, (uint64_t)value);
}

static char *copy_text(char *dst, const char *text, size_t length)
{
    memcpy(dst, text, length);
    return dst + length;
}

/*
 * Digits of `magnitude` (> 0) rounded to `precision` significant digits:
 * fills digits[0..precision) and *point, the position of the decimal
 * point relative to the first digit (value = 0.d1d2... * 10^point).
 */
static void round_digits(double magnitude, int precision, char *digits, int *point)
{
    char text[64];
    snprintf(text, sizeof(text), "%.*e", precision - 1, magnitude);
    const char *p = text;
    int count = 0;
    /* Skip the radix character, whatever the locale made of it. */
    while (*p != '\0' && *p != 'e') {
        if (*p >= '0' && *p <= '9' && count < precision)
            digits[count++] = *p;
        p++;
    }
    int exponent = 0;
    if (*p == 'e') {
        p++;
        int negative = *p == '-';
        if (*p == '-' || *p == '+')
            p++;
        while (*p >= '0' && *p <= '9')
            exponent = exponent * 10 + (*p++ - '0');
        if (negative)
            exponent = -exponent;
    }
    *point = exponent + 1;
}

/* True when digits[0..count) * 10^(point - count) reads back as `magnitude`. */
static bool reads_back(const char *digits, int count, int point, double magnitude)
{
    char text[64];
    char *p = copy_text(text, digits, (size_t)count);
    *p++ = 'e';
    p = extatus__format_int(p, point - count);
    *p = '\0';
    return strtod(text, NULL) == magnitude;
}

/* Add one unit in the last place of digits[0..count); may move the point. */
static void round_up_last(char *digits, int count, int *point)
{
    int i = count - 1;
    while (i >= 0 && digits[i] == '9')
        digits[i--] = '0';
    if (i >= 0) {
        digits[i]++;
    } else {
        digits[0] = '1';
        (*point)++;
    }
}

/*
 * The shortest digits that read back as `magnitude` (> 0, finite),
 * nearest first; returns their count (trailing zeros removed).
 */
static int shortest_digits(double magnitude, char *digits, int *point)
{
    /* Subnormals have fewer significant bits: search from one digit up. */
    int first = magnitude < DBL_MIN ? 1 : 15;
    int count = 17;
    for (int precision = first; precision <= 17; precision++) {
        round_digits(magnitude, precision, digits, point);
        if (precision == 17 || reads_back(digits, precision, *point, magnitude)) {
            count = precision;
            break;
        }
        /*
         * A power of two has a rounding interval twice as wide above as
         * below, so when the nearest 16-digit decimal (below) misses, the
         * one above may still read back.
         */
        int exponent;
        if (precision == 16 && frexp(magnitude, &exponent) == 0.5) {
            char up[17];
            int up_point = *point;
            memcpy(up, digits, 16);
            round_up_last(up, 16, &up_point);
            if (reads_back(up, 16, up_point, magnitude)) {
                memcpy(digits, up, 16);
                *point = up_point;
                count = 16;
                break;
            }
        }
    }
    /* digits[0..count) were all written above; the analyzer loses track. */
    // cppcheck-suppress uninitvar
    // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult)
    while (count > 1 && digits[count - 1] == '0')
        count--;
    return count;
}

/* Lay out digits like Go's 'g' with shortest precision (see format.h). */
static char *layout(char *dst, bool negative, const char *digits, int count, int point,
                    bool openmetrics)
{
    if (negative)
        *dst++ = '-';
    int exponent = point - 1;
    if (exponent < -4 || exponent >= 6) {
        *dst++ = digits[0];
        if (count > 1) {
            *dst++ = '.';
            dst = copy_text(dst, digits + 1, (size_t)count - 1);
        }
        *dst++ = 'e';
        if (exponent < 0) {
            *dst++ = '-';
            exponent = -exponent;
        } else {
            *dst++ = '+';
        }
        if (exponent < 10)
            *dst++ = '0';
        return extatus__format_uint(dst, (uint64_t)exponent);
    }
    if (point <= 0) {
        *dst++ = '0';
        *dst++ = '.';
        for (int i = point; i < 0; i++)
            *dst++ = '0';
        return copy_text(dst, digits, (size_t)count);
    }
    if (point < count) {
        dst = copy_text(dst, digits, (size_t)point);
        *dst++ = '.';
        return copy_text(dst, digits + point, (size_t)(count - point));
    }
    dst = copy_text(dst, digits, (size_t)count);
    for (int i = count; i < point; i++)
        *dst++ = '0';
    if (openmetrics) {
        *dst++ = '.';
        *dst++ = '0';
    }
    return dst;
}

char *extatus__format_double(char *dst, double value, bool openmetrics)
{
    if (isnan(value))
        return copy_text(dst, "NaN", 3);
    if (isinf(value))
        return value > 0 ? copy_text(dst, "+Inf", 4) : copy_text(dst, "-Inf", 4);
    if (value == 0) { /* the sign of -0 is kept, as Go's FormatFloat keeps it */
        if (signbit(value))
            *dst++ = '-';
        return openmetrics ? copy_text(dst, "0.0", 3) : copy_text(dst, "0", 1);
    }

    bool negative = value < 0;
    double magnitude = negative ? -value : value;
    char digits[20];
    int count;
    int point;
    if (magnitude < 9007199254740992.0 && magnitude == floor(magnitude)) {
        /* An integer below 2^53: its exact digits are the shortest. */
        char *end = extatus__format_uint(digits, (uint64_t)magnitude);
        count = (int)(end - digits);
        point = count;
        while (count > 1 && digits[count - 1] == '0')
            count--;
    } else {
        count = shortest_digits(magnitude, digits, &point);
    }
    return layout(dst, negative, digits, count, point, openmetrics);
}

size_t extatus__escape_size(const char *text, size_t length, bool quote)
{
    size_t size = length;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '\\' || c == '\n' || (quote && c == '"'))
            size++;
    }
    return size;
}

char *extatus__escape(char *dst, const char *text, size_t length, bool quote)
{
    size_t start = 0;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        char escaped;
        if (c == '\\')
            escaped = '\\';
        else if (c == '\n')
            escaped = 'n';
        else if (c == '"' && quote)
            escaped = '"';
        else
            continue;
        /* Copy the plain run before the special byte in one go. */
        dst = copy_text(dst, text + start, i - start);
        *dst++ = '\\';
        *dst++ = escaped;
        start = i + 1;
    }
    return copy_text(dst, text + start, length - start);
}
