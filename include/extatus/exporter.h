/*
 * extatus/exporter.h - serving /metrics over HTTP, and rendering one scrape
 * for a program that has an HTTP server of its own.
 *
 * These functions live in the separate library extatus-http
 * (`pkg-config --libs extatus-http`, CMake target extatus::extatus_http),
 * which links libmicrohttpd and libdeflate; the core library extatus needs
 * neither. No type of either appears here.
 *
 * Both the exporter and extatus_scrape_render() negotiate the format from
 * the request's Accept header (OpenMetrics 1.0.0 when the client ranks it
 * above text 0.0.4, else text 0.0.4), compress with gzip when
 * Accept-Encoding allows it, and observe the self-metrics
 * extatus_scrape_duration_seconds and extatus_scrape_size_bytes (summaries
 * labelled registry and content_type). The exporter also counts requests
 * in extatus_http_requests_total{code}. See docs/exporter.md.
 */
#ifndef EXTATUS_EXPORTER_H
#define EXTATUS_EXPORTER_H

#include "buf.h"
#include "common.h"
#include "expose.h"

EXTATUS_BEGIN_DECLS

/* ---- rendering one scrape ------------------------------------------- */

#define EXTATUS_SCRAPE_OPTIONS_VERSION 1

/* Default gzip level (1 = fastest; 1..12, see docs/exporter.md). */
#define EXTATUS_DEFAULT_GZIP_LEVEL 1

typedef struct extatus_scrape_options {
    unsigned version;                    /* EXTATUS_SCRAPE_OPTIONS_VERSION */
    extatus_registry *const *registries; /* registries to render; NULL/0: the default one */
    size_t registry_count;               /* elements in registries */
    int force_text;                      /* nonzero: always text 0.0.4, whatever Accept says */
    int no_gzip;                         /* nonzero: never compress */
    int gzip_level;                      /* 1..12; 0: EXTATUS_DEFAULT_GZIP_LEVEL */
    int no_self_metrics;                 /* nonzero: do not observe the scrape summaries */
    extatus_registry *self_registry;     /* where they go; NULL: the first rendered registry */
} extatus_scrape_options;

#define EXTATUS_SCRAPE_OPTIONS_INIT                                                                \
    {                                                                                              \
        EXTATUS_SCRAPE_OPTIONS_VERSION, NULL, 0, 0, 0, 0, 0, NULL                                  \
    }

/* The result of one scrape: what to send back. */
typedef struct extatus_scrape {
    extatus_buf body;             /* the response body (gzip data when content_encoding is set) */
    const char *content_type;     /* exact Content-Type value (static storage) */
    const char *content_encoding; /* "gzip", or NULL for no Content-Encoding (static storage) */
    extatus_format format;        /* the format chosen */
    size_t uncompressed_size;     /* bytes of the exposition before compression */
    void *reserved[4];            /* for later fields; keep zero */
} extatus_scrape;

#define EXTATUS_SCRAPE_INIT                                                                        \
    {                                                                                              \
        EXTATUS_BUF_INIT, NULL, NULL, EXTATUS_FORMAT_TEXT, 0,                                      \
        {                                                                                          \
            NULL, NULL, NULL, NULL                                                                 \
        }                                                                                          \
    }

/*
 * Render one scrape for a request whose Accept and Accept-Encoding header
 * values are `accept` and `accept_encoding` (either may be NULL: header
 * absent). Fills `out` (which must start as EXTATUS_SCRAPE_INIT or be
 * disposed) with the body, its Content-Type and Content-Encoding, and
 * observes the self-metrics. `options` may be NULL for the defaults.
 * Release the result with extatus_scrape_dispose().
 * Errors: EXTATUS_ERR_NOMEM, _INVALID (options version, gzip level).
 * Thread safety: any thread, concurrently with updates and other scrapes.
 */
EXTATUS_API int extatus_scrape_render(extatus_scrape *out, const char *accept,
                                      const char *accept_encoding,
                                      const extatus_scrape_options *options);

/*
 * Free the body of a scrape and reset it to EXTATUS_SCRAPE_INIT. NULL is
 * a no-op. Thread safety: any thread, on a scrape no other thread uses.
 */
EXTATUS_API void extatus_scrape_dispose(extatus_scrape *scrape);

/* ---- the exporter ----------------------------------------------------- */

/* An HTTP server for /metrics (opaque). */
typedef struct extatus_exporter extatus_exporter;

#define EXTATUS_EXPORTER_OPTIONS_VERSION 1

