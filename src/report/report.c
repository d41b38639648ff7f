/*
 * report.c - reporters and subscriptions (exometer_report).
 *
 * A reporter owns its subscriptions, grouped by interval; each group is
 * one task on the library's scheduler. At each tick the group reads every
 * subscribed series (pinned, so a concurrent delete cannot free it) and
 * hands the values to the reporter in one bulk call, or one call per item.
 * A metric that does not exist yet is simply not found at that tick: the
 * subscription waits and delivers once it appears.
 *
 * Isolation: a reporter's methods run one at a time under its own lock;
 * one that fails is terminated and marked failed, its subscriptions stay,
 * and the tick nearest to its back-off after the failed one (never the
 * failed tick itself) starts it again (init, then subscribe for each kept
 * subscription). Other reporters never wait for it beyond the scheduler's
 * pool.
 *
 * Deadlines: each delivery runs with a thread-local extatus__delivery
 * (delivery.h) that the network helpers of io.c keep to; removal sets the
 * reporter's stop flag first, so a delivery blocked on a receiver returns
 * within one slice. Every item read is counted once: delivered, or lost
 * with a reason.
 *
 * Locks: reporters_lock (a read-write lock: lookups read) guards the list
 * of reporters; a reporter's lock guards its state, groups and
 * subscriptions and is held during deliveries; its status_lock guards
 * only the counters and is never held across a method, so status reads
 * never wait for I/O. Order: reporters_lock, then a reporter's lock, then
 * its status_lock or the core's locks. A group's task is removed from the
 * scheduler only with no reporter lock held, because removing waits for a
 * tick that takes that lock.
 *
 * Status reads (extatus_reporter_get_status, the self-metrics) find a
 * reporter in a second list under status_list_lock, never reporters_lock:
 * a reporter's methods run under its lock and may read statuses (their
 * own, or by rendering a registry that holds the self-metrics), while
 * subscribe takes reporters_lock and then a reporter's lock, so a status
 * read through reporters_lock would invert that order. status_list_lock
 * is taken with no other lock of this file held, or under a reporter's
 * lock, and only a status_lock is taken under it.
 */
#include "core/reader.h"
#include "core/sched.h"
#include "core/util.h"
#include "report/report.h"
#include "extatus/sys/reporter.h"
#include "report/delivery.h"

#include <stddef.h>
#include <string.h>

_Static_assert(EXTATUS_REPORTER_OPS_VERSION != 1 ||
                   EXTATUS__FIELD_END(extatus_reporter_ops, terminate) ==
                       sizeof(extatus_reporter_ops),
               "extatus_reporter_ops grew: copy each version's size in extatus_reporter_add");

#define NAME_MAX_BYTES   63
#define BACKOFF_LIMIT_MS 60000

typedef struct subscription {
    extatus_subscription spec; /* strings point into the copies below */
    char *registry;            /* owned copy ("default" when none was given) */
    char *metric;              /* owned copy */
    char **labels;             /* owned copies, label_count of them */
    char *datapoint;           /* owned copy or NULL */
    struct subscription *next; /* in its group */
} subscription;

typedef struct reporter reporter;

typedef struct group {
    reporter *owner;     /* the reporter it delivers to */
    int64_t interval_ms; /* the subscriptions' interval */
    extatus__task *task; /* its scheduler task */
    subscription *subs;  /* subscriptions with this interval */
    uint64_t skips_seen; /* its task's skipped turns already counted */
    struct group *next;  /* the reporter's groups */
} group;

struct reporter {
    char *name;                     /* unique name */
    extatus_reporter_ops ops;       /* copy of the table */
    extatus_option *options;        /* options for init (deep copy) */
    size_t option_count;            /* entries in options */
    int64_t restart_delay_ms;       /* first back-off after a failure */
    int64_t connect_timeout_ms;     /* per connect through extatus_reporter_connect */
    int64_t send_timeout_ms;        /* per delivery through extatus_reporter_send */
    int64_t backoff_ms;             /* current back-off */
    _Atomic bool stopping;          /* being removed: helpers abandon their waits */
    pthread_mutex_t lock;           /* serialises the methods; guards what follows */
    void *state;                    /* what init made */
    int64_t restart_at_ns;          /* CLOCK_MONOTONIC of the next restart attempt */
    group *groups;                  /* by interval */
    pthread_mutex_t status_lock;    /* guards status; never held across a method */
    extatus_reporter_status status; /* running, counters; subscriptions counted here */
    reporter *next;                 /* list of reporters */
    reporter *status_next;          /* list for status reads */
};

static pthread_rwlock_t reporters_lock = PTHREAD_RWLOCK_INITIALIZER;
static reporter *reporters;
static pthread_mutex_t status_list_lock = PTHREAD_MUTEX_INITIALIZER;
static reporter *status_list; /* the same reporters, for status reads */

/* ---- failure and restart ------------------------------------------------- */

/* The reporter is running (read under its lock, which is held by every writer). */
static bool running_locked(const reporter *r)
{
    return r->status.running != 0;
}

