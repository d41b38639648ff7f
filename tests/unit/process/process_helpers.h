/*
 * process_helpers.h - real worker threads, an event recorder and metric
 * readers shared by the process-layer tests (tests/unit/process/).
 */
#ifndef EXTATUS_PROCESS_HELPERS_H
#define EXTATUS_PROCESS_HELPERS_H

#include "test_support.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

/* ---- time ------------------------------------------------------------- */

static inline int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* ---- the handler, started for one test --------------------------------- */

/* Start the handler with a short period; deadline 0 means the period. */
static inline void start_handler(unsigned timeout_ms, unsigned deadline_ms, unsigned retention_ms)
{
    extatus_process_options options = EXTATUS_PROCESS_OPTIONS_INIT;
    options.timeout_ms = timeout_ms;
    options.deadline_ms = deadline_ms;
    options.retention_ms = retention_ms;
    assert_ok(extatus_process_start(&options));
}

/* ---- a recorder of events (callback subscriber) ------------------------- */

#define RECORDER_MAX 1024

typedef struct recorder {
    pthread_mutex_t lock;
    extatus_process_event events[RECORDER_MAX];
    size_t count;
} recorder;

/* Empty `rec`, ready to subscribe with recorder_fn. */
static inline void recorder_init(recorder *rec)
{
    memset(rec, 0, sizeof(*rec));
    pthread_mutex_init(&rec->lock, NULL);
}

static inline void recorder_fn(const extatus_process_event *event, void *user_data)
{
    recorder *rec = user_data;
    pthread_mutex_lock(&rec->lock);
    if (rec->count < RECORDER_MAX)
        rec->events[rec->count++] = *event;
    pthread_mutex_unlock(&rec->lock);
}

/*
 * Index of the first event at or after `from` for `name` in `state`,
 * waiting up to `timeout_ms` for it; -1 if none came.
 */
static inline long recorder_wait(recorder *rec, size_t from, const char *name,
                                 extatus_process_state state, long timeout_ms)
{
    int64_t until = now_ms() + timeout_ms;
    for (;;) {
        pthread_mutex_lock(&rec->lock);
        for (size_t i = from; i < rec->count; i++) {
            if (strcmp(rec->events[i].name, name) == 0 && rec->events[i].state == state) {
                pthread_mutex_unlock(&rec->lock);
                return (long)i;
            }
        }
        pthread_mutex_unlock(&rec->lock);
        if (now_ms() >= until)
            return -1;
        sleep_ms(5);
    }
}

/* The states `name` went through, in order, as a string like "UIUD". */
static inline void recorder_path(recorder *rec, const char *name, char *out, size_t size)
{
    static const char letters[] = "DIU";
    size_t n = 0;
    pthread_mutex_lock(&rec->lock);
    for (size_t i = 0; i < rec->count && n + 1 < size; i++)
        if (strcmp(rec->events[i].name, name) == 0)
            out[n++] = letters[rec->events[i].state];
    pthread_mutex_unlock(&rec->lock);
    out[n] = '\0';
}

/* ---- metric readers ------------------------------------------------------- */

/* Value of extatus_process_activity{name}; -1 when the series does not exist. */
static inline double activity_of(const char *name)
{
    const char *labels[] = {name};
    const char *datapoint[] = {"value"};
    extatus_value value;
    if (extatus_get_value(NULL, "extatus_process_activity", extatus_labels_of(labels, 1), datapoint,
                          1, &value) != EXTATUS_OK)
        return -1;
    return extatus_value_to_double(&value);
}

/* Value of extatus_process_exits_total{name,reason}; -1 when absent. */
static inline double exits_of(const char *name, const char *reason)
{
    const char *labels[] = {name, reason};
    const char *datapoint[] = {"value"};
    extatus_value value;
    if (extatus_get_value(NULL, "extatus_process_exits_total", extatus_labels_of(labels, 2),
                          datapoint, 1, &value) != EXTATUS_OK)
        return -1;
    return extatus_value_to_double(&value);
}

/* ---- a test worker: the seed's counter server ------------------------------ */

enum {
    RUN = 0,     /* serve: count and checkpoint */
    PAUSE = 1,   /* busy: no checkpoint until told otherwise */
    LEAVE = 2,   /* return from the thread without deregistering */
    DEREG = 3,   /* deregister (reason normal), then return */
    BLOCKED = 4, /* block until `release` is set (one that blocks forever) */
};

#define TIMES_MAX 512

typedef struct test_worker {
    const char *name;            /* from get_name */
    extatus_worker_mode mode;    /* checkpoint or lock */
    int watch_thread;            /* options.watch_thread */
    pthread_mutex_t lock;        /* lock mode: guards value */
    long value;                  /* the state: a counter (inc in the loop) */
    long report_sleep_ms;        /* make report slow */
    bool report_deregisters;     /* report tries to deregister itself */
    atomic_int deregister_rc;    /* what that returned */
    atomic_int control;          /* RUN, PAUSE, LEAVE, DEREG, BLOCKED */
    atomic_int release;          /* ends BLOCKED */
    atomic_int registered;       /* 1 once registered, -1 if that failed */
    atomic_int reports;          /* report calls */
    atomic_int report_on_worker; /* report ran on the worker's own thread */
    atomic_int report_had_lock;  /* lock mode: the mutex was held during report */
    extatus_worker *handle;      /* registration */
    extatus_gauge *instrument;   /* instrument_gauge{label=<name>} */
    pthread_t thread;            /* the worker's thread */
    pthread_mutex_t times_lock;  /* guards times */
    int64_t times[TIMES_MAX];    /* when report ran (monotonic ms) */
    size_t time_count;           /* entries in times */
} test_worker;

