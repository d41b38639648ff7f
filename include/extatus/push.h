/*
 * extatus/push.h - push metrics to a Prometheus Pushgateway (library
 * extatus-push, which links libcurl and zlib; libextatus itself does not
 * depend on them).
 *
 * Two ways to push:
 *
 *  - once, at the end of a batch program: extatus_push_once() renders
 *    the registries as text 0.0.4 and sends them in one request;
 *
 *        extatus_push_options push = EXTATUS_PUSH_OPTIONS_INIT;
 *        push.url = "http://pushgateway:9091";
 *        push.job = "nightly_backup";
 *        if (extatus_push_once(&push) != EXTATUS_OK)
 *            fprintf(stderr, "push failed: %s\n", extatus_error_last());
 *
 *  - periodically, from a long-running program: the pushgateway reporter
 *    (extatus_reporter_pushgateway(), see extatus/report.h) pushes the
 *    families it is subscribed to at each interval, and is restarted after
 *    a failure like every reporter.
 *
 * The group is the job plus grouping labels, written into the URL path
 * /metrics/job/<job>/<name>/<value>...; a value that is empty or holds a
 * '/' is written as <name>@base64/<URL-safe base64>. PUT replaces the
 * whole group, POST only the families pushed, DELETE removes the group.
 * A pushed series that carries the label `job` or a grouping label is
 * refused before anything is sent (EXTATUS_ERR_LABEL), as client_golang
 * does: the Pushgateway would otherwise overwrite it.
 *
 * Every request has a connect timeout and a total timeout; a wrong URL, an
 * unreachable host or a refused connection costs at most those and is
 * reported as an error naming the URL (and, for an answer that is not
 * 2xx, the status and the first bytes of the answer).
 *
 * Settings left unset are taken from the environment:
 *
 *   EXTATUS_PUSHGATEWAY_URL       url
 *   EXTATUS_PUSHGATEWAY_JOB       job
 *   EXTATUS_PUSHGATEWAY_GROUPING  grouping, "name=value,name=value"
 *   EXTATUS_PUSHGATEWAY_USERNAME  username (basic auth)
 *   EXTATUS_PUSHGATEWAY_PASSWORD  password (basic auth)
 *   EXTATUS_REGISTRY              the registry pushed by extatus_push_once
 *                                 when none is given (see extatus/config.h)
 */
#ifndef EXTATUS_PUSH_H
#define EXTATUS_PUSH_H

#include "common.h"
#include "report.h"

EXTATUS_BEGIN_DECLS

typedef enum extatus_push_method {
    EXTATUS_PUSH_PUT = 0, /* replace the whole group */
    EXTATUS_PUSH_POST = 1 /* replace only the families pushed */
} extatus_push_method;

#define EXTATUS_PUSH_OPTIONS_VERSION 1

/* Default deadlines of one request, in ms. */
#define EXTATUS_PUSH_CONNECT_TIMEOUT_MS 2000
#define EXTATUS_PUSH_TIMEOUT_MS         5000

/* What to push where. Strings are borrowed for the call. */
typedef struct extatus_push_options {
    unsigned version;            /* EXTATUS_PUSH_OPTIONS_VERSION */
    const char *url;             /* Pushgateway, e.g. "http://host:9091"; NULL: environment */
    const char *job;             /* job label of the group; NULL: environment */
    const char *const *grouping; /* grouping labels, "name=value" each; NULL: environment */
    size_t grouping_count;       /* entries in grouping */
    extatus_registry *const *registries; /* what to push; NULL: EXTATUS_REGISTRY or "default" */
    size_t registry_count;               /* entries in registries */
    extatus_push_method method;          /* PUT (default) or POST */
    int gzip;                            /* nonzero: gzip the body */
    const char *username;                /* basic auth; NULL: environment, else none */
    const char *password;                /* basic auth; NULL: environment, else empty */
    const char *bearer_token;            /* "Authorization: Bearer ..."; NULL: none */
    const char *ca_file;                 /* CAs to trust for https (PEM); NULL: the system's */
    const char *const *headers;          /* extra "Name: value" headers */
    size_t header_count;                 /* entries in headers */
    unsigned connect_timeout_ms;         /* 0: EXTATUS_PUSH_CONNECT_TIMEOUT_MS */
    unsigned timeout_ms;                 /* whole request; 0: EXTATUS_PUSH_TIMEOUT_MS */
} extatus_push_options;

#define EXTATUS_PUSH_OPTIONS_INIT                                                                  \
    {                                                                                              \
        EXTATUS_PUSH_OPTIONS_VERSION, NULL, NULL, NULL, 0, NULL, 0, EXTATUS_PUSH_PUT, 0, NULL,     \
            NULL, NULL, NULL, NULL, 0, 0, 0                                                        \
    }

/*
 * Render `options->registries` as text 0.0.4 and push them to the group
 * of `options->job` and `options->grouping` with PUT or POST, waiting for
 * the answer within the deadlines.
 * Errors: EXTATUS_ERR_OPTION (no URL, no job, a bad URL, grouping label,
 * header or timeout, naming it), _LABEL (a pushed series carries the job
 * or a grouping label; nothing was sent), _NOT_FOUND (the EXTATUS_REGISTRY
 * registry does not exist), _SYSTEM (no connection, timeout, or an answer
 * that is not 2xx: the message names the URL, the status and the first
 * bytes of the answer), _NOMEM.
 * Thread safety: any thread; pushes of different threads are independent.
 */
EXTATUS_API int extatus_push_once(const extatus_push_options *options);

/*
 * Delete the group of `options->job` and `options->grouping` from the
 * Pushgateway (registries, method and gzip are not used).
 * Errors: as extatus_push_once(), but never _LABEL.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_push_delete(const extatus_push_options *options);

/*
 * The pushgateway reporter's table, for extatus_reporter_add(). At every
 * interval it pushes the families it is subscribed to (a subscription
 * names a registry and a metric; one series or one datapoint is refused
 * with EXTATUS_ERR_INVALID, since a group holds whole families). Options:
 * "url", "job" (STRING; default from the environment as above),
 * "grouping" (STRINGS, "name=value"), "method" (STRING "put" or "post"),
 * "gzip" (NUMBER 0/1), "username", "password", "bearer_token", "ca_file"
 * (STRING), "headers" (STRINGS, "Name: value"), "request_timeout" and
 * "request_connect_timeout" (NUMBER, ms), "delete_on_stop" (NUMBER 0/1:
 * delete the group when the reporter is removed or the library shuts
 * down). A failed push fails the reporter, which is restarted later (see
 * extatus/report.h); a push in progress is abandoned within 20 ms when
 * the reporter is removed.
 * Thread safety: any thread; the pointer is static.
 */
EXTATUS_API const extatus_reporter_ops *extatus_reporter_pushgateway(void);

EXTATUS_END_DECLS

#endif /* EXTATUS_PUSH_H */