static void set_running_locked(reporter *r, bool running, int error)
{
    pthread_mutex_lock(&r->status_lock);
    r->status.running = running;
    if (!running) {
        r->status.failures++;
        r->status.last_error = error;
    }
    pthread_mutex_unlock(&r->status_lock);
}

/*
 * A method failed during the tick that started at tick_ns: terminate, and
 * plan the restart for back-off after that tick's start, so that the tick
 * planned that far later (not the one after it) restarts.
 */
static void fail_locked(reporter *r, int rc, int64_t tick_ns)
{
    bool was_running = running_locked(r);
    set_running_locked(r, false, rc);
    if (was_running && r->ops.terminate)
        r->ops.terminate(r->state, rc);
    r->state = NULL;
    r->restart_at_ns = tick_ns + r->backoff_ms * 1000000;
    r->backoff_ms = r->backoff_ms * 2 > BACKOFF_LIMIT_MS ? BACKOFF_LIMIT_MS : r->backoff_ms * 2;
}

/*
 * A tick is due to restart when it is nearer to the planned time than the
 * tick before it would be: ticks come every interval_ms, late by however
 * long the scheduler took, so half an interval of slack absorbs that
 * lateness without ever restarting in the failed tick itself.
 */
static bool restart_due(const reporter *r, int64_t tick_ns, int64_t interval_ms)
{
    return tick_ns + interval_ms * 500000 >= r->restart_at_ns;
}

/* init again, then hand every kept subscription back. */
static void restart_locked(reporter *r, int64_t tick_ns)
{
    void *state = NULL;
    int rc = r->ops.init(&state, r->name, r->options, r->option_count);
    if (rc != EXTATUS_OK) {
        fail_locked(r, rc, tick_ns);
        return;
    }
    r->state = state;
    pthread_mutex_lock(&r->status_lock);
    r->status.running = 1;
    r->status.restarts++;
    pthread_mutex_unlock(&r->status_lock);
    for (group *g = r->groups; g; g = g->next)
        for (subscription *s = g->subs; s; s = s->next)
            if (r->ops.subscribe && (rc = r->ops.subscribe(state, &s->spec)) != EXTATUS_OK) {
                fail_locked(r, rc, tick_ns);
                return;
            }
}

/* ---- one tick: read and deliver ---------------------------------------------- */

typedef struct held {
    extatus_family *family;  /* referenced */
    extatus_series **series; /* pinned */
    size_t count;            /* entries in series */
    bool single;             /* series is one pinned series, not a snapshot array */
} held;

typedef struct batch {
    extatus_report_item *items;
    size_t count, capacity;
    held *held;
    size_t held_count, held_capacity;
    int rc; /* EXTATUS_ERR_NOMEM once an allocation failed */
} batch;

static bool grow(void **array, size_t *capacity, size_t need, size_t size)
{
    if (need <= *capacity)
        return true;
    size_t next = *capacity ? *capacity * 2 : 16;
    while (next < need)
        next *= 2;
    void *grown = extatus__realloc(*array, next * size);
    if (!grown)
        return false;
    *array = grown;
    *capacity = next;
    return true;
}

/* What an item says of its series, worked out once per series. */
typedef struct series_info {
    const char *registry;        /* registry name */
    extatus__family_view family; /* its family */
    extatus__series_view series; /* its label values */
} series_info;

static void add_item(batch *b, const series_info *info, const char *datapoint,
                     const extatus_value *value, int64_t now_ms)
{
    if (value->kind == EXTATUS_VALUE_UNDEFINED)
        return;
    if (!grow((void **)&b->items, &b->capacity, b->count + 1, sizeof(*b->items))) {
        b->rc = EXTATUS_ERR_NOMEM;
        return;
    }
    extatus_report_item *item = &b->items[b->count++];
    item->registry = info->registry;
    item->metric = info->family.name;
    item->label_names = info->family.label_names;
    item->label_values = info->series.label_values;
    item->label_count = info->family.label_count;
    item->datapoint = datapoint;
    item->value = *value;
    item->timestamp_ms = now_ms;
}

static void read_series(batch *b, const subscription *s, const char *registry,
                        extatus_series *series)
{
    int64_t now_ms = extatus__now_realtime_ns() / 1000000;
    const extatus_datapoint *points = NULL;
    size_t count = 0;
    if (extatus_series_get_datapoints(series, &points, &count) != EXTATUS_OK || !points)
        return;
    series_info info;
    info.registry = registry;
    extatus__series_describe(series, &info.series);
    extatus__family_view_of(info.series.family, &info.family);
    if (s->datapoint) {
        for (size_t i = 0; i < count; i++)
            if (strcmp(points[i].name, s->datapoint) == 0) {
                extatus_value value = {EXTATUS_VALUE_UNDEFINED, 0, 0};
                const char *wanted[1] = {points[i].name};
                if (extatus__series_read(series, wanted, 1, &value) == EXTATUS_OK)
                    add_item(b, &info, points[i].name, &value, now_ms);
                return;
            }
        return;
    }
    extatus_value stack[16];
    extatus_value *values = count <= 16 ? stack : extatus__calloc(count, sizeof(*values));
    if (!values) {
        b->rc = EXTATUS_ERR_NOMEM;
        return;
    }
    memset(values, 0, count * sizeof(*values));
    if (extatus__series_read(series, NULL, count, values) == EXTATUS_OK)
        for (size_t i = 0; i < count; i++)
            add_item(b, &info, points[i].name, &values[i], now_ms);
    if (values != stack)
        extatus__free(values);
}

