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

#endif /* EXTATUS_HTTP_INTERNAL_H */
