/*
 * notify.c - parse one notification datagram (see notify.h).
 */
#include "notify.h"

#include <string.h>

/* A decimal number of at most 19 digits; false for anything else. */
static bool parse_unsigned(const char *text, size_t length, uint64_t *out)
{
    if (length == 0 || length > 19)
        return false;
    uint64_t value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        value = value * 10 + (uint64_t)(text[i] - '0');
    }
    *out = value;
    return true;
}

static bool value_is(const char *value, size_t length, const char *expected)
{
    return length == strlen(expected) && memcmp(value, expected, length) == 0;
}

/* The length of the longest prefix of at most `limit` bytes that ends on a character boundary. */
static size_t cut_at_character(const char *text, size_t length, size_t limit)
{
    if (length <= limit)
        return length;
    size_t cut = limit;
    while (cut > 0 && ((unsigned char)text[cut] & 0xc0) == 0x80)
        cut--;
    return cut;
}

static void assign(notify_message *m, const char *key, size_t key_length, const char *value,
                   size_t value_length)
{
    uint64_t number;
#define KEY_IS(literal) (key_length == sizeof(literal) - 1 && memcmp(key, literal, key_length) == 0)
    if (KEY_IS("READY")) {
        m->ready = value_is(value, value_length, "1");
    } else if (KEY_IS("STOPPING")) {
        m->stopping = value_is(value, value_length, "1");
    } else if (KEY_IS("WATCHDOG")) {
        m->watchdog = value_is(value, value_length, "1");
        m->watchdog_trigger = value_is(value, value_length, "trigger");
    } else if (KEY_IS("BARRIER")) {
        m->barrier = value_is(value, value_length, "1");
    } else if (KEY_IS("MAINPID")) {
        m->mainpid =
            parse_unsigned(value, value_length, &number) && number > 0 && number <= 0x7fffffff
                ? (long)number
                : 0;
    } else if (KEY_IS("WATCHDOG_USEC")) {
        m->watchdog_usec = parse_unsigned(value, value_length, &number) ? number : 0;
    } else if (KEY_IS("ERRNO")) {
        m->errno_value =
            parse_unsigned(value, value_length, &number) && number <= 4095 ? (int)number : -1;
    } else if (KEY_IS("STATUS")) {
        m->status = value;
        m->status_length = cut_at_character(value, value_length, NOTIFY_STATUS_MAX);
    } else if (KEY_IS("X_EXTATUS_NAME")) {
        m->name = value;
        m->name_length = value_length;
        /* Whether the bytes are UTF-8 is the library's rule, applied when the name is
         * registered; here only what no name can be. */
        m->name_invalid = value_length == 0 || value_length > NOTIFY_NAME_MAX;
    }
#undef KEY_IS
}

int notify_parse(const char *data, size_t length, notify_message *message)
{
    memset(message, 0, sizeof(*message));
    message->errno_value = -1;
    if (memchr(data, '\0', length))
        return -1;
    const char *end = data + length;
    const char *line = data;
    while (line < end) {
        const char *newline = memchr(line, '\n', (size_t)(end - line));
        const char *line_end = newline ? newline : end;
        const char *equals = memchr(line, '=', (size_t)(line_end - line));
        if (equals && equals > line) {
            assign(message, line, (size_t)(equals - line), equals + 1,
                   (size_t)(line_end - equals - 1));
            message->assignments++;
        }
        line = newline ? newline + 1 : end;
    }
    return message->assignments ? 0 : -1;
}