/* Collect the values of one subscription; a missing metric just waits. */
static void read_subscription(batch *b, const subscription *s)
{
    extatus_registry *registry = NULL;
    if (strcmp(s->registry, "default") == 0)
        registry = extatus__registry_resolve(NULL);
    else if (extatus_registry_lookup(&registry, s->registry) != EXTATUS_OK)
        registry = NULL;
    if (!registry)
        return;
    extatus_family *family = extatus__family_acquire(registry, s->metric);
    if (!family)
        return;
    if (!grow((void **)&b->held, &b->held_capacity, b->held_count + 1, sizeof(*b->held))) {
        extatus__family_drop(family);
        b->rc = EXTATUS_ERR_NOMEM;
        return;
    }
    held *h = &b->held[b->held_count];
    *h = (held){family, NULL, 0, false};
    if (s->spec.label_values) {
        extatus_series *series = NULL;
        if (s->spec.label_count != extatus_family_label_count(family) ||
            extatus__series_acquire(&series, family,
                                    extatus_labels_of(s->spec.label_values, s->spec.label_count),
                                    false) != EXTATUS_OK) {
            extatus__family_drop(family);
            return; /* that series does not exist (yet) */
        }
        h->series = extatus__malloc(sizeof(*h->series));
        if (!h->series) {
            extatus__series_unpin(series);
            extatus__family_drop(family);
            b->rc = EXTATUS_ERR_NOMEM;
            return;
        }
        h->series[0] = series;
        h->count = 1;
        h->single = true;
    } else if (extatus__family_snapshot(family, &h->series, &h->count) != EXTATUS_OK) {
        extatus__family_drop(family);
        b->rc = EXTATUS_ERR_NOMEM;
        return;
    }
    b->held_count++;
    for (size_t i = 0; i < h->count; i++)
        read_series(b, s, extatus_registry_name(registry), h->series[i]);
}

static void batch_release(batch *b)
{
    for (size_t i = 0; i < b->held_count; i++) {
        held *h = &b->held[i];
        if (h->single) {
            extatus__series_unpin(h->series[0]);
            extatus__free(h->series);
        } else {
            extatus__series_release(h->family, h->series, h->count);
        }
        extatus__family_drop(h->family);
    }
    extatus__free(b->held);
    extatus__free(b->items);
}

/* Hand the batch to the reporter; the items delivered before a failure go to *delivered. */
static int deliver_locked(reporter *r, const batch *b, size_t *delivered)
{
    *delivered = 0;
    if (!b->count)
        return EXTATUS_OK;
    if (r->ops.report_bulk) {
        int rc = r->ops.report_bulk(r->state, b->items, b->count);
        if (rc == EXTATUS_OK)
            *delivered = b->count;
        return rc;
    }
    for (size_t i = 0; i < b->count; i++) {
        int rc = r->ops.report(r->state, &b->items[i]);
        if (rc != EXTATUS_OK)
            return rc;
        ++*delivered;
    }
    return EXTATUS_OK;
}

/*
 * Count the items of one tick of group `g`: `delivered` of them arrived,
 * the rest were lost for `reason`; and the turns its task skipped since
 * the last tick (a group that goes takes its counted skips with it, so
 * the total never falls back).
 */
static void count_items(reporter *r, group *g, size_t read, size_t delivered, uint64_t *reason)
{
    uint64_t skips = 0;
    extatus__sched_stats(g->task, NULL, &skips);
    pthread_mutex_lock(&r->status_lock);
    r->status.delivered += delivered;
    *reason += read - delivered;
    r->status.skipped += skips - g->skips_seen;
    pthread_mutex_unlock(&r->status_lock);
    g->skips_seen = skips;
}

