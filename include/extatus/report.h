/*
 * extatus/report.h - subscriptions and reporters: push datapoints at an
 * interval (after exometer_report).
 *
 * A reporter is a named instance of an operations table (see
 * extatus/sys/reporter.h; two are built in: a callback reporter and a
 * Graphite plaintext line reporter). A subscription ties a reporter to a
 * metric, optionally one series and one datapoint, and an interval: at
 * each interval the library reads the value on its scheduler and hands it
 * to the reporter. Subscriptions of one reporter with the same interval
 * are read together and delivered in one bulk call when the reporter has
 * one.
 *
 *     extatus_option line[] = {EXTATUS_OPT_STRING("address", "graphite:2003"),
 *                              EXTATUS_OPT_STRING("prefix", "myapp")};
 *     extatus_reporter_add("graphite", extatus_reporter_line(), line, 2);
 *     extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
 *     sub.metric = "http_requests_total";  // every series, every datapoint
 *     sub.interval_ms = 10000;
 *     extatus_subscribe("graphite", &sub);
 *
 * A subscription to a metric (or registry) that does not exist yet waits
 * for it and delivers once it appears. A reporter whose report, bulk
 * report or init fails is isolated: it is terminated, the other reporters
 * go on, and it is started again (init) after restart_delay ms, doubling
 * up to a minute while it keeps failing. Its subscriptions are kept and
 * handed to it again through its subscribe method.
 */
#ifndef EXTATUS_REPORT_H
#define EXTATUS_REPORT_H

#include "common.h"
#include "metric.h"
#include "options.h"

EXTATUS_BEGIN_DECLS

/* An operations table; see extatus/sys/reporter.h. */
typedef struct extatus_reporter_ops extatus_reporter_ops;

/* One value delivered to a reporter. Strings are borrowed for the call. */
typedef struct extatus_report_item {
    const char *registry;            /* registry name */
    const char *metric;              /* family name */
    const char *const *label_names;  /* the family's label names */
    const char *const *label_values; /* this series' values (NULL when no labels) */
    size_t label_count;              /* entries in label_names and label_values */
    const char *datapoint;           /* datapoint name, e.g. "value", "count", "0.99" */
    extatus_value value;             /* never EXTATUS_VALUE_UNDEFINED (those are left out) */
    int64_t timestamp_ms;            /* epoch milliseconds when the series was read */
} extatus_report_item;

#define EXTATUS_SUBSCRIPTION_VERSION 1

/* What to report and how often (exometer: {Reporter, Metric, DataPoint, Interval}). */
typedef struct extatus_subscription {
    unsigned version;                /* EXTATUS_SUBSCRIPTION_VERSION */
    const char *registry;            /* registry name; NULL: "default" */
    const char *metric;              /* family name (required) */
    const char *const *label_values; /* one series; NULL: every series of the family */
    size_t label_count;              /* entries in label_values */
    const char *datapoint;           /* one datapoint; NULL: every datapoint with a value */
    int64_t interval_ms;             /* > 0 */
} extatus_subscription;

#define EXTATUS_SUBSCRIPTION_INIT                                                                  \
    {                                                                                              \
        EXTATUS_SUBSCRIPTION_VERSION, NULL, NULL, NULL, 0, NULL, 0                                 \
    }

/*
 * A reporter's state and counters (a snapshot). Items are counted one per
 * value read for a subscription; every item read is counted exactly once,
 * as delivered or under one reason of loss.
 */
typedef struct extatus_reporter_status {
    int running;            /* 1: initialised and reporting; 0: failed, waiting to restart */
    int last_error;         /* code of the last failure, EXTATUS_OK if none */
    uint64_t reports;       /* successful deliveries (one per item, or per bulk call) */
    uint64_t failures;      /* failed init, report or bulk report calls */
    uint64_t restarts;      /* successful restarts after a failure */
    size_t subscriptions;   /* subscriptions kept */
    uint64_t delivered;     /* items of successful deliveries (TCP: acknowledged by the receiver) */
    uint64_t dropped_error; /* items lost: the delivery failed (refused, reset, closed, error) */
    uint64_t dropped_timeout; /* items lost: a connect or send deadline passed */
    uint64_t dropped_down;    /* items read while the reporter waited to restart, not sent */
    uint64_t dropped_stopped; /* items abandoned because the reporter was being removed */
    uint64_t skipped;         /* intervals not read: the previous delivery was still running */
    uint64_t reserved[4];     /* for later fields; zero */
} extatus_reporter_status;

