/*
 * push_http.h - the HTTP transport of the push library (internal).
 *
 * One client per reporter (or per one-shot push) keeps one libcurl easy
 * handle, so the connection is reused from one request to the next. Every
 * request is bounded: a connect timeout and a total timeout, and it is
 * abandoned within EXTATUS__PUSH_HTTP_SLICE_MS when the client is stopped
 * (extatus__push_http_stop from any thread, or the client's `stopping`
 * callback answering true), so no receiver can hold a reporter, a removal
 * or a shutdown for longer.
 *
 * What a request needs beyond a URL and a body comes from the client's
 * configuration (basic auth, bearer token, TLS CA file, extra headers) and
 * from the request (method, content type, request headers, gzip). What
 * comes back is the status, Retry-After, the first bytes of the answer
 * and the bytes sent (and any response header through
 * extatus__push_http_header); a failure sets the calling thread's error message
 * (extatus_error_last) naming the method, the URL, the status and the
 * first bytes of the answer.
 *
 * Thread safety: a client is used by one thread at a time, except
 * extatus__push_http_stop, which any thread may call while a request runs.
 */
#ifndef EXTATUS_PUSH_HTTP_H
#define EXTATUS_PUSH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest a request waits before it looks at its stop flag again. */
#define EXTATUS__PUSH_HTTP_SLICE_MS 20
/* Bytes of the answer kept for error messages. */
#define EXTATUS__PUSH_HTTP_ANSWER_MAX 256
/* Defaults of the two deadlines, in ms. */
#define EXTATUS__PUSH_HTTP_CONNECT_TIMEOUT_MS 2000
#define EXTATUS__PUSH_HTTP_TIMEOUT_MS         5000

typedef struct extatus__push_http extatus__push_http;

/* What every request of one client shares. Strings are copied. */
typedef struct extatus__push_http_config {
    int64_t connect_timeout_ms; /* 0: EXTATUS__PUSH_HTTP_CONNECT_TIMEOUT_MS */
    int64_t timeout_ms;   /* whole request, connect included; 0: EXTATUS__PUSH_HTTP_TIMEOUT_MS */
    const char *username; /* basic auth with password; NULL: none */
    const char *password; /* basic auth password; NULL: empty */
    const char *bearer_token;    /* "Authorization: Bearer ..."; NULL: none */
    const char *ca_file;         /* PEM file of the CAs to trust for https; NULL: the system's */
    const char *const *headers;  /* extra "Name: value" headers of every request */
    size_t header_count;         /* entries in headers */
    bool (*stopping)(void *arg); /* polled while a request waits; true: abandon it (may be NULL) */
    void *stopping_arg;          /* argument of stopping */
} extatus__push_http_config;

/* One request. Nothing is copied; everything must live until the call returns. */
typedef struct extatus__push_http_request {
    const char *method;         /* "PUT", "POST", "DELETE", ... */
    const char *url;            /* http:// or https:// */
    const char *content_type;   /* Content-Type of the body; NULL: none */
    const void *body;           /* may be NULL when body_size is 0 */
    size_t body_size;           /* bytes at body */
    bool gzip;                  /* compress the body (Content-Encoding: gzip) */
    const char *const *headers; /* extra "Name: value" headers of this request only */
    size_t header_count;        /* entries in headers */
} extatus__push_http_request;

/* Why a request failed. */
typedef enum extatus__push_http_failure {
    EXTATUS__PUSH_HTTP_OK = 0,  /* a 2xx answer */
    EXTATUS__PUSH_HTTP_STATUS,  /* an answer that is not 2xx: see status */
    EXTATUS__PUSH_HTTP_CONNECT, /* no connection: refused, no such host, TLS failed */
    EXTATUS__PUSH_HTTP_TIMEOUT, /* the connect or total deadline passed */
    EXTATUS__PUSH_HTTP_STOPPED, /* abandoned because the client was stopped */
    EXTATUS__PUSH_HTTP_ERROR    /* anything else (out of memory, bad URL, transfer error) */
} extatus__push_http_failure;

/* What came back from one request. */
typedef struct extatus__push_http_result {
    extatus__push_http_failure failure;             /* EXTATUS__PUSH_HTTP_OK on a 2xx answer */
    long status;                                    /* HTTP status; 0 when no answer came */
    int64_t retry_after_ms;                         /* Retry-After in ms; -1 when absent */
    char answer[EXTATUS__PUSH_HTTP_ANSWER_MAX + 1]; /* first bytes of the answer, NUL-terminated */
    size_t answer_size;                             /* bytes in answer */
    uint64_t bytes_sent;                            /* body bytes sent (after compression) */
    int64_t duration_ns;                            /* time the request took */
} extatus__push_http_result;

/*
 * Make a client. Errors: EXTATUS_ERR_NOMEM, _OPTION (a header without ':',
 * a password without user name), _SYSTEM (libcurl could not start), each
 * with a message.
 */
int extatus__push_http_new(extatus__push_http **out, const extatus__push_http_config *config);

/* Free a client (NULL: nothing). Not while a request of it runs. */
void extatus__push_http_free(extatus__push_http *client);

/*
 * Send one request and wait for its answer within the deadlines. Returns
 * EXTATUS_OK on a 2xx answer; otherwise EXTATUS_ERR_SYSTEM (or _NOMEM,
 * _INVALID) with a message "METHOD URL: ..." that names the status and the
 * first bytes of the answer, or why no answer came. `result` is filled in
 * either case.
 */
int extatus__push_http_send(extatus__push_http *client, const extatus__push_http_request *request,
                            extatus__push_http_result *result);

/*
 * Copy the value of the response header `name` (case-insensitive; the
 * last one when repeated) of the client's last request into out[size],
 * NUL-terminated and cut to fit. Valid until the next request.
 * Returns true when the answer had that header.
 */
bool extatus__push_http_header(extatus__push_http *client, const char *name, char *out,
                               size_t size);

/*
 * Make the request in progress (and every later one, until
 * extatus__push_http_resume) give up within EXTATUS__PUSH_HTTP_SLICE_MS.
 * Any thread.
 */
void extatus__push_http_stop(extatus__push_http *client);

/* Let requests run again after extatus__push_http_stop. */
void extatus__push_http_resume(extatus__push_http *client);

#endif /* EXTATUS_PUSH_HTTP_H */
