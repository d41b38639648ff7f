/*
 * notify_fuzz.c - arbitrary datagrams through extatusd's parser of the
 * service notification protocol (tools/extatusd/notify.c).
 *
 * The input is one datagram. Checks: a datagram with a NUL byte is
 * refused; text fields point inside the datagram; STATUS= is cut to its
 * bound on a character boundary; a name that is not refused has a
 * bounded length and no newline; parsing twice gives the same answer.
 */
#include <string.h>

#include "fuzz.h"
#include "notify.h"

static bool inside(const char *field, size_t length, const uint8_t *data, size_t size)
{
    return field >= (const char *)data && field + length <= (const char *)data + size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > NOTIFY_DATAGRAM_MAX)
        return 0; /* the daemon drops these before parsing */
    notify_message message, again;
    int rc = notify_parse((const char *)data, size, &message);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (memchr(data, '\0', size))
        FUZZ_CHECK(rc == -1);
    if (rc != 0)
        return 0;
    FUZZ_CHECK(message.assignments > 0);
    FUZZ_CHECK(!(message.watchdog && message.watchdog_trigger));
    FUZZ_CHECK(message.mainpid >= 0 && message.mainpid <= 0x7fffffff);
    FUZZ_CHECK(message.errno_value >= -1 && message.errno_value <= 4095);
    if (message.status) {
        FUZZ_CHECK(inside(message.status, message.status_length, data, size));
        FUZZ_CHECK(message.status_length <= NOTIFY_STATUS_MAX);
        const char *after = message.status + message.status_length;
        FUZZ_CHECK(after == (const char *)data + size || *after == '\n' ||
                   ((unsigned char)*after & 0xc0) != 0x80);
    }
    if (message.name) {
        FUZZ_CHECK(inside(message.name, message.name_length, data, size));
        if (!message.name_invalid) {
            FUZZ_CHECK(message.name_length > 0 && message.name_length <= NOTIFY_NAME_MAX);
            FUZZ_CHECK(!memchr(message.name, '\n', message.name_length));
        }
    }
    FUZZ_CHECK(notify_parse((const char *)data, size, &again) == 0);
    FUZZ_CHECK(memcmp(&message, &again, sizeof message) == 0);
    return 0;
}
