/*
 * http.h - private interfaces of the extatus-http library (never
 * installed). This library sees the core only through the public API;
 * names shared between its files are extatus__http_ and hidden.
 */
#ifndef EXTATUS_HTTP_INTERNAL_H
#define EXTATUS_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "extatus.h"
#include "extatus/sys/entry.h"

#if defined(__GNUC__) || defined(__clang__)
#define EXTATUS__HTTP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define EXTATUS__HTTP_PRINTF(f, a)
#endif

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

/* ---- GET /events (events.c) --------------------------------------------- */

/* The Server-Sent Events streams of one exporter, and their watcher thread. */
typedef struct extatus__http_events extatus__http_events;
struct MHD_Connection;
struct MHD_Response;

/* `connection_timeout_s` sets the keepalive (0: none configured). */
int extatus__http_events_new(extatus__http_events **out, unsigned connection_timeout_s);
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
