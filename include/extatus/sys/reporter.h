/*
 * extatus/sys/reporter.h - the reporter behaviour: the plug-in interface
 * of reporters (after exometer_report's callbacks).
 *
 * A reporter is an operations table plus the state its init makes. The
 * library calls the methods of one reporter one at a time (never two
 * at once), from its scheduler's threads for deliveries and from the
 * calling thread for subscribe, unsubscribe, new_entry and terminate. A
 * method returning an error (init, report, report_bulk) marks the reporter
 * failed: terminate runs, and init runs again later, followed by subscribe
 * for every subscription it had. Methods must not call
 * extatus_reporter_add/_remove, extatus_subscribe/_unsubscribe or create
 * metrics (they would wait for themselves).
 *
 * Network I/O: a reporter that talks to a receiver connects and sends
 * with extatus_reporter_connect() and extatus_reporter_send() below. They
 * keep to the reporter's deadlines (library options connect_timeout and
 * send_timeout of extatus_reporter_add) and give up within
 * EXTATUS_REPORTER_STOP_SLICE_MS when the reporter is removed or the
 * library shuts down, so no receiver can hold a delivery, a removal or a
 * shutdown for longer. A reporter that does blocking I/O of its own has
 * none of these bounds.
 *
 * Stability: systems API, like extatus/sys/entry.h. The table is
 * versioned; methods are only appended; a table with an older version
 * keeps working.
 */
#ifndef EXTATUS_SYS_REPORTER_H
#define EXTATUS_SYS_REPORTER_H

#include "../common.h"
#include "../options.h"
#include "../report.h"

EXTATUS_BEGIN_DECLS

#define EXTATUS_REPORTER_OPS_VERSION 1

struct extatus_reporter_ops {
    /* EXTATUS_REPORTER_OPS_VERSION the table was written against. */
    unsigned version;

    /*
     * exometer_init (required). Make the state from the options given to
     * extatus_reporter_add (minus restart_delay) and store it in *state.
     * Refuse a bad option with EXTATUS_ERR_OPTION and a reason
     * (extatus_entry_error sets it).
     */
    int (*init)(void **state, const char *name, const extatus_option *options, size_t option_count);

    /*
     * exometer_report (required). Deliver one value. Return EXTATUS_OK,
     * or an error to mark the reporter failed.
     */
    int (*report)(void *state, const extatus_report_item *item);

    /*
     * exometer_report_bulk (optional; NULL: report is called per item).
     * Deliver every item of one interval at once.
     */
    int (*report_bulk)(void *state, const extatus_report_item *items, size_t count);

    /* exometer_subscribe (optional). A subscription was added (or handed back after a restart). */
    int (*subscribe)(void *state, const extatus_subscription *subscription);

    /* exometer_unsubscribe (optional). A subscription was removed. */
    void (*unsubscribe)(void *state, const extatus_subscription *subscription);

    /* exometer_newentry (optional). A family was created in registry `registry`. */
    void (*new_entry)(void *state, const char *registry, const char *metric, const char *type);

    /*
     * exometer_setopts (optional). extatus_setopts() changed options of
     * metric `metric` in registry `registry` (of one series or all).
     */
    void (*setopts)(void *state, const char *registry, const char *metric,
                    const extatus_option *options, size_t option_count);

    /*
     * exometer_terminate (optional). Free the state. `reason` is
     * EXTATUS_OK when the reporter is removed or the library shuts down,
     * or the error that made it fail.
     */
    void (*terminate)(void *state, int reason);
};

/* Longest a helper below waits before it sees that its reporter is being stopped. */
#define EXTATUS_REPORTER_STOP_SLICE_MS 20

/*
 * Open a TCP connection to host:port (any address family the name
 * resolves to, tried in turn) and store the descriptor in *fd (-1 on
 * failure). The connect waits at most the reporter's connect_timeout
 * (default 2000 ms) for all addresses together. The socket is
 * non-blocking and close-on-exec; the caller owns it. Name resolution
 * (getaddrinfo) is bounded by the system resolver's own timeouts, not by
 * connect_timeout: give a numeric address where that matters.
 * Errors: EXTATUS_ERR_INVALID (NULL argument), EXTATUS_ERR_SYSTEM (the
 * name does not resolve, the connect was refused, the deadline passed, or
 * the reporter is being stopped), with a message.
 * Thread safety: any thread; meant for a reporter's methods (outside
 * them the default deadline applies and nothing can abandon the wait).
 */
EXTATUS_API int extatus_reporter_connect(int *fd, const char *host, const char *port);

/*
 * Write `size` bytes of `data` to `fd` within the send deadline of the
 * delivery in progress: send_timeout (default 5000 ms) counted from the
 * delivery's first send, shared by all its sends. On a TCP socket it then
 * waits, within the same deadline, until the receiving host has
 * acknowledged every byte, so that a failure is reported when the
 * receiver closed or reset the connection instead of reading. A
 * descriptor that is not a socket keeps its flags and is written in
 * pieces of PIPE_BUF bytes when poll() says it takes data.
 * Errors: EXTATUS_ERR_STATE (the receiver had already closed the
 * connection: nothing was sent; reconnect and send again),
 * EXTATUS_ERR_SYSTEM (write error, reset, deadline passed, or the reporter
 * is being stopped; part of the data may have been sent),
 * EXTATUS_ERR_INVALID (fd < 0, data NULL).
 * Thread safety: as extatus_reporter_connect().
 */
EXTATUS_API int extatus_reporter_send(int fd, const void *data, size_t size);

EXTATUS_END_DECLS

#endif /* EXTATUS_SYS_REPORTER_H */