static void group_tick(void *arg)
{
    group *g = arg;
    reporter *r = g->owner;
    batch b = {0};
    int64_t tick_ns = extatus__now_monotonic_ns();
    extatus__delivery delivery = {r->connect_timeout_ms * 1000000, r->send_timeout_ms * 1000000, 0,
                                  &r->stopping, EXTATUS__DROP_ERROR};
    pthread_mutex_lock(&r->lock);
    extatus__current_delivery = &delivery;
    bool stopping = atomic_load(&r->stopping);
    if (!stopping && !running_locked(r) && restart_due(r, tick_ns, g->interval_ms))
        restart_locked(r, tick_ns);
    /* Read even when the values cannot go out, so that what is lost is counted. */
    for (subscription *s = g->subs; s; s = s->next)
        read_subscription(&b, s);
    uint64_t *lost = &r->status.dropped_down;
    size_t delivered = 0;
    if (stopping) {
        lost = &r->status.dropped_stopped;
    } else if (running_locked(r)) {
        int rc = deliver_locked(r, &b, &delivered);
        if (rc != EXTATUS_OK && atomic_load(&r->stopping)) {
            /*
             * Given up because the reporter is being removed: no failure of
             * the reporter, whose removal terminates it with EXTATUS_OK (a
             * reporter may have work for then, such as a final DELETE).
             */
            lost = &r->status.dropped_stopped;
        } else if (rc != EXTATUS_OK) {
            lost = delivery.reason == EXTATUS__DROP_TIMEOUT   ? &r->status.dropped_timeout
                   : delivery.reason == EXTATUS__DROP_STOPPED ? &r->status.dropped_stopped
                                                              : &r->status.dropped_error;
            fail_locked(r, rc, tick_ns);
        } else if (b.count) {
            pthread_mutex_lock(&r->status_lock);
            r->status.reports += r->ops.report_bulk ? 1 : b.count;
            pthread_mutex_unlock(&r->status_lock);
            r->backoff_ms = r->restart_delay_ms;
        }
    }
    count_items(r, g, b.count, delivered, lost);
    extatus__current_delivery = NULL;
    pthread_mutex_unlock(&r->lock);
    batch_release(&b);
}

/* ---- reporters ------------------------------------------------------------------ */

