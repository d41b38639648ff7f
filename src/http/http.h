/*
 * http.h - private interfaces of the extatus-http library (never
 * installed). This library sees the core only through the public API;
 * names shared between its files are extatus__http_ and hidden.
 */
#ifndef EXTATUS_HTTP_INTERNAL_H
#define EXTATUS_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "extatus.h"
#include "extatus/sys/entry.h"

#if defined(__GNUC__) || defined(__clang__)
#define EXTATUS__HTTP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EXTATUS__HTTP_PRINTF(f, a)
#endif

/* ---- the status page (landing.c) ----------------------------------------- */

/*
 * The HTML of the status page at / (landing.c), linking to `metrics_path`
 * (no character in it may need escaping in HTML); free with
 * extatus_free(). NULL when out of memory.
 */
char *extatus__http_landing_page(const char *metrics_path);

/* ---- clock (clock.c) ----------------------------------------------------- */

struct timespec;
/* CLOCK_MONOTONIC in milliseconds and in seconds. */
int64_t extatus__http_now_ms(void);
double extatus__http_now_seconds(void);
/* The CLOCK_MONOTONIC instant `ms` (from extatus__http_now_ms) as a timespec. */
void extatus__http_timespec_of_ms(struct timespec *out, int64_t ms);

/* ---- negotiation (negotiate.c) ---------------------------------------- */

/*
 * The format to serve for an Accept header value (NULL: header absent):
 * OpenMetrics 1.0.0 when the client gives it a higher preference than
 * text 0.0.4, text 0.0.4 otherwise (including when it accepts neither).
 */
extatus_format extatus__http_negotiate_format(const char *accept);

/* True when an Accept-Encoding value (NULL: absent) lets us send gzip. */
bool extatus__http_accepts_gzip(const char *accept_encoding);

/* ---- gzip (gzip.c) ------------------------------------------------------ */

/*
 * Compress in[0..size) into a new library-owned buffer `out` as one gzip
 * member at `level` (1..12). Errors: EXTATUS_ERR_NOMEM.
 */
int extatus__http_gzip(extatus_buf *out, const char *in, size_t size, int level);

/* ---- self-metrics (render.c) -------------------------------------------- */

/* Count one answered request with status `code` in `registry`'s counter. */
void extatus__http_count_request(extatus_registry *registry, unsigned code);

/*
 * The unlabelled counter `name` of `registry`, created with `help` on
 * first use; NULL when it cannot be had (then nothing is counted).
 */
extatus_counter *extatus__http_self_counter(extatus_registry *registry, const char *name,
                                            const char *help);

struct MHD_Connection;

/* ---- request framing (request.c) ---------------------------------------- */

/* What the header lines of one request head say about its framing. */
typedef struct extatus__http_framing {
    bool http_1_0;            /* the request is HTTP/1.0 */
    unsigned hosts;           /* Host lines */
    unsigned content_lengths; /* Content-Length lines */
    bool transfer_encoding;   /* a Transfer-Encoding line was seen */
    bool chunked_seen;        /* chunked was named */
    bool chunked_not_last;    /* a coding followed chunked */
    bool unknown_coding;      /* a coding other than chunked was named */
    unsigned status;          /* first fault found in a line: 400; 0: none */
    const char *reason;       /* its reason (static text) */
} extatus__http_framing;

void extatus__http_framing_init(extatus__http_framing *framing, bool http_1_0);
/* Add one header line (name and value as received, with their lengths). */
void extatus__http_framing_add(extatus__http_framing *framing, const char *name, size_t name_length,
                               const char *value, size_t value_length);
/*
 * The status to answer when the head must be refused (400, or 501 for a
 * transfer coding other than chunked) with the reason as static text, or
 * 0 when its framing is sound.
 */
unsigned extatus__http_framing_verdict(const extatus__http_framing *framing, const char **reason);

/* ---- connection guard (guard.c) ----------------------------------------- */

/*
 * Every open connection of one exporter, with a deadline for its request
 * head, and eviction of the oldest connection that waits for a head when
 * the limit is reached (see guard.c).
 */
typedef struct extatus__http_guard extatus__http_guard;

/* One open connection (the socket context libmicrohttpd keeps for us). */
typedef struct extatus__http_conn extatus__http_conn;

typedef struct extatus__http_guard_options {
    unsigned limit;           /* connections before the oldest waiting one is evicted */
    unsigned head_timeout_ms; /* first request head, counted from accept */
    unsigned idle_timeout_ms; /* later heads, counted from the end of the previous response */
    bool tls;                 /* no plain-text 408 can be written on timeout */
    extatus_registry *self;   /* where evictions and timeouts are counted; NULL: nowhere */
} extatus__http_guard_options;

int extatus__http_guard_new(extatus__http_guard **out, const extatus__http_guard_options *options);
/* Stop the deadline thread and free (after the server stopped). NULL: no-op. */
void extatus__http_guard_free(extatus__http_guard *guard);
/*
 * A connection was accepted: record it in *socket_context (NULL when out
 * of memory: the connection is shut at once) and, at the limit, evict
 * the oldest connection that waits for a request head.
 */
void extatus__http_guard_opened(extatus__http_guard *guard, struct MHD_Connection *connection,
                                void **socket_context);
/* A connection is closing: forget it. */
void extatus__http_guard_closed(extatus__http_guard *guard, void **socket_context);
/* The guard's record of `connection`; NULL when it has none. */
extatus__http_conn *extatus__http_guard_find(struct MHD_Connection *connection);
/* A request line was read: remember where its target starts (URI log callback). */
void extatus__http_conn_target(extatus__http_conn *conn, const char *target);
/* A percent-encoded NUL was found in the target. */
void extatus__http_conn_bad_target(extatus__http_conn *conn);
/*
 * True when the target of the current request held a NUL, raw or
 * percent-encoded: `method` and `version` are the pointers libmicrohttpd
 * passed for the request, into the same buffer as the target.
 */
bool extatus__http_conn_target_has_nul(const extatus__http_conn *conn, const char *method,
                                       const char *version);
/* A response is queued: no deadline until it is sent (stream: never again). */
void extatus__http_conn_busy(extatus__http_conn *conn, bool stream);
/* The response was sent: the next head is due within the idle timeout. */
void extatus__http_conn_done(extatus__http_conn *conn);

/* ---- GET /events (events.c) --------------------------------------------- */

/* The Server-Sent Events streams of one exporter, and their watcher thread. */
typedef struct extatus__http_events extatus__http_events;
struct MHD_Connection;
struct MHD_Response;

/*
 * `connection_timeout_s` sets the keepalive (0: none configured); streams
 * closed for falling behind are counted in `self` (NULL: nowhere).
 */
int extatus__http_events_new(extatus__http_events **out, unsigned connection_timeout_s,
                             extatus_registry *self);
/* End every stream (before the server stops); new ones are refused. */
void extatus__http_events_close(extatus__http_events *events);
/* Close, join the watcher and free (after the server stopped). NULL: no-op. */
void extatus__http_events_free(extatus__http_events *events);
/*
 * The response to GET /events for `connection`: a stream (status 200),
 * or 503 when too many are open; NULL when out of memory.
 */
struct MHD_Response *extatus__http_events_response(extatus__http_events *events,
                                                   struct MHD_Connection *connection,
                                                   unsigned *status);

#endif /* EXTATUS_HTTP_INTERNAL_H */
