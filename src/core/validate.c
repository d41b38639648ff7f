/*
 * validate.c - Prometheus name rules (legacy character set) and UTF-8.
 *
 * Byte ranges, never <ctype.h>: the host program's locale must not change
 * what is accepted.
 */
#include "core/internal.h"

static bool is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* */
bool extatus__valid_metric_name(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    if (!p || !*p || !(is_letter(*p) || *p == '_' || *p == ':'))
        return false;
    for (p++; *p; p++)
        if (!(is_letter(*p) || is_digit(*p) || *p == '_' || *p == ':'))
            return false;
    return true;
}

/* [a-zA-Z_][a-zA-Z0-9_]* */
bool extatus__valid_label_name(const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    if (!p || !*p || !(is_letter(*p) || *p == '_'))
        return false;
    for (p++; *p; p++)
        if (!(is_letter(*p) || is_digit(*p) || *p == '_'))
            return false;
    return true;
}

/*
 * Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF. On failure *bad_offset is the first bad byte.
 */
int extatus__check_utf8(const char *text, size_t length, size_t *bad_offset)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    while (i < length) {
        unsigned char c = s[i];
        size_t need;
        uint32_t code;
        uint32_t min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            need = 1, code = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            need = 2, code = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            need = 3, code = c & 0x07, min = 0x10000;
        } else {
            goto bad;
        }
        if (length - i <= need)
            goto bad;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                goto bad;
            code = (code << 6) | (s[i + k] & 0x3f);
        }
        if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
            goto bad;
        i += need + 1;
    }
    return EXTATUS_OK;
bad:
    if (bad_offset)
        *bad_offset = i;
    return EXTATUS_ERR_LABEL;
}