static reporter *find_locked(const char *name)
{
    for (reporter *r = reporters; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

/*
 * Copy `size` bytes at `offset` of the status of reporter `name` into
 * `out`; false when there is no such reporter. Takes status_list_lock and
 * the reporter's status_lock only (see the lock order at the top).
 */
static bool status_read(const char *name, size_t offset, size_t size, void *out)
{
    bool found = false;
    pthread_mutex_lock(&status_list_lock);
    for (reporter *r = status_list; r && !found; r = r->status_next) {
        if (strcmp(r->name, name) != 0)
            continue;
        pthread_mutex_lock(&r->status_lock);
        memcpy(out, (const char *)&r->status + offset, size);
        pthread_mutex_unlock(&r->status_lock);
        found = true;
    }
    pthread_mutex_unlock(&status_list_lock);
    return found;
}

/* Add `r` to / take it out of the status list. */
static void status_list_add(reporter *r)
{
    pthread_mutex_lock(&status_list_lock);
    r->status_next = status_list;
    status_list = r;
    pthread_mutex_unlock(&status_list_lock);
}

static void status_list_remove(const reporter *r)
{
    pthread_mutex_lock(&status_list_lock);
    for (reporter **link = &status_list; *link; link = &(*link)->status_next)
        if (*link == r) {
            *link = r->status_next;
            break;
        }
    pthread_mutex_unlock(&status_list_lock);
}

static void subscription_free(subscription *s)
{
    if (!s)
        return;
    extatus__free(s->registry);
    extatus__free(s->metric);
    for (size_t i = 0; s->labels && i < s->spec.label_count; i++)
        extatus__free(s->labels[i]);
    extatus__free(s->labels);
    extatus__free(s->datapoint);
    extatus__free(s);
}

/* Stop the groups' tasks (no reporter lock held), then terminate and free. */
static void reporter_destroy(reporter *r)
{
    atomic_store(&r->stopping, true); /* a delivery blocked on its receiver gives up */
    pthread_mutex_lock(&r->lock);
    group *groups = r->groups;
    r->groups = NULL;
    pthread_mutex_unlock(&r->lock);
    while (groups) {
        group *next = groups->next;
        extatus__sched_remove(groups->task);
        subscription *s = groups->subs;
        while (s) {
            subscription *following = s->next;
            subscription_free(s);
            s = following;
        }
        extatus__free(groups);
        groups = next;
    }
    if (running_locked(r) && r->ops.terminate)
        r->ops.terminate(r->state, EXTATUS_OK);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->status_lock);
    extatus__options_free(r->options, r->option_count);
    extatus__free(r->name);
    extatus__free(r);
}

/* The core tells us about new families and changed options. */
static void family_event(extatus_family *family, const extatus_option *options, size_t count)
{
    extatus__family_view view;
    extatus__family_view_of(family, &view);
    pthread_rwlock_rdlock(&reporters_lock);
    for (reporter *r = reporters; r; r = r->next) {
        /* A reporter without these methods is not waited for (it may be in a delivery). */
        if (options ? !r->ops.setopts : !r->ops.new_entry)
            continue;
        pthread_mutex_lock(&r->lock);
        if (running_locked(r) && !options)
            r->ops.new_entry(r->state, view.registry, view.name, view.type_name);
        if (running_locked(r) && options)
            r->ops.setopts(r->state, view.registry, view.name, options, count);
        pthread_mutex_unlock(&r->lock);
    }
    pthread_rwlock_unlock(&reporters_lock);
}

/* ---- self-metrics ----------------------------------------------------------------
 *
 * Function counters in the default registry that read a reporter's status
 * by name at scrape time: extatus_reporter_delivered_total{reporter} and
 * extatus_reporter_dropped_total{reporter,reason}. A removed reporter's
 * series stay but read as undefined, so scrapes leave them out.
 */

#define SELF_METRIC_MAX_SERIES 4096

/* The dropped counters by reason label, in the order of the status fields' offsets. */
static const struct {
    const char *reason;
    size_t offset;
} drop_reasons[] = {
    {"error", offsetof(extatus_reporter_status, dropped_error)},
    {"timeout", offsetof(extatus_reporter_status, dropped_timeout)},
    {"down", offsetof(extatus_reporter_status, dropped_down)},
    {"stopped", offsetof(extatus_reporter_status, dropped_stopped)},
};
#define DROP_REASONS (sizeof(drop_reasons) / sizeof(drop_reasons[0]))
_Static_assert(sizeof(drop_reasons) / sizeof(drop_reasons[0]) == 4, "four reasons of loss");

static size_t delivered_offset = offsetof(extatus_reporter_status, delivered);

/* label_values: {reporter} for delivered, {reporter, reason} for dropped. */
static int self_metric_read(double *value, const char *const *label_values, void *user_data)
{
    size_t offset = user_data ? *(const size_t *)user_data : 0;
    if (!user_data) { /* dropped: the reason picks the field */
        size_t i = 0;
        while (i < DROP_REASONS && strcmp(drop_reasons[i].reason, label_values[1]) != 0)
            i++;
        if (i == DROP_REASONS)
            return -1;
        offset = drop_reasons[i].offset;
    }
    uint64_t count = 0;
    if (!status_read(label_values[0], offset, sizeof(count), &count))
        return -1;
    *value = (double)count;
    return 0;
}

/*
 * Create (or find) the self-metric series of reporter `name`. Best effort:
 * a failure (no memory, a name taken by a metric of the program, a
 * reporter name that is no valid label value) leaves them out and does
 * not fail the reporter.
 */
static void self_metrics_add(const char *name)
{
    const char *delivered_labels[] = {"reporter"};
    const char *dropped_labels[] = {"reporter", "reason"};
    extatus_option delivered_options[] = {
        EXTATUS_OPT_STRING("help",
                           "Items a reporter delivered (TCP: acknowledged by the receiver)."),
        EXTATUS_OPT_STRINGS("labels", delivered_labels, 1),
        EXTATUS_OPT_NUMBER("max_series", SELF_METRIC_MAX_SERIES),
        EXTATUS_OPT_FUNCTION("function", self_metric_read),
        EXTATUS_OPT_POINTER("user_data", &delivered_offset),
    };
    extatus_option dropped_options[] = {
        EXTATUS_OPT_STRING("help", "Items a reporter read but did not deliver, by reason (error, "
                                   "timeout, down, stopped)."),
        EXTATUS_OPT_STRINGS("labels", dropped_labels, 2),
        EXTATUS_OPT_NUMBER("max_series", SELF_METRIC_MAX_SERIES * 4), /* four reasons */
        EXTATUS_OPT_FUNCTION("function", self_metric_read),
    };
    extatus_family *delivered = NULL;
    extatus_family *dropped = NULL;
    extatus_series *series = NULL;
    if (extatus_family_new(&delivered, NULL, "extatus_reporter_delivered_total", "function_counter",
                           delivered_options, 5) == EXTATUS_OK)
        (void)extatus_family_series(&series, delivered, EXTATUS_LABELS(name));
    if (extatus_family_new(&dropped, NULL, "extatus_reporter_dropped_total", "function_counter",
                           dropped_options, 4) != EXTATUS_OK)
        return;
    for (size_t i = 0; i < DROP_REASONS; i++) {
        if (extatus_family_series(&series, dropped, EXTATUS_LABELS(name, drop_reasons[i].reason)) !=
            EXTATUS_OK)
            return;
    }
}

/* Options of extatus_reporter_add() that the library keeps (not passed to init), in ms. */
enum { OPTION_RESTART_DELAY, OPTION_CONNECT_TIMEOUT, OPTION_SEND_TIMEOUT, LIBRARY_OPTIONS };
static const struct {
    const char *key;
    int64_t default_ms;
} library_options[LIBRARY_OPTIONS] = {
    {"restart_delay", 1000},
    {"connect_timeout", EXTATUS__CONNECT_TIMEOUT_MS},
    {"send_timeout", EXTATUS__SEND_TIMEOUT_MS},
};

/* The index of a library option, or -1 for an option of the reporter. */
static int library_option(const char *key)
{
    for (int k = 0; k < LIBRARY_OPTIONS; k++)
        if (strcmp(key, library_options[k].key) == 0)
            return k;
    return -1;
}

static bool valid_reporter_name(const char *name)
{
    size_t length = name ? strlen(name) : 0;
    return length > 0 && length <= NAME_MAX_BYTES;
}

int extatus_reporter_add(const char *name, const extatus_reporter_ops *ops,
                         const extatus_option *options, size_t option_count)
{
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if (!valid_reporter_name(name))
        return extatus__error(EXTATUS_ERR_INVALID, "reporter name '%s' must be 1 to %d bytes long",
                              name ? name : "(null)", NAME_MAX_BYTES);
    if (!ops)
        return extatus__error(EXTATUS_ERR_INVALID, "reporter '%s': operations table is NULL", name);
    if (ops->version < 1 || ops->version > EXTATUS_REPORTER_OPS_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "reporter '%s': operations table version %u is not supported "
                              "(1..%d)",
                              name, ops->version, EXTATUS_REPORTER_OPS_VERSION);
    if (!ops->init || !ops->report)
        return extatus__error(EXTATUS_ERR_INVALID, "reporter '%s': init and report are required",
                              name);
    if (option_count && !options)
        return extatus__error(EXTATUS_ERR_INVALID, "reporter '%s': options are NULL", name);

    int64_t library_ms[LIBRARY_OPTIONS];
    size_t kept = 0;
    for (size_t k = 0; k < LIBRARY_OPTIONS; k++)
        library_ms[k] = library_options[k].default_ms;
    for (size_t i = 0; i < option_count; i++) {
        if (!options[i].key)
            return extatus__error(EXTATUS_ERR_OPTION, "reporter '%s': option %zu has no key", name,
                                  i);
        int k = library_option(options[i].key);
        if (k < 0) {
            kept++;
            continue;
        }
        if (extatus__option_ms(&library_ms[k], &options[i], 1, 3600000, "reporter", name) !=
            EXTATUS_OK)
            return EXTATUS_ERR_OPTION;
    }

    reporter *r = extatus__calloc(1, sizeof(*r));
    if (!r)
        return extatus__error(EXTATUS_ERR_NOMEM, "reporter '%s': out of memory", name);
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        extatus__free(r);
        return extatus__error(EXTATUS_ERR_SYSTEM, "reporter '%s': cannot create its lock", name);
    }
    if (pthread_mutex_init(&r->status_lock, NULL) != 0) {
        pthread_mutex_destroy(&r->lock);
        extatus__free(r);
        return extatus__error(EXTATUS_ERR_SYSTEM, "reporter '%s': cannot create its lock", name);
    }
    /* Only the caller's version's methods (version 1: up to terminate); later ones stay NULL. */
    memcpy(&r->ops, ops, EXTATUS__FIELD_END(extatus_reporter_ops, terminate));
    r->ops.version = EXTATUS_REPORTER_OPS_VERSION;
    r->restart_delay_ms = r->backoff_ms = library_ms[OPTION_RESTART_DELAY];
    r->connect_timeout_ms = library_ms[OPTION_CONNECT_TIMEOUT];
    r->send_timeout_ms = library_ms[OPTION_SEND_TIMEOUT];
    bool ok = (r->name = extatus__strdup(name)) != NULL;
    if (ok && kept) {
        r->options = extatus__calloc(kept, sizeof(*r->options));
        ok = r->options != NULL;
        for (size_t i = 0; ok && i < option_count; i++) {
            if (library_option(options[i].key) >= 0)
                continue;
            extatus_option *copy = NULL;
            ok = extatus__options_copy(&copy, &options[i], 1) == EXTATUS_OK;
            if (ok) {
                r->options[r->option_count++] = *copy;
                extatus__free(copy);
            }
        }
    }
    if (!ok) {
        reporter_destroy(r);
        return extatus__error(EXTATUS_ERR_NOMEM, "reporter '%s': out of memory", name);
    }

    pthread_rwlock_rdlock(&reporters_lock);
    bool taken = find_locked(name) != NULL;
    pthread_rwlock_unlock(&reporters_lock);
    /* init runs with no lock held: it may take its time without holding up status reads. */
    uint64_t mark = extatus__error_mark();
    rc = taken ? EXTATUS_ERR_EXISTS : r->ops.init(&r->state, r->name, r->options, r->option_count);
    if (rc != EXTATUS_OK) {
        reporter_destroy(r);
        if (taken)
            return extatus__error(rc, "a reporter named '%s' already exists", name);
        (void)extatus__error_unless_since(mark, rc, "reporter '%s': init failed (%s)", name,
                                          extatus_strerror(rc));
        return rc;
    }
    r->status.running = 1;
    pthread_rwlock_wrlock(&reporters_lock);
    taken = find_locked(name) != NULL; /* added meanwhile by another thread */
    if (!taken) {
        r->next = reporters;
        reporters = r;
        status_list_add(r); /* under reporters_lock: both lists change together */
    }
    pthread_rwlock_unlock(&reporters_lock);
    if (taken) {
        reporter_destroy(r);
        return extatus__error(EXTATUS_ERR_EXISTS, "a reporter named '%s' already exists", name);
    }
    self_metrics_add(name);
    return EXTATUS_OK;
}