#define EXTATUS_DEFAULT_PORT 4000
/* Port option meaning "EXTATUS_PORT from the environment, else 4000" (the INIT value). */
#define EXTATUS_EXPORTER_PORT_UNSET         0xFFFFFFFFu
#define EXTATUS_DEFAULT_MAX_CONNECTIONS     256
#define EXTATUS_DEFAULT_MAX_SCRAPES         4
#define EXTATUS_DEFAULT_CONNECTION_TIMEOUT  10 /* seconds */
#define EXTATUS_DEFAULT_EXPORTER_THREADS    2
#define EXTATUS_DEFAULT_MAX_REQUEST_HEADERS 16384 /* bytes */
#define EXTATUS_DEFAULT_REQUEST_HEAD_TIMEOUT                                                       \
    5 /* seconds from accept to a complete first request head */

typedef struct extatus_exporter_options {
    unsigned version;         /* EXTATUS_EXPORTER_OPTIONS_VERSION */
    unsigned port;            /* TCP port; 0: any free port; _UNSET: EXTATUS_PORT or 4000 */
    const char *bind_address; /* numeric IPv4/IPv6 address; NULL: all, dual stack */
    const char *path;         /* metrics path; NULL: "/metrics" */
    extatus_registry *const *registries; /* registries served; NULL/0: see registry_name */
    size_t registry_count;               /* elements in registries */
    const char *registry_name; /* when registries is NULL; NULL: EXTATUS_REGISTRY or "default" */
    unsigned
        max_connections;  /* connections before the oldest idle one is evicted; 0: 256, <= 2^20 */
    unsigned max_scrapes; /* scrapes rendered at once, more get 503; 0: default */
    unsigned connection_timeout;     /* idle seconds before closing; 0: 10, at most 86400 */
    unsigned threads;                /* server threads; 0: default (2) */
    size_t max_request_headers;      /* bytes of request line + headers; 0: 16 KiB */
    int force_text;                  /* nonzero: always text 0.0.4 */
    int no_gzip;                     /* nonzero: never compress */
    int gzip_level;                  /* 1..12; 0: EXTATUS_DEFAULT_GZIP_LEVEL */
    int no_self_metrics;             /* nonzero: no scrape summaries, no request counter */
    const char *basic_auth_user;     /* with basic_auth_password: require HTTP basic auth */
    const char *basic_auth_password; /* password for basic_auth_user */
    const char *tls_cert_file;       /* with tls_key_file: serve HTTPS; PEM certificate */
    const char *tls_key_file;        /* PEM private key (unencrypted) */
} extatus_exporter_options;

#define EXTATUS_EXPORTER_OPTIONS_INIT                                                              \
    {                                                                                              \
        EXTATUS_EXPORTER_OPTIONS_VERSION, EXTATUS_EXPORTER_PORT_UNSET, NULL, NULL, NULL, 0, NULL,  \
            0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL                                      \
    }

/*
 * Limits that keep a scrape getting through (docs/exporter.md): the first
 * request head of a connection must be complete within
 * EXTATUS_DEFAULT_REQUEST_HEAD_TIMEOUT seconds of accept (else 408 and
 * close); at max_connections the oldest connection waiting for a request
 * head is closed to serve a new one. Ambiguous framing gets 400 (an
 * unknown transfer coding 501) and the connection closes; a NUL in the
 * request target gets 400.
 *
 * Start serving: bind, listen and run the server threads. `options` may
 * be NULL for the defaults (port EXTATUS_PORT or 4000, all addresses,
 * /metrics, registry EXTATUS_REGISTRY or "default"): an explicit option
 * wins over the environment, which wins over the default. The options
 * and the strings they point to are copied; the registries must outlive
 * the exporter. Stop and free it with extatus_exporter_stop().
 * Errors: EXTATUS_ERR_SYSTEM (cannot bind or listen; the message names
 * address and port), _OPTION (bad option, named), _NOT_FOUND (registry
 * name), _NOMEM, _INVALID.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_exporter_start(extatus_exporter **out,
                                       const extatus_exporter_options *options);

/*
 * The TCP port the exporter listens on (the one picked when port 0 was
 * asked for). Thread safety: any thread.
 */
EXTATUS_API unsigned extatus_exporter_port(const extatus_exporter *exporter);

/*
 * Stop serving, wait for requests in progress to finish, close the socket
 * and free the exporter. NULL is a no-op.
 * Thread safety: any thread, once per exporter, not from a callback.
 */
EXTATUS_API void extatus_exporter_stop(extatus_exporter *exporter);

EXTATUS_END_DECLS

#endif /* EXTATUS_EXPORTER_H */
