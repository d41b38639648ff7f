/*
 * notify.h - the subset of the service notification protocol (sd_notify)
 * that extatusd reads: one datagram of newline-separated KEY=VALUE
 * assignments. Pure parsing, no system calls, so it can be fuzzed alone.
 */
#ifndef EXTATUSD_NOTIFY_H
#define EXTATUSD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest datagram read; a longer one is dropped as oversized. */
#define NOTIFY_DATAGRAM_MAX 4096
/* Longest STATUS= text kept (bytes); longer text is cut at a character boundary. */
#define NOTIFY_STATUS_MAX 256
/* Longest process name (bytes), the library's worker name limit. */
#define NOTIFY_NAME_MAX 127

/* What one datagram says. Text fields point into the parsed buffer. */
typedef struct notify_message {
    bool ready;             /* READY=1 */
    bool stopping;          /* STOPPING=1 */
    bool watchdog;          /* WATCHDOG=1 */
    bool watchdog_trigger;  /* WATCHDOG=trigger */
    bool barrier;           /* BARRIER=1 (its file descriptor is closed by the caller) */
    long mainpid;           /* MAINPID=, 0 when absent or invalid */
    uint64_t watchdog_usec; /* WATCHDOG_USEC=, 0 when absent or invalid */
    int errno_value;        /* ERRNO=, -1 when absent or invalid */
    const char *status;     /* STATUS= text (not NUL-terminated), NULL when absent */
    size_t status_length;   /* bytes of status, at most NOTIFY_STATUS_MAX */
    const char *name;       /* X_EXTATUS_NAME= value, NULL when absent */
    size_t name_length;
    bool name_invalid;    /* X_EXTATUS_NAME= given but empty or too long */
    unsigned assignments; /* KEY=VALUE lines read (known or not) */
} notify_message;

/*
 * Parse `length` bytes at `data` into `*message`. Unknown keys and lines
 * without '=' are ignored; a later assignment of the same key wins.
 * Returns 0, or -1 when the datagram holds a NUL byte or no assignment
 * at all (it is then refused whole).
 */
int notify_parse(const char *data, size_t length, notify_message *message);

#endif /* EXTATUSD_NOTIFY_H */