int extatus_reporter_remove(const char *name)
{
    if (!name)
        return extatus__error(EXTATUS_ERR_INVALID, "reporter remove: name is NULL");
    pthread_rwlock_wrlock(&reporters_lock);
    reporter *found = NULL;
    for (reporter **link = &reporters; *link; link = &(*link)->next) {
        if (strcmp((*link)->name, name) == 0) {
            found = *link;
            *link = found->next;
            /* Stopping from the moment it is no longer listed (a reporter may look itself up). */
            atomic_store(&found->stopping, true);
            status_list_remove(found);
            break;
        }
    }
    pthread_rwlock_unlock(&reporters_lock);
    if (!found)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no reporter named '%s'", name);
    reporter_destroy(found);
    return EXTATUS_OK;
}

int extatus_reporter_get_status(const char *name, extatus_reporter_status *status)
{
    if (!name || !status)
        return extatus__error(EXTATUS_ERR_INVALID, "reporter status: NULL argument");
    memset(status, 0, sizeof(*status));
    if (!status_read(name, 0, sizeof(*status), status))
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no reporter named '%s'", name);
    return EXTATUS_OK;
}

/* ---- subscriptions ------------------------------------------------------------- */

static int check_spec(const char *reporter_name, const extatus_subscription *spec, bool interval)
{
    if (!reporter_name || !spec)
        return extatus__error(EXTATUS_ERR_INVALID, "subscription: NULL argument");
    if (spec->version != EXTATUS_SUBSCRIPTION_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "reporter '%s': subscription version %u is not supported",
                              reporter_name, spec->version);
    if (!spec->metric)
        return extatus__error(EXTATUS_ERR_INVALID, "reporter '%s': subscription has no metric",
                              reporter_name);
    if (spec->label_count && !spec->label_values)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "reporter '%s', metric '%s': label_count without label_values",
                              reporter_name, spec->metric);
    for (size_t i = 0; spec->label_values && i < spec->label_count; i++)
        if (!spec->label_values[i])
            return extatus__error(EXTATUS_ERR_INVALID,
                                  "reporter '%s', metric '%s': label value %zu is NULL",
                                  reporter_name, spec->metric, i);
    if (interval && (spec->interval_ms <= 0 || spec->interval_ms > 86400000))
        return extatus__error(EXTATUS_ERR_INVALID,
                              "reporter '%s', metric '%s': interval %lld ms is not in 1..86400000",
                              reporter_name, spec->metric, (long long)spec->interval_ms);
    return EXTATUS_OK;
}

