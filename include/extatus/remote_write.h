/*
 * extatus/remote_write.h - push every subscribed value to a Prometheus
 * remote write receiver (Prometheus, Mimir, Thanos Receive, Cortex,
 * VictoriaMetrics). Part of libextatus-push (pkg-config extatus-push).
 *
 * The remote write reporter is a reporter like the line reporter
 * (extatus/report.h): subscriptions say what it gets and how often. Each
 * delivery turns the values into series (the names Prometheus would
 * scrape: a counter's `<base>_total`, a histogram's `_bucket{le}`, `_sum`,
 * `_count`, a summary's `{quantile}`), adds the external labels, checks
 * the labels and queues the samples; sender threads (one per shard) batch
 * them by count and deadline, encode Remote-Write 1.0 (or 2.0 on request),
 * compress with snappy and POST them. A series that disappears (removed,
 * its worker retired, unsubscribed) gets a stale marker.
 *
 *     extatus_option rw[] = {
 *         EXTATUS_OPT_STRING("url", "http://prometheus:9090/api/v1/write"),
 *         EXTATUS_OPT_STRINGS("external_labels", labels, 2), // "job=api", "instance=host1"
 *     };
 *     extatus_remote_write_add("remote", rw, 2);
 *     extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
 *     sub.metric = "http_requests_total";
 *     sub.interval_ms = 15000;
 *     extatus_subscribe("remote", &sub);
 *
 * Options (extatus_reporter_add with extatus_reporter_remote_write(), or
 * extatus_remote_write_add):
 *   "url"                  STRING  the receiver's write URL (required; http:// or https://)
 *   "protocol"             STRING  "1.0" (default) or "2.0" (falls back to 1.0 when the
 *                                  receiver answers 415, or 2xx without the written headers)
 *   "external_labels"      STRINGS "name=value" labels added to every series
 *   "headers"              STRINGS extra "Name: value" headers (not the four reserved ones)
 *   "username", "password" STRING  basic auth
 *   "bearer_token"         STRING  Authorization: Bearer
 *   "ca_file"              STRING  PEM file of the CAs to trust for https
 *   "timeout_ms"           NUMBER  whole request (default 5000); "connect_timeout_ms" (2000)
 *   "max_samples_per_send" NUMBER  batch size (default 5000)
 *   "batch_deadline_ms"    NUMBER  longest a sample waits for its batch to fill (default 1000)
 *   "queue_max_samples"    NUMBER  queued samples, all shards (default 1000000)
 *   "queue_max_bytes"      NUMBER  queued bytes, all shards (default 256 MiB)
 *   "shards"               NUMBER  sender threads (default 1); a series always uses the same one
 *   "min_backoff_ms", "max_backoff_ms"  NUMBER  retry backoff bounds (default 30 and 5000)
 *   "retry_limit_ms"       NUMBER  give up a batch after retrying this long (default 60000)
 *   "flush_timeout_ms"     NUMBER  at removal or shutdown, time left to send what is queued
 *                                  (default 1000); then the rest is dropped
 */
#ifndef EXTATUS_REMOTE_WRITE_H
#define EXTATUS_REMOTE_WRITE_H

#include "common.h"
#include "options.h"
#include "registry.h"
#include "report.h"

EXTATUS_BEGIN_DECLS

/* Counters of one remote write reporter since it was first added (kept across restarts). */
typedef struct extatus_remote_write_stats {
    uint64_t samples_sent;        /* samples the receiver accepted (2xx) */
    uint64_t bytes_sent;          /* compressed body bytes of accepted requests */
    uint64_t requests_sent;       /* accepted requests */
    uint64_t requests_failed;     /* requests that failed (any status but 2xx, or no answer) */
    uint64_t samples_retried;     /* samples sent again after a 5xx, 429 or network failure */
    uint64_t dropped_invalid;     /* samples refused before queueing: bad labels (see last_error) */
    uint64_t dropped_queue_full;  /* samples dropped: the queue was at its sample or byte bound */
    uint64_t dropped_rejected;    /* samples the receiver refused with a 4xx other than 429 */
    uint64_t dropped_retry_limit; /* samples given up after retry_limit_ms of retries */
    uint64_t dropped_shutdown;    /* samples still queued when the reporter stopped */
    uint64_t stale_markers;       /* stale markers queued for series that disappeared */
    uint64_t queue_samples;       /* samples queued now */
    uint64_t queue_bytes;         /* bytes queued now */
    int64_t last_success_ms;      /* epoch ms of the last accepted request; 0: none yet */
    int64_t last_duration_ns;     /* duration of the last request */
    uint64_t duration_ns_total;   /* durations of every request, summed */
    int protocol;                 /* 1 or 2: the protocol in use */
    long last_status;             /* HTTP status of the last answer; 0 when none came */
    char last_error[320];         /* message of the last failure or refusal; "" when none */
    uint64_t reserved[8];         /* for later fields; zero */
} extatus_remote_write_stats;

/*
 * The remote write reporter's operations table (options above).
 * Thread safety: any thread; the pointer is static.
 */
EXTATUS_API const extatus_reporter_ops *extatus_reporter_remote_write(void);

/*
 * Add a remote write reporter called `name` with `options`, completed from
 * the environment for every option not given: EXTATUS_REMOTE_WRITE_URL,
 * _PROTOCOL, _EXTERNAL_LABELS ("job=a,instance=b"), _HEADERS ("Name: v"
 * separated by newlines), _USERNAME, _PASSWORD, _BEARER_TOKEN, _CA_FILE,
 * _TIMEOUT_MS, _SHARDS. Errors: as extatus_reporter_add(); EXTATUS_ERR_OPTION
 * when no URL is given either way.
 * Thread safety: any thread, but not from a reporter's own callback.
 */
EXTATUS_API int extatus_remote_write_add(const char *name, const extatus_option *options,
                                         size_t option_count);

/*
 * Copy the counters of remote write reporter `name` into *stats.
 * Errors: EXTATUS_ERR_NOT_FOUND (no remote write reporter of that name
 * was ever started), _INVALID (NULL). Thread safety: any thread.
 */
EXTATUS_API int extatus_remote_write_get_stats(const char *name, extatus_remote_write_stats *stats);

/*
 * Expose the counters of remote write reporter `name` as metrics of
 * `registry` (NULL: the default registry), labelled reporter="name":
 * extatus_remote_write_samples_sent_total, _bytes_sent_total,
 * _samples_retried_total, _requests_failed_total,
 * _samples_dropped_total{reason}, _queue_samples,
 * _last_success_timestamp_seconds, _request_duration_seconds_total.
 * Call it after the reporter was added; once per registry and name.
 * Errors: EXTATUS_ERR_NOT_FOUND, as extatus_new().
 * Thread safety: any thread, but not from a reporter's own callback.
 */
EXTATUS_API int extatus_remote_write_register_metrics(extatus_registry *registry, const char *name);

EXTATUS_END_DECLS

#endif /* EXTATUS_REMOTE_WRITE_H */