static inline const char *test_worker_name(void *state)
{
    return ((test_worker *)state)->name;
}

static inline void test_worker_report(void *state)
{
    test_worker *w = state;
    if (pthread_equal(pthread_self(), w->thread))
        atomic_store(&w->report_on_worker, 1);
    if (w->mode == EXTATUS_WORKER_LOCK && pthread_mutex_trylock(&w->lock) == 0) {
        /* Not held by the library: that would be a bug. */
        atomic_store(&w->report_had_lock, -1);
        pthread_mutex_unlock(&w->lock);
    } else if (w->mode == EXTATUS_WORKER_LOCK && atomic_load(&w->report_had_lock) == 0) {
        atomic_store(&w->report_had_lock, 1);
    }
    extatus_gauge_set(w->instrument, (double)w->value); /* the seed's Gauge.set */
    pthread_mutex_lock(&w->times_lock);
    if (w->time_count < TIMES_MAX)
        w->times[w->time_count++] = now_ms();
    pthread_mutex_unlock(&w->times_lock);
    atomic_fetch_add(&w->reports, 1);
    if (w->report_deregisters)
        atomic_store(&w->deregister_rc,
                     extatus_process_deregister(w->handle, EXTATUS_REASON_NORMAL));
    if (w->report_sleep_ms)
        sleep_ms(w->report_sleep_ms);
}

static const extatus_worker_ops test_worker_ops = {
    EXTATUS_WORKER_OPS_VERSION,
    test_worker_name,
    test_worker_report,
};

/* Set up `w` (not started); its instrument gauge is instrument_gauge{label=name}. */
static inline void test_worker_init(test_worker *w, const char *name, extatus_worker_mode mode)
{
    static const char *label[] = {"label"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Instrument gauge"),
        EXTATUS_OPT_STRINGS("labels", label, 1),
    };
    extatus_family *family;
    memset(w, 0, sizeof(*w));
    w->name = name;
    w->mode = mode;
    w->watch_thread = 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->times_lock, NULL);
    assert_ok(extatus_family_new(&family, NULL, "instrument_gauge", "gauge", options, 2));
    const char *values[] = {name};
    assert_ok(extatus_gauge_get(&w->instrument, family, extatus_labels_of(values, 1)));
}

static inline int test_worker_register(test_worker *w)
{
    extatus_worker_options options = EXTATUS_WORKER_OPTIONS_INIT;
    options.mode = w->mode;
    options.lock = w->mode == EXTATUS_WORKER_LOCK ? &w->lock : NULL;
    options.watch_thread = w->watch_thread;
    return extatus_process_register(&w->handle, &test_worker_ops, w, &options);
}

/* The worker's loop: registers itself, then serves until told to stop. */
static inline void *test_worker_main(void *arg)
{
    test_worker *w = arg;
    if (test_worker_register(w) != EXTATUS_OK) {
        atomic_store(&w->registered, -1);
        return NULL;
    }
    atomic_store(&w->registered, 1);
    for (;;) {
        int control = atomic_load(&w->control);
        if (control == LEAVE)
            return NULL;
        if (control == DEREG) {
            extatus_process_deregister(w->handle, EXTATUS_REASON_NORMAL);
            return NULL;
        }
        if (control == BLOCKED) {
            while (!atomic_load(&w->release))
                sleep_ms(2);
            int blocked = BLOCKED;
            atomic_compare_exchange_strong(&w->control, &blocked, RUN);
            continue;
        }
        if (control == RUN) {
            pthread_mutex_lock(&w->lock);
            w->value++;
            pthread_mutex_unlock(&w->lock);
            extatus_worker_checkpoint(w->handle);
        }
        sleep_ms(2);
    }
}

static inline void test_worker_start(test_worker *w)
{
    assert_int_equal(pthread_create(&w->thread, NULL, test_worker_main, w), 0);
    while (atomic_load(&w->registered) == 0)
        sleep_ms(1);
    assert_int_equal(atomic_load(&w->registered), 1);
}

static inline void test_worker_join(test_worker *w)
{
    pthread_join(w->thread, NULL);
}

/* Wait up to `timeout_ms` until `w` reported at least `count` times. */
static inline bool test_worker_wait_reports(test_worker *w, int count, long timeout_ms)
{
    int64_t until = now_ms() + timeout_ms;
    while (atomic_load(&w->reports) < count && now_ms() < until)
        sleep_ms(2);
    return atomic_load(&w->reports) >= count;
}

/* Report times of `w` from index `from`: the largest gap and the median gap. */
static inline void test_worker_gaps(test_worker *w, size_t from, int64_t *max_gap,
                                    int64_t *median_gap, size_t *gaps)
{
    int64_t sorted[TIMES_MAX];
    size_t n = 0;
    *max_gap = 0;
    pthread_mutex_lock(&w->times_lock);
    for (size_t i = from + 1; i < w->time_count; i++) {
        int64_t gap = w->times[i] - w->times[i - 1];
        sorted[n++] = gap;
        if (gap > *max_gap)
            *max_gap = gap;
    }
    pthread_mutex_unlock(&w->times_lock);
    for (size_t i = 1; i < n; i++) /* insertion sort: a few dozen values */
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            int64_t t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    *median_gap = n ? sorted[n / 2] : 0;
    *gaps = n;
}

#endif /* EXTATUS_PROCESS_HELPERS_H */