static bool same_key(const subscription *s, const extatus_subscription *spec)
{
    const char *registry = spec->registry ? spec->registry : "default";
    if (strcmp(s->registry, registry) != 0 || strcmp(s->metric, spec->metric) != 0)
        return false;
    if ((s->datapoint == NULL) != (spec->datapoint == NULL) ||
        (s->datapoint && strcmp(s->datapoint, spec->datapoint) != 0))
        return false;
    if ((s->spec.label_values == NULL) != (spec->label_values == NULL) ||
        s->spec.label_count != spec->label_count)
        return false;
    for (size_t i = 0; spec->label_values && i < spec->label_count; i++)
        if (strcmp(s->labels[i], spec->label_values[i]) != 0)
            return false;
    return true;
}

static subscription *subscription_copy(const extatus_subscription *spec)
{
    subscription *s = extatus__calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->spec = *spec;
    bool ok = (s->registry = extatus__strdup(spec->registry ? spec->registry : "default")) &&
              (s->metric = extatus__strdup(spec->metric)) &&
              (!spec->datapoint || (s->datapoint = extatus__strdup(spec->datapoint)));
    if (ok && spec->label_values) {
        s->labels = extatus__calloc(spec->label_count ? spec->label_count : 1, sizeof(char *));
        ok = s->labels != NULL;
        for (size_t i = 0; ok && i < spec->label_count; i++)
            ok = (s->labels[i] = extatus__strdup(spec->label_values[i])) != NULL;
    }
    if (!ok) {
        subscription_free(s);
        return NULL;
    }
    s->spec.registry = s->registry;
    s->spec.metric = s->metric;
    s->spec.datapoint = s->datapoint;
    s->spec.label_values = spec->label_values ? (const char *const *)s->labels : NULL;
    return s;
}

static void count_subscription_locked(reporter *r, int change)
{
    pthread_mutex_lock(&r->status_lock);
    r->status.subscriptions += (size_t)(ptrdiff_t)change;
    pthread_mutex_unlock(&r->status_lock);
}

/* Unlink the subscription matching `spec`; *emptied is its group when that is now empty. */
static subscription *unlink_locked(reporter *r, const extatus_subscription *spec, group **emptied)
{
    *emptied = NULL;
    for (group **glink = &r->groups; *glink; glink = &(*glink)->next) {
        group *g = *glink;
        for (subscription **link = &g->subs; *link; link = &(*link)->next) {
            if (same_key(*link, spec)) {
                subscription *s = *link;
                *link = s->next;
                s->next = NULL;
                if (!g->subs) {
                    *glink = g->next;
                    *emptied = g;
                }
                return s;
            }
        }
    }
    return NULL;
}