/*
 * Start a reporter called `name` (unique; any non-empty text up to 63
 * bytes) with `ops` and `options`: the table and the options are copied
 * and the reporter's init runs now with the options. Library options,
 * not passed to init: "restart_delay" (NUMBER, ms before a failed
 * reporter is started again, default 1000), "connect_timeout" (NUMBER, ms
 * a connect may take, default 2000) and "send_timeout" (NUMBER, ms the
 * sending of one delivery may take, default 5000); the two deadlines bind
 * reporters that use extatus_reporter_connect/_send (the line reporter).
 * Errors: EXTATUS_ERR_EXISTS (name taken), _INVALID (bad table or
 * name), _OPTION, or the error of the reporter's init.
 * Thread safety: any thread, but not from a reporter's own callback.
 */
EXTATUS_API int extatus_reporter_add(const char *name, const extatus_reporter_ops *ops,
                                     const extatus_option *options, size_t option_count);

/*
 * Stop a reporter: its subscriptions are dropped, a delivery in progress
 * finishes (network I/O through extatus_reporter_connect/_send is
 * abandoned within EXTATUS_REPORTER_STOP_SLICE_MS), then its terminate
 * method runs.
 * Errors: EXTATUS_ERR_NOT_FOUND.
 * Thread safety: any thread, but not from a reporter's own callback.
 */
EXTATUS_API int extatus_reporter_remove(const char *name);

/*
 * Copy a reporter's state and counters into *status. Never waits for a
 * delivery in progress.
 * Errors: EXTATUS_ERR_NOT_FOUND. Thread safety: any thread.
 */
EXTATUS_API int extatus_reporter_get_status(const char *name, extatus_reporter_status *status);

/*
 * Subscribe reporter `reporter` to `subscription` (copied). The metric
 * need not exist yet: the subscription waits for it. Subscribing the same
 * (registry, metric, series, datapoint) again changes its interval.
 * Errors: EXTATUS_ERR_NOT_FOUND (no such reporter), _INVALID (no metric,
 * interval <= 0, unknown version), _NOMEM, or the error of the reporter's
 * subscribe method.
 * Thread safety: any thread, but not from a reporter's own callback.
 */
EXTATUS_API int extatus_subscribe(const char *reporter, const extatus_subscription *subscription);

/*
 * Remove the subscription with the same registry, metric, series and
 * datapoint (the interval is not compared).
 * Errors: EXTATUS_ERR_NOT_FOUND (no such reporter or subscription).
 * Thread safety: any thread, but not from a reporter's own callback.
 */
EXTATUS_API int extatus_unsubscribe(const char *reporter, const extatus_subscription *subscription);

/*
 * The callback reporter's table. Options for extatus_reporter_add():
 * "function" (FUNCTION, required, an extatus_report_fn) and "user_data"
 * (POINTER). Every delivery is one call with all items of one interval; a
 * non-zero return is a failure of the reporter.
 * Thread safety: any thread; the pointer is static.
 */
typedef int (*extatus_report_fn)(const extatus_report_item *items, size_t count, void *user_data);
EXTATUS_API const extatus_reporter_ops *extatus_reporter_callback(void);

/*
 * The Graphite plaintext line reporter's table: one line
 * "path value timestamp\n" per item, timestamp in epoch seconds. Options:
 * "fd" (NUMBER, a descriptor the reporter writes to and never closes) or
 * "address" (STRING, "host:port" of a TCP listener, connected at the first
 * delivery and again after a failure); "prefix" (STRING, put in front of
 * every path with a dot). The path is [prefix.]metric.datapoint; label
 * pairs follow as Graphite 1.1 tags: ";label=value". Characters Graphite
 * does not allow become '_'.
 * Thread safety: any thread; the pointer is static.
 */
EXTATUS_API const extatus_reporter_ops *extatus_reporter_line(void);

EXTATUS_END_DECLS

#endif /* EXTATUS_REPORT_H */