static void group_free(group *g)
{
    if (!g)
        return;
    extatus__sched_remove(g->task); /* waits for a tick in progress */
    extatus__free(g);
}

int extatus_subscribe(const char *reporter_name, const extatus_subscription *spec)
{
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if ((rc = check_spec(reporter_name, spec, true)) != EXTATUS_OK)
        return rc;
    subscription *s = subscription_copy(spec);
    group *fresh = extatus__calloc(1, sizeof(*fresh));
    if (!s || !fresh) {
        subscription_free(s);
        extatus__free(fresh);
        return extatus__error(EXTATUS_ERR_NOMEM, "reporter '%s': out of memory", reporter_name);
    }

    group *emptied = NULL;
    subscription *replaced = NULL;
    pthread_rwlock_rdlock(&reporters_lock);
    reporter *r = find_locked(reporter_name);
    if (!r) {
        pthread_rwlock_unlock(&reporters_lock);
        subscription_free(s);
        extatus__free(fresh);
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no reporter named '%s'", reporter_name);
    }
    pthread_mutex_lock(&r->lock);
    uint64_t mark = extatus__error_mark();
    if (running_locked(r) && r->ops.subscribe &&
        (rc = r->ops.subscribe(r->state, &s->spec)) != EXTATUS_OK) {
        pthread_mutex_unlock(&r->lock);
        pthread_rwlock_unlock(&reporters_lock);
        subscription_free(s);
        extatus__free(fresh);
        (void)extatus__error_unless_since(mark, rc,
                                          "reporter '%s' refused the subscription to '%s' (%s)",
                                          reporter_name, spec->metric, extatus_strerror(rc));
        return rc;
    }
    replaced = unlink_locked(r, spec, &emptied); /* subscribing again: new interval */
    group *g = r->groups;
    while (g && g->interval_ms != spec->interval_ms)
        g = g->next;
    if (!g) {
        g = fresh;
        fresh = NULL;
        g->owner = r;
        g->interval_ms = spec->interval_ms;
        rc = extatus__sched_add(&g->task, g->interval_ms, g->interval_ms, group_tick, g);
        if (rc == EXTATUS_OK) {
            g->next = r->groups;
            r->groups = g;
        }
    }
    if (rc == EXTATUS_OK) {
        s->next = g->subs;
        g->subs = s;
        s = NULL;
        if (!replaced)
            count_subscription_locked(r, 1);
    } else if (replaced) {
        count_subscription_locked(r, -1);
    }
    pthread_mutex_unlock(&r->lock);
    pthread_rwlock_unlock(&reporters_lock);
    if (rc != EXTATUS_OK)
        extatus__free(g); /* the fresh group whose task could not start */
    extatus__free(fresh);
    subscription_free(s);
    subscription_free(replaced);
    group_free(emptied);
    return rc;
}

int extatus_unsubscribe(const char *reporter_name, const extatus_subscription *spec)
{
    int rc = check_spec(reporter_name, spec, false);
    if (rc != EXTATUS_OK)
        return rc;
    group *emptied = NULL;
    subscription *s = NULL;
    pthread_rwlock_rdlock(&reporters_lock);
    reporter *r = find_locked(reporter_name);
    if (r) {
        pthread_mutex_lock(&r->lock);
        s = unlink_locked(r, spec, &emptied);
        if (s)
            count_subscription_locked(r, -1);
        if (s && running_locked(r) && r->ops.unsubscribe)
            r->ops.unsubscribe(r->state, &s->spec);
        pthread_mutex_unlock(&r->lock);
    }
    pthread_rwlock_unlock(&reporters_lock);
    if (!r)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no reporter named '%s'", reporter_name);
    if (!s)
        return extatus__error(EXTATUS_ERR_NOT_FOUND,
                              "reporter '%s' has no subscription to '%s' like this one",
                              reporter_name, spec->metric);
    subscription_free(s);
    group_free(emptied);
    return EXTATUS_OK;
}

/* Terminate every reporter and drop the subscriptions (extatus_shutdown). */
static void report_shutdown(void)
{
    pthread_rwlock_wrlock(&reporters_lock);
    reporter *list = reporters;
    reporters = NULL;
    /* Stop them all first (as they leave the lists), so that their blocked deliveries give up
     * together. */
    for (reporter *r = list; r; r = r->next)
        atomic_store(&r->stopping, true);
    pthread_mutex_lock(&status_list_lock);
    status_list = NULL;
    pthread_mutex_unlock(&status_list_lock);
    pthread_rwlock_unlock(&reporters_lock);
    while (list) {
        reporter *next = list->next;
        reporter_destroy(list);
        list = next;
    }
}

/* The reporters join core as a layer: told of every new family and of
 * setopts, terminated at shutdown. */
const extatus__layer extatus__report_layer = {
    .name = "report",
    .shutdown = report_shutdown,
    .family_changed = family_event,
};
