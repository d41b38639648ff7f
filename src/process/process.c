/*
 * process.c - worker registration, the handler thread, checkpoints,
 * thread-exit detection and retention of down names.
 *
 * The handler works in rounds. At the start of round r (every timeout ms)
 * it stores r in every worker's `asked` and queues a lock-mode job for
 * each lock-mode worker (pool.c). A checkpoint-mode worker answers by
 * storing r in `answered` from extatus_worker_checkpoint(); a lock-mode
 * job stores it once the report ran under the worker's mutex. At the
 * deadline (deadline_ms after the start; with the default deadline equal
 * to the timeout this is the start of the next round, so the handler
 * wakes once per period) the handler judges round r: answered == r means
 * up, anything else idle. Each pass touches every worker once with a few
 * loads and stores and calls no user code.
 *
 * Down comes from extatus_process_deregister() or from the thread-specific
 * data destructor of the registering thread: both mark the worker
 * `ending`, wait until no lock-mode job for it is in flight (so no
 * callback runs after they return) and queue it for the handler, which
 * publishes down, counts the exit and frees the worker. The name stays,
 * with its series at 0, for the retention time.
 */
#include "process/process_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SERIES 100000 /* names the process families may hold */

extatus__proc_state extatus__proc = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .ended_cond = PTHREAD_COND_INITIALIZER,
    .names = EXTATUS__TABLE_INIT(extatus__pname, hash),
};

__thread int extatus__in_callback;

/* start and stop are serialised with each other (and auto-start). */
static pthread_mutex_t control_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Workers registered by one thread, found again by its thread-specific
 * data destructor. Links are allocated with libc's malloc rather than the
 * library's allocator: a thread may outlive extatus_shutdown() and a
 * change of allocator, and its link must still be freed correctly then.
 * Links are only read and changed under extatus__proc.lock.
 */
struct extatus__thread_link {
    extatus_worker *first; /* workers registered by the thread and watched */
};

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static int key_error;

static void thread_exit(void *value);

static const char *const reason_names[] = {
    NULL,          "answered", "timeout", "normal",   "error",
    "thread_exit", "shutdown", "signal",  "stopping", "absent",
};
#define REASON_COUNT (sizeof(reason_names) / sizeof(reason_names[0]))

const char *extatus_process_state_name(extatus_process_state state)
{
    switch (state) {
    case EXTATUS_PROCESS_DOWN:
        return "down";
    case EXTATUS_PROCESS_IDLE:
        return "idle";
    case EXTATUS_PROCESS_UP:
        return "up";
    }
    return "unknown";
}

const char *extatus_process_reason_name(extatus_process_reason reason)
{
    if ((unsigned)reason >= 1 && (unsigned)reason < REASON_COUNT)
        return reason_names[reason];
    return "unknown";
}

/* ---- names --------------------------------------------------------------- */

static uint32_t hash_name(const char *name)
{
    return extatus__hash_text(EXTATUS__HASH_INIT, name);
}

static bool pname_is(const void *item, const void *name)
{
    return strcmp(((const extatus__pname *)item)->name, name) == 0;
}

static extatus__pname *name_find_locked(const char *name, uint32_t hash)
{
    return extatus__table_find(&extatus__proc.names, hash, pname_is, name);
}

extatus__pname *extatus__pname_find_locked(const char *name)
{
    return name_find_locked(name, hash_name(name));
}

static void down_queue_remove_locked(extatus__pname *pname)
{
    if (pname->down_prev)
        pname->down_prev->down_next = pname->down_next;
    else if (extatus__proc.down_first == pname)
        extatus__proc.down_first = pname->down_next;
    else
        return; /* not queued */
    if (pname->down_next)
        pname->down_next->down_prev = pname->down_prev;
    else
        extatus__proc.down_last = pname->down_prev;
    pname->down_prev = pname->down_next = NULL;
}

static void down_queue_append_locked(extatus__pname *pname)
{
    pname->down_next = NULL;
    pname->down_prev = extatus__proc.down_last;
    if (extatus__proc.down_last)
        extatus__proc.down_last->down_next = pname;
    else
        extatus__proc.down_first = pname;
    extatus__proc.down_last = pname;
}

/* Unlink a name from the table and the lists and free it (series untouched). */
static void name_free_locked(extatus__pname *pname)
{
    extatus__table_remove(&extatus__proc.names, pname);
    extatus__text_unqueue_locked(pname);
    if (pname->prev)
        pname->prev->next = pname->next;
    else
        extatus__proc.first = pname->next;
    if (pname->next)
        pname->next->prev = pname->prev;
    else
        extatus__proc.last = pname->prev;
    down_queue_remove_locked(pname);
    extatus__free(pname);
}

void extatus__pname_event(const extatus__pname *pname, extatus_process_event *event)
{
    memset(event, 0, sizeof(*event));
    memcpy(event->name, pname->name, sizeof(event->name));
    event->state = (extatus_process_state)pname->state;
    event->reason = pname->reason;
    event->time_ns = pname->time_ns;
    event->sequence = pname->sequence;
    event->changes = pname->changes;
    event->last_exit = pname->last_exit;
}

/* ---- events collected during a pass -------------------------------------- */

typedef struct batch {
    extatus_process_event *events; /* collected, in order */
    size_t count;
    size_t capacity;
} batch;

static batch pending; /* the handler's; reused from pass to pass */

/* Record a change of state of `pname`: gauge, status and event. */
static void transition_locked(extatus__pname *pname, extatus_process_state state,
                              extatus_process_reason reason)
{
    if (pname->state == (int)state)
        return;
    pname->state = (int)state;
    pname->reason = reason;
    pname->time_ns = extatus__now_realtime_ns();
    pname->changes++;
    if (state == EXTATUS_PROCESS_DOWN)
        pname->last_exit = reason;
    extatus_gauge_set(pname->activity, (double)state);
    extatus__event_record_locked(pname);
}

void extatus__event_record_locked(extatus__pname *pname)
{
    extatus__text_unqueue_locked(pname); /* this event carries the text too */
    pname->sequence = ++extatus__proc.sequence;
    if (pending.count == pending.capacity) {
        size_t capacity = pending.capacity ? pending.capacity * 2 : 64;
        extatus_process_event *events =
            extatus__realloc(pending.events, capacity * sizeof(*events));
        if (!events)
            return; /* the state and gauge changed; only the event is lost */
        pending.events = events;
        pending.capacity = capacity;
    }
    extatus__pname_event(pname, &pending.events[pending.count++]);
}

/* ---- the worker array ------------------------------------------------------ */

static int workers_add_locked(extatus_worker *worker)
{
    if (extatus__proc.worker_count == extatus__proc.worker_capacity) {
        size_t capacity = extatus__proc.worker_capacity ? extatus__proc.worker_capacity * 2 : 64;
        extatus_worker **grown = extatus__realloc(extatus__proc.workers, capacity * sizeof(*grown));
        if (!grown)
            return EXTATUS_ERR_NOMEM;
        extatus__proc.workers = grown;
        extatus__proc.worker_capacity = capacity;
    }
    worker->index = extatus__proc.worker_count;
    extatus__proc.workers[extatus__proc.worker_count++] = worker;
    return EXTATUS_OK;
}

static void workers_remove_locked(extatus_worker *worker)
{
    extatus_worker *moved = extatus__proc.workers[--extatus__proc.worker_count];
    extatus__proc.workers[worker->index] = moved;
    moved->index = worker->index;
}

static void thread_detach_locked(extatus_worker *worker)
{
    if (!worker->thread)
        return;
    if (worker->thread_prev)
        worker->thread_prev->thread_next = worker->thread_next;
    else
        worker->thread->first = worker->thread_next;
    if (worker->thread_next)
        worker->thread_next->thread_prev = worker->thread_prev;
    worker->thread = NULL;
    worker->thread_prev = worker->thread_next = NULL;
}

/* ---- the handler ------------------------------------------------------------ */

/* Take one worker down: event, gauge, exit counter; its name starts retention. */
static void take_down_locked(extatus_worker *worker, extatus_process_reason reason, int64_t now)
{
    extatus__pname *pname = worker->pname;
    workers_remove_locked(worker);
    thread_detach_locked(worker);
    if (pname->worker == worker)
        pname->worker = NULL;
    if (!pname->worker) {
        /* Not taken over by a new worker yet: the retention starts. */
        down_queue_remove_locked(pname); /* an earlier worker of the name may be queued */
        pname->down_ns = now;
        down_queue_append_locked(pname);
    }
    int before = pname->state;
    extatus_process_reason before_reason = pname->reason;
    transition_locked(pname, EXTATUS_PROCESS_DOWN, reason);
    if (pname->worker) {
        /*
         * Taken over by a worker registered meanwhile: after this one's
         * down, the name is the new worker's again: up if it was not
         * judged yet (registering is answering), else its verdict.
         */
        bool judged = pname->polled && before != EXTATUS__STATE_NONE;
        transition_locked(pname, judged ? (extatus_process_state)before : EXTATUS_PROCESS_UP,
                          judged ? before_reason : EXTATUS_REASON_ANSWERED);
    }
    extatus_counter *exits;
    if (extatus_counter_get(&exits, extatus__proc.exits,
                            EXTATUS_LABELS(pname->name, extatus_process_reason_name(reason))) ==
        EXTATUS_OK)
        extatus_counter_inc(exits);
    extatus__reports_release(worker);
}

static void queue_push(extatus__worker_queue *queue, int which, extatus_worker *worker)
{
    worker->queue_next[which] = NULL;
    if (queue->last)
        queue->last->queue_next[which] = worker;
    else
        queue->first = worker;
    queue->last = worker;
}

static extatus_worker *queue_pop(extatus__worker_queue *queue, int which)
{
    extatus_worker *worker = queue->first;
    if (worker) {
        queue->first = worker->queue_next[which];
        if (!queue->first)
            queue->last = NULL;
        worker->queue_next[which] = NULL;
    }
    return worker;
}

/*
 * Publish `up` for the workers registered since the last pass. A worker
 * that registers is answering: it starts up. Called before the ended
 * queue is processed, since a worker may sit in both queues.
 */
static void announce_started_locked(void)
{
    extatus_worker *worker;
    while ((worker = queue_pop(&extatus__proc.started, EXTATUS__QUEUE_STARTED)))
        transition_locked(worker->pname, EXTATUS_PROCESS_UP, EXTATUS_REASON_ANSWERED);
}

static void take_down_ended_locked(int64_t now)
{
    extatus_worker *worker;
    while ((worker = queue_pop(&extatus__proc.ended, EXTATUS__QUEUE_ENDED)))
        take_down_locked(
            worker,
            (extatus_process_reason)atomic_load_explicit(&worker->ending, memory_order_relaxed),
            now);
}

/* Judge round `round`: answered in it means up, otherwise idle. */
static void verdict_locked(uint64_t round)
{
    for (size_t i = 0; i < extatus__proc.worker_count; i++) {
        extatus_worker *worker = extatus__proc.workers[i];
        if (atomic_load_explicit(&worker->asked, memory_order_relaxed) != round ||
            atomic_load_explicit(&worker->ending, memory_order_relaxed))
            continue; /* registered after the question, or on its way down */
        worker->pname->polled = true;
        /*
         * A worker parked in extatus_worker_wait() now is answering: it
         * either answered this round on entering the wait or has waited
         * since before the question. Its report runs when a pool thread
         * gets its mutex; a report that could not run in time (a busy
         * machine) does not make it idle, but a mutex that another thread
         * held past the deadline does: nothing could reach the worker.
         */
        bool waiting = worker->mode == EXTATUS_WORKER_CHECKPOINT && atomic_load(&worker->parked) &&
                       atomic_load(&worker->mutex_busy_round) != round;
        if (atomic_load_explicit(&worker->answered, memory_order_acquire) == round || waiting)
            transition_locked(worker->pname, EXTATUS_PROCESS_UP, EXTATUS_REASON_ANSWERED);
        else
            transition_locked(worker->pname, EXTATUS_PROCESS_IDLE, EXTATUS_REASON_TIMEOUT);
    }
    extatus__proc.polls++;
}

/* Start round `round`: ask every worker, queue the lock-mode jobs. */
static void ask_locked(uint64_t round, int64_t deadline_ns)
{
    bool any_lock = false;
    pthread_mutex_lock(&extatus__reports_lock);
    for (size_t i = 0; i < extatus__proc.worker_count; i++) {
        extatus_worker *worker = extatus__proc.workers[i];
        /*
         * Sequentially consistent with the worker's store of `parked` and
         * load of `asked` in extatus_worker_wait(): either this sees it
         * parked and queues a job, or it sees the question and answers.
         */
        atomic_store(&worker->asked, round);
        bool parked = worker->mode == EXTATUS_WORKER_CHECKPOINT && atomic_load(&worker->parked);
        if ((worker->mode == EXTATUS_WORKER_LOCK || parked) &&
            !atomic_load_explicit(&worker->ending, memory_order_relaxed)) {
            extatus__reports_submit_locked(worker, round, deadline_ns);
            any_lock = true;
        }
    }
    if (any_lock)
        extatus__reports_kick_locked();
    pthread_mutex_unlock(&extatus__reports_lock);
}

/* Remove the series of names down for longer than the retention. */
static void expire_locked(int64_t now)
{
    if (extatus__proc.retention_ms == EXTATUS_PROCESS_RETAIN_FOREVER)
        return;
    int64_t keep = (int64_t)extatus__proc.retention_ms * 1000000;
    while (extatus__proc.down_first && now - extatus__proc.down_first->down_ns >= keep) {
        extatus__pname *pname = extatus__proc.down_first;
        /* Most reasons never had a series: those NOT_FOUNDs leave no message. */
        extatus__error_quiet_begin();
        extatus_family_remove(extatus__proc.activity, EXTATUS_LABELS(pname->name));
        for (unsigned r = EXTATUS_REASON_NORMAL; r < REASON_COUNT; r++)
            extatus_family_remove(extatus__proc.exits,
                                  EXTATUS_LABELS(pname->name, reason_names[r]));
        extatus__error_quiet_end();
        name_free_locked(pname);
    }
}

static void publish_locked(void)
{
    /* Returns with the lock released; the events stay valid (only this thread grows them). */
    size_t count = pending.count;
    pending.count = 0;
    extatus__events_publish_unlock(pending.events, count);
    pthread_mutex_lock(&extatus__proc.lock);
}

static struct timespec monotonic_timespec(int64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    return ts;
}

/* The last pass: every worker goes down, names and workers are freed. */
static void final_pass_locked(void)
{
    int64_t now = extatus__now_monotonic_ns();
    announce_started_locked();
    take_down_ended_locked(now);
    while (extatus__proc.worker_count > 0) {
        extatus_worker *worker = extatus__proc.workers[0];
        atomic_store_explicit(&worker->ending, EXTATUS_REASON_SHUTDOWN, memory_order_relaxed);
        take_down_locked(worker, EXTATUS_REASON_SHUTDOWN, now);
    }
    publish_locked();
    while (extatus__proc.first)
        name_free_locked(extatus__proc.first);
}

static struct timespec realtime_in(int64_t monotonic_ns)
{
    int64_t at = extatus__now_realtime_ns() + (monotonic_ns - extatus__now_monotonic_ns());
    struct timespec ts = {(time_t)(at / 1000000000), (long)(at % 1000000000)};
    return ts;
}

/*
 * At stop: wake `worker` if it waits in extatus_worker_wait(), so that
 * the wait returns EXTATUS_ERR_STATE. The broadcast is made holding the
 * worker's mutex when that can be had before `give_up_ns`, so that it
 * cannot fall between the wait's check of `ending` and its sleep.
 */
static void wake_waiter(extatus_worker *worker, int64_t give_up_ns)
{
    pthread_mutex_lock(&extatus__reports_lock);
    pthread_cond_t *cond = worker->waiting ? worker->wait_cond : NULL;
    pthread_mutex_t *mutex = worker->wait_mutex;
    pthread_mutex_unlock(&extatus__reports_lock);
    if (!cond)
        return;
    struct timespec until = realtime_in(give_up_ns);
    bool locked = pthread_mutex_timedlock(mutex, &until) == 0;
    pthread_cond_broadcast(cond);
    if (locked)
        pthread_mutex_unlock(mutex);
}

static void *handler_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&extatus__proc.lock);
    int64_t period = (int64_t)extatus__proc.timeout_ms * 1000000;
    int64_t deadline = (int64_t)extatus__proc.deadline_ms * 1000000;
    int64_t next_ask = extatus__now_monotonic_ns() + period;
    int64_t verdict_at = 0;
    while (!extatus__proc.stopping) {
        int64_t now = extatus__now_monotonic_ns();
        announce_started_locked();
        take_down_ended_locked(now);
        extatus__texts_announce_locked();
        if (extatus__proc.verdict_due && now >= verdict_at) {
            verdict_locked(extatus__proc.round);
            extatus__proc.verdict_due = false;
        }
        if (now >= next_ask) {
            /* Fixed rate; after a long stall (suspend), restart from now. */
            int64_t started = next_ask;
            next_ask += period;
            if (next_ask <= now) {
                started = now;
                next_ask = now + period;
            }
            extatus__proc.round++;
            ask_locked(extatus__proc.round, started + deadline);
            extatus__proc.verdict_due = true;
            verdict_at = started + deadline;
        }
        expire_locked(now);
        if (pending.count)
            publish_locked();
        if (extatus__proc.stopping || extatus__proc.ended.first || extatus__proc.started.first ||
            extatus__proc.text_first)
            continue;
        int64_t wake = extatus__proc.verdict_due && verdict_at < next_ask ? verdict_at : next_ask;
        struct timespec until = monotonic_timespec(wake);
        pthread_cond_timedwait(&extatus__proc.wake, &extatus__proc.lock, &until);
    }
    /*
     * Stop in bounded time, whatever a report does: every worker is
     * ending from now on; workers inside extatus_worker_wait() are woken;
     * the pool gets until twice the deadline to finish its jobs and
     * leaves a report that has not returned by then behind.
     */
    int64_t give_up = extatus__now_monotonic_ns() + 2 * deadline;
    for (size_t i = 0; i < extatus__proc.worker_count; i++) {
        int expected = 0;
        atomic_compare_exchange_strong(&extatus__proc.workers[i]->ending, &expected,
                                       (int)EXTATUS_REASON_SHUTDOWN);
    }
    pthread_mutex_unlock(&extatus__proc.lock);
    /* No worker is added or removed while stopping but by this thread: no lock needed. */
    for (size_t i = 0; i < extatus__proc.worker_count; i++)
        wake_waiter(extatus__proc.workers[i], give_up);
    extatus__reports_stop(give_up); /* reports in progress may take our lock */
    pthread_mutex_lock(&extatus__proc.lock);
    /* Let deregistrations and thread exits in progress queue their worker. */
    while (extatus__proc.enders > 0)
        pthread_cond_wait(&extatus__proc.ended_cond, &extatus__proc.lock);
    final_pass_locked();
    pthread_mutex_unlock(&extatus__proc.lock);
    return NULL;
}

/* ---- start and stop ---------------------------------------------------------- */

/* The period from EXTATUS_TIMEOUT (through the one parser of the settings), else the default. */
static int timeout_from_environment(unsigned *out)
{
    extatus_config config = EXTATUS_CONFIG_INIT;
    bool found = false;
    int rc = extatus_config_from_env_setting(&config, "timeout", &found);
    *out = found ? config.timeout_ms : EXTATUS_PROCESS_DEFAULT_TIMEOUT_MS;
    return rc;
}

/* The handler's settings once defaults and the environment are applied. */
typedef struct settings {
    unsigned timeout;      /* ms */
    unsigned deadline;     /* ms */
    unsigned retention;    /* ms */
    unsigned lock_threads; /* pool limit */
} settings;

static int check_options(const extatus_process_options *options, settings *out)
{
    unsigned *timeout = &out->timeout;
    unsigned *deadline = &out->deadline;
    extatus_process_options defaults = EXTATUS_PROCESS_OPTIONS_INIT;
    if (!options)
        options = &defaults;
    if (options->version != EXTATUS_PROCESS_OPTIONS_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID, "process options: version %u unsupported",
                              options->version);
    *timeout = options->timeout_ms;
    if (*timeout == 0) {
        int rc = timeout_from_environment(timeout);
        if (rc != EXTATUS_OK)
            return rc;
    }
    if (*timeout > EXTATUS_CONFIG_TIMEOUT_MAX_MS)
        return extatus__error(EXTATUS_ERR_INVALID, "process options: timeout_ms %u is above %u",
                              *timeout, EXTATUS_CONFIG_TIMEOUT_MAX_MS);
    *deadline = options->deadline_ms ? options->deadline_ms : *timeout;
    if (*deadline > *timeout)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "process options: deadline_ms %u is above timeout_ms %u", *deadline,
                              *timeout);
    out->retention = options->retention_ms;
    out->lock_threads =
        options->lock_threads ? options->lock_threads : EXTATUS_PROCESS_DEFAULT_LOCK_THREADS;
    if (out->lock_threads > EXTATUS_PROCESS_MAX_LOCK_THREADS)
        return extatus__error(EXTATUS_ERR_INVALID, "process options: lock_threads %u is above %u",
                              out->lock_threads, EXTATUS_PROCESS_MAX_LOCK_THREADS);
    return EXTATUS_OK;
}

/* The process metrics, created (or found) in `registry`. */
static int create_families(extatus_registry *registry, extatus_counter **dropped)
{
    const char *name_label[] = {"name"};
    const char *exit_labels[] = {"name", "reason"};
    extatus_option activity_options[] = {
        EXTATUS_OPT_STRING("help", "Worker status: 2 up (answered), 1 idle (no answer before the "
                                   "deadline), 0 down (ended)."),
        EXTATUS_OPT_STRINGS("labels", name_label, 1),
        EXTATUS_OPT_NUMBER("max_series", MAX_SERIES),
    };
    extatus_option exits_options[] = {
        EXTATUS_OPT_STRING("help", "Workers that went down, by name and reason (normal, error, "
                                   "thread_exit, shutdown, signal, stopping, absent)."),
        EXTATUS_OPT_STRINGS("labels", exit_labels, 2),
        EXTATUS_OPT_NUMBER("max_series", MAX_SERIES * 4),
    };
    int rc = extatus_family_new(&extatus__proc.activity, registry, "extatus_process_activity",
                                "gauge", activity_options, 3);
    if (rc == EXTATUS_OK)
        rc = extatus_family_new(&extatus__proc.exits, registry, "extatus_process_exits_total",
                                "counter", exits_options, 3);
    if (rc == EXTATUS_OK)
        rc = extatus_counter_new(dropped, registry, "extatus_process_events_dropped_total",
                                 "Status events dropped because a subscriber's queue was full.");
    return rc;
}

static void make_key(void)
{
    key_error = pthread_key_create(&thread_key, thread_exit);
}

static int start_locked(const extatus_process_options *options)
{
    settings config = {0, 0, 0, 0};
    int rc = check_options(options, &config);
    if (rc != EXTATUS_OK)
        return rc;
    if ((rc = extatus__ensure_init()) != EXTATUS_OK)
        return rc;
    pthread_once(&key_once, make_key);
    if (key_error)
        return extatus__error(EXTATUS_ERR_SYSTEM, "process handler: pthread_key_create: %d",
                              key_error);
    extatus_registry *registry = extatus__registry_resolve(options ? options->registry : NULL);
    if (!registry)
        return extatus__error(EXTATUS_ERR_NOMEM, "process handler: no default registry");
    extatus_counter *dropped = NULL;
    if ((rc = create_families(registry, &dropped)) != EXTATUS_OK)
        return rc;
    if ((rc = extatus__reports_start(config.lock_threads)) != EXTATUS_OK)
        return rc;

    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_lock(&extatus__proc.lock);
    pthread_cond_init(&extatus__proc.wake, &attr);
    pthread_condattr_destroy(&attr);
    extatus__proc.timeout_ms = config.timeout;
    extatus__proc.deadline_ms = config.deadline;
    extatus__proc.retention_ms = config.retention;
    extatus__proc.stopping = false;
    extatus__proc.round = 0;
    extatus__proc.verdict_due = false;
    extatus__proc.polls = 0;
    rc = pthread_create(&extatus__proc.handler, NULL, handler_main, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&extatus__proc.wake);
        pthread_mutex_unlock(&extatus__proc.lock);
        extatus__reports_stop(extatus__now_monotonic_ns());
        return extatus__error(EXTATUS_ERR_SYSTEM,
                              "process handler: cannot start its thread (pthread_create: %d)", rc);
    }
    extatus__proc.running = true;
    pthread_mutex_unlock(&extatus__proc.lock);
    extatus__events_set_dropped_counter(dropped);
    return EXTATUS_OK;
}

int extatus_process_start(const extatus_process_options *options)
{
    pthread_mutex_lock(&control_lock);
    int rc;
    if (extatus__proc.running)
        rc = extatus__error(EXTATUS_ERR_STATE, "process handler: already running (call "
                                               "extatus_process_stop() first)");
    else
        rc = start_locked(options);
    pthread_mutex_unlock(&control_lock);
    return rc;
}

int extatus_process_stop(void)
{
    if (extatus__in_callback)
        return extatus__error(EXTATUS_ERR_STATE,
                              "process handler: cannot stop from a report or event callback");
    pthread_mutex_lock(&control_lock);
    pthread_mutex_lock(&extatus__proc.lock);
    bool running = extatus__proc.running;
    if (running) {
        extatus__proc.stopping = true;
        pthread_cond_signal(&extatus__proc.wake);
    }
    pthread_mutex_unlock(&extatus__proc.lock);
    if (running) {
        pthread_join(extatus__proc.handler, NULL);
        extatus__events_set_dropped_counter(NULL);
        pthread_mutex_lock(&extatus__proc.lock);
        extatus__proc.running = false;
        extatus__proc.stopping = false;
        extatus__free(extatus__proc.workers);
        extatus__table_dispose(&extatus__proc.names);
        extatus__free(pending.events);
        pending = (batch){NULL, 0, 0};
        extatus__proc.workers = NULL;
        extatus__proc.worker_capacity = 0;
        pthread_cond_destroy(&extatus__proc.wake);
        pthread_mutex_unlock(&extatus__proc.lock);
    }
    pthread_mutex_unlock(&control_lock);
    return EXTATUS_OK;
}

/* ---- registration --------------------------------------------------------------- */

static int check_name(const char *name)
{
    if (!name)
        return extatus__error(EXTATUS_ERR_CALLBACK, "worker: get_name returned NULL");
    size_t length = strlen(name);
    size_t bad = 0;
    if (length == 0)
        return extatus__error(EXTATUS_ERR_LABEL, "worker: get_name returned an empty name");
    if (length > EXTATUS_WORKER_NAME_MAX)
        return extatus__error(EXTATUS_ERR_LABEL,
                              "worker name '%.32s...' is %zu bytes long; at most %d are allowed",
                              name, length, EXTATUS_WORKER_NAME_MAX);
    if (extatus__check_utf8(name, length, &bad) != EXTATUS_OK)
        return extatus__error(EXTATUS_ERR_LABEL, "worker name is not valid UTF-8 (byte %zu)", bad);
    return EXTATUS_OK;
}

static int check_worker_options(const extatus_worker_options *options, const char *name)
{
    if (!options)
        return EXTATUS_OK;
    if (options->version != EXTATUS_WORKER_OPTIONS_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID, "worker '%s': options version %u unsupported",
                              name, options->version);
    if (options->mode != EXTATUS_WORKER_CHECKPOINT && options->mode != EXTATUS_WORKER_LOCK)
        return extatus__error(EXTATUS_ERR_INVALID, "worker '%s': unknown mode %d", name,
                              (int)options->mode);
    if (options->mode == EXTATUS_WORKER_LOCK && !options->lock)
        return extatus__error(EXTATUS_ERR_INVALID, "worker '%s': lock mode needs options->lock",
                              name);
    return EXTATUS_OK;
}

/* The calling thread's link, created if needed (NULL: no memory). */
static extatus__thread_link *thread_link_get(void)
{
    extatus__thread_link *link = pthread_getspecific(thread_key);
    if (!link) {
        link = calloc(1, sizeof(*link));
        if (link && pthread_setspecific(thread_key, link) != 0) {
            free(link);
            link = NULL;
        }
    }
    return link;
}

/* Bind a new worker to `pname` (creating the name when it is new). */
static int attach_locked(extatus_worker *worker, extatus__pname *pname, const char *name,
                         uint32_t hash)
{
    bool fresh = !pname;
    if (fresh) {
        if (extatus__table_reserve(&extatus__proc.names, extatus__proc.names.count + 1) !=
            EXTATUS_OK)
            return extatus__error(EXTATUS_ERR_NOMEM, "worker '%s': out of memory", name);
        pname = extatus__calloc(1, sizeof(*pname));
        if (!pname)
            return extatus__error(EXTATUS_ERR_NOMEM, "worker '%s': out of memory", name);
        memcpy(pname->name, name, strlen(name) + 1);
        pname->hash = hash;
        pname->state = EXTATUS__STATE_NONE;
        int rc = extatus_gauge_get(&pname->activity, extatus__proc.activity, EXTATUS_LABELS(name));
        if (rc != EXTATUS_OK) {
            extatus__free(pname);
            return rc;
        }
    }
    if (workers_add_locked(worker) != EXTATUS_OK) {
        if (fresh) {
            extatus_family_remove(extatus__proc.activity, EXTATUS_LABELS(name));
            extatus__free(pname);
        }
        return extatus__error(EXTATUS_ERR_NOMEM, "worker '%s': out of memory", name);
    }
    if (fresh) {
        /* Cannot fail: the room was reserved above. */
        (void)extatus__table_insert(&extatus__proc.names, pname);
        pname->prev = extatus__proc.last;
        if (extatus__proc.last)
            extatus__proc.last->next = pname;
        else
            extatus__proc.first = pname;
        extatus__proc.last = pname;
    } else {
        /*
         * A restart under a retained name: same series, no longer
         * expiring. Its `up` is published after the name's `down` (also
         * when the previous worker's down is still to be published, see
         * take_down_locked).
         */
        down_queue_remove_locked(pname);
    }
    pname->polled = false;
    pname->worker = worker;
    worker->pname = pname;
    /*
     * Registering is answering: the worker starts up. The gauge says so at
     * once; the handler publishes the `up` event (events come from its
     * thread only, in one order) at its next pass, woken for it.
     */
    extatus_gauge_set(pname->activity, EXTATUS_PROCESS_UP);
    queue_push(&extatus__proc.started, EXTATUS__QUEUE_STARTED, worker);
    pthread_cond_signal(&extatus__proc.wake);
    return EXTATUS_OK;
}

int extatus_process_register(extatus_worker **out, const extatus_worker_ops *ops, void *state,
                             const extatus_worker_options *options)
{
    if (!out)
        return extatus__error(EXTATUS_ERR_INVALID, "worker: out pointer is NULL");
    *out = NULL;
    if (!ops)
        return extatus__error(EXTATUS_ERR_INVALID, "worker: ops is NULL");
    if (ops->version != EXTATUS_WORKER_OPS_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID, "worker: ops version %u unsupported",
                              ops->version);
    if (!ops->get_name)
        return extatus__error(EXTATUS_ERR_INVALID, "worker: ops->get_name is NULL");

    char name[EXTATUS_WORKER_NAME_MAX + 1];
    const char *given = ops->get_name(state);
    int rc = check_name(given);
    if (rc != EXTATUS_OK)
        return rc;
    memcpy(name, given, strlen(given) + 1);
    if ((rc = check_worker_options(options, name)) != EXTATUS_OK)
        return rc;
    bool watch = !options || options->watch_thread;

    /* Start the handler with the defaults if nobody did. */
    pthread_mutex_lock(&control_lock);
    rc = extatus__proc.running ? EXTATUS_OK : start_locked(NULL);
    pthread_mutex_unlock(&control_lock);
    if (rc != EXTATUS_OK)
        return rc;

    extatus__thread_link *link = watch ? thread_link_get() : NULL;
    if (watch && !link)
        return extatus__error(EXTATUS_ERR_NOMEM, "worker '%s': out of memory", name);
    extatus_worker *worker = extatus__worker_alloc();
    if (!worker)
        return extatus__error(EXTATUS_ERR_NOMEM, "worker '%s': out of memory", name);
    worker->ops = *ops;
    worker->state = state;
    worker->mode = options ? options->mode : EXTATUS_WORKER_CHECKPOINT;
    worker->lock = options ? options->lock : NULL;

    uint32_t hash = hash_name(name);
    pthread_mutex_lock(&extatus__proc.lock);
    if (!extatus__proc.running || extatus__proc.stopping) {
        pthread_mutex_unlock(&extatus__proc.lock);
        extatus__worker_free(worker);
        return extatus__error(EXTATUS_ERR_STATE, "worker '%s': the process handler is stopping",
                              name);
    }
    extatus__pname *pname = name_find_locked(name, hash);
    if (pname && pname->worker) {
        extatus_worker *existing = pname->worker;
        bool same = existing->state == state && existing->ops.get_name == ops->get_name &&
                    existing->ops.report == ops->report &&
                    !atomic_load_explicit(&existing->ending, memory_order_relaxed);
        pthread_mutex_unlock(&extatus__proc.lock);
        extatus__worker_free(worker);
        if (!same)
            return extatus__error(EXTATUS_ERR_EXISTS,
                                  "worker '%s': a different worker is registered under this name",
                                  name);
        *out = existing;
        return EXTATUS_OK;
    }
    rc = attach_locked(worker, pname, name, hash);
    if (rc != EXTATUS_OK) {
        pthread_mutex_unlock(&extatus__proc.lock);
        extatus__worker_free(worker);
        return rc;
    }
    if (link) {
        worker->thread = link;
        worker->thread_next = link->first;
        if (link->first)
            link->first->thread_prev = worker;
        link->first = worker;
    }
    pthread_mutex_unlock(&extatus__proc.lock);
    *out = worker;
    return EXTATUS_OK;
}

/*
 * A worker that is ending gives up its name at once, so that a restart
 * may register under it before the handler has published the down.
 */
static void release_name_locked(extatus_worker *worker)
{
    if (worker->pname->worker == worker)
        worker->pname->worker = NULL;
}

/* Second half of ending a worker: wait for its job, then hand it to the handler. */
static void finish_ending(extatus_worker *worker)
{
    extatus__reports_wait_idle(worker);
    pthread_mutex_lock(&extatus__proc.lock);
    queue_push(&extatus__proc.ended, EXTATUS__QUEUE_ENDED, worker);
    extatus__proc.enders--;
    pthread_cond_signal(&extatus__proc.wake);
    pthread_cond_broadcast(&extatus__proc.ended_cond);
    pthread_mutex_unlock(&extatus__proc.lock);
}

int extatus_process_deregister(extatus_worker *worker, extatus_process_reason reason)
{
    if (!worker)
        return extatus__error(EXTATUS_ERR_INVALID, "worker deregister: worker is NULL");
    if (reason < EXTATUS_REASON_NORMAL || reason > EXTATUS_REASON_ABSENT ||
        reason == EXTATUS_REASON_THREAD_EXIT)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "worker deregister: reason %d is not an exit reason (normal, error, "
                              "shutdown, signal, stopping, absent)",
                              (int)reason);
    if (extatus__in_callback)
        return extatus__error(EXTATUS_ERR_STATE, "worker deregister: not allowed inside a report "
                                                 "or event callback");
    pthread_mutex_lock(&extatus__proc.lock);
    int expected = 0;
    if (extatus__proc.stopping ||
        !atomic_compare_exchange_strong(&worker->ending, &expected, (int)reason)) {
        pthread_mutex_unlock(&extatus__proc.lock);
        return extatus__error(EXTATUS_ERR_STATE,
                              "worker deregister: the worker is already ending or the handler "
                              "is stopping");
    }
    thread_detach_locked(worker);
    release_name_locked(worker);
    extatus__proc.enders++;
    pthread_mutex_unlock(&extatus__proc.lock);
    finish_ending(worker);
    return EXTATUS_OK;
}

/* The thread-specific data destructor: the thread ended; its workers are down. */
static void thread_exit(void *value)
{
    extatus__thread_link *link = value;
    extatus_worker *ending = NULL;
    pthread_mutex_lock(&extatus__proc.lock);
    while (link->first) {
        extatus_worker *worker = link->first;
        thread_detach_locked(worker);
        int expected = 0;
        if (!extatus__proc.stopping &&
            atomic_compare_exchange_strong(&worker->ending, &expected,
                                           (int)EXTATUS_REASON_THREAD_EXIT)) {
            release_name_locked(worker);
            extatus__proc.enders++;
            worker->queue_next[EXTATUS__QUEUE_ENDED] = ending; /* a local list until queued */
            ending = worker;
        }
    }
    pthread_mutex_unlock(&extatus__proc.lock);
    free(link);
    while (ending) {
        extatus_worker *next = ending->queue_next[EXTATUS__QUEUE_ENDED];
        finish_ending(ending);
        ending = next;
    }
}

void extatus_worker_checkpoint(extatus_worker *worker)
{
    if (EXTATUS__UNLIKELY(!worker))
        return;
    uint64_t asked = atomic_load_explicit(&worker->asked, memory_order_acquire);
    if (EXTATUS__LIKELY(asked == atomic_load_explicit(&worker->answered, memory_order_relaxed)) ||
        worker->mode != EXTATUS_WORKER_CHECKPOINT)
        return;
    if (worker->ops.report) {
        extatus__in_callback = 1;
        worker->ops.report(worker->state);
        extatus__in_callback = 0;
    }
    atomic_store_explicit(&worker->answered, asked, memory_order_release);
}

/* Leave the wait: the record is freed here if it was taken down meanwhile. */
static bool unpark(extatus_worker *worker)
{
    atomic_store(&worker->parked, NULL);
    pthread_mutex_lock(&extatus__reports_lock);
    worker->waiting = false;
    worker->wait_cond = NULL;
    worker->wait_mutex = NULL;
    bool gone = worker->orphan;
    extatus__worker_free_if_unheld_locked(worker);
    pthread_mutex_unlock(&extatus__reports_lock);
    return gone;
}

static void unpark_on_cancel(void *worker)
{
    unpark(worker);
}

/* Wait on `cond` (until `deadline` when given): OK, EXTATUS_WAIT_TIMEDOUT, or the error. */
static int cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *deadline)
{
    int rc =
        deadline ? pthread_cond_timedwait(cond, mutex, deadline) : pthread_cond_wait(cond, mutex);
    if (rc == 0)
        return EXTATUS_OK;
    if (rc == ETIMEDOUT)
        return EXTATUS_WAIT_TIMEDOUT;
    return extatus__error(rc == EINVAL ? EXTATUS_ERR_INVALID : EXTATUS_ERR_SYSTEM,
                          "worker wait: waiting on the condition failed: %s", strerror(rc));
}

int extatus_worker_wait(extatus_worker *worker, pthread_cond_t *cond, pthread_mutex_t *mutex,
                        const struct timespec *deadline)
{
    if (!cond || !mutex)
        return extatus__error(EXTATUS_ERR_INVALID, "worker wait: cond or mutex is NULL");
    if (extatus__in_callback)
        return extatus__error(EXTATUS_ERR_STATE, "worker wait: not allowed inside a report or "
                                                 "event callback");
    if (!worker || worker->mode != EXTATUS_WORKER_CHECKPOINT) {
        /* Nothing to answer for here (a lock-mode worker answers through its lock). */
        return cond_wait(cond, mutex, deadline);
    }
    pthread_mutex_lock(&extatus__reports_lock);
    bool ending = worker->orphan || atomic_load_explicit(&worker->ending, memory_order_acquire);
    if (!ending) {
        worker->waiting = true;
        worker->wait_cond = cond;
        worker->wait_mutex = mutex;
    }
    pthread_mutex_unlock(&extatus__reports_lock);
    if (ending)
        return extatus__error(EXTATUS_ERR_STATE, "worker wait: the worker is being taken down");
    int rc;
    /* Cancellation (in the wait, or in a report that the checkpoint runs) unparks too. */
    pthread_cleanup_push(unpark_on_cancel, worker);
    /*
     * Parked first, then answer what was asked: with the handler's store
     * of `asked` and load of `parked` (both sequentially consistent), no
     * question falls between the two.
     */
    atomic_store(&worker->parked, mutex);
    atomic_thread_fence(memory_order_seq_cst);
    extatus_worker_checkpoint(worker);
    rc = cond_wait(cond, mutex, deadline);
    pthread_cleanup_pop(0);
    /*
     * Still marked waiting, so a stop cannot free the record under us: no
     * more reports through the mutex, then answer what was asked while no
     * job could get the mutex, and only then leave the wait, after which
     * the record is not touched (a stop may free it at once).
     */
    atomic_store(&worker->parked, NULL);
    pthread_mutex_lock(&extatus__reports_lock);
    bool stopped = worker->orphan;
    pthread_mutex_unlock(&extatus__reports_lock);
    ending = atomic_load_explicit(&worker->ending, memory_order_acquire);
    if (!stopped && !ending)
        extatus_worker_checkpoint(worker);
    if (unpark(worker))
        return extatus__error(EXTATUS_ERR_STATE, "worker wait: the process handler stopped");
    if (ending)
        return extatus__error(EXTATUS_ERR_STATE, "worker wait: the worker is being taken down");
    return rc;
}

/* ---- read-outs ---------------------------------------------------------------------- */

int extatus_process_list(extatus_process_event **out, size_t *count)
{
    if (!out || !count)
        return extatus__error(EXTATUS_ERR_INVALID, "process list: NULL argument");
    *out = NULL;
    *count = 0;
    pthread_mutex_lock(&extatus__proc.lock);
    size_t n = extatus__proc.names.count;
    extatus_process_event *events = n ? extatus__calloc(n, sizeof(*events)) : NULL;
    if (n && !events) {
        pthread_mutex_unlock(&extatus__proc.lock);
        return extatus__error(EXTATUS_ERR_NOMEM, "process list: no memory for %zu workers", n);
    }
    size_t i = 0;
    for (const extatus__pname *pname = extatus__proc.first; pname && i < n; pname = pname->next) {
        extatus_process_event *event = &events[i++];
        extatus__pname_event(pname, event);
        if (pname->worker && !pname->polled && pname->state != EXTATUS_PROCESS_UP) {
            /* Registered, its `up` not published yet: up, with no sequence yet. */
            event->state = EXTATUS_PROCESS_UP;
            event->reason = EXTATUS_REASON_ANSWERED;
            event->time_ns = extatus__now_realtime_ns();
            event->sequence = 0;
        }
    }
    pthread_mutex_unlock(&extatus__proc.lock);
    *out = events;
    *count = n;
    return EXTATUS_OK;
}

int extatus_process_get_stats(extatus_process_stats *stats)
{
    if (!stats)
        return extatus__error(EXTATUS_ERR_INVALID, "process stats: NULL argument");
    memset(stats, 0, sizeof(*stats));
    pthread_mutex_lock(&extatus__proc.lock);
    if (extatus__proc.running) {
        stats->timeout_ms = extatus__proc.timeout_ms;
        stats->deadline_ms = extatus__proc.deadline_ms;
        clockid_t clock;
        struct timespec used;
        if (pthread_getcpuclockid(extatus__proc.handler, &clock) == 0 &&
            clock_gettime(clock, &used) == 0)
            stats->cpu_ns = (uint64_t)used.tv_sec * 1000000000u + (uint64_t)used.tv_nsec;
    }
    stats->workers = extatus__proc.worker_count;
    for (const extatus__pname *pname = extatus__proc.first; pname; pname = pname->next) {
        if (!pname->worker)
            stats->retained_down++;
        else if (!pname->polled || pname->state == EXTATUS_PROCESS_UP)
            stats->up++; /* a worker not polled yet has just registered: up */
        else
            stats->idle++;
    }
    stats->polls = extatus__proc.polls;
    pthread_mutex_unlock(&extatus__proc.lock);
    stats->cpu_ns += extatus__reports_cpu_ns();
    stats->events = extatus__events_published();
    stats->events_dropped = extatus__events_dropped_total();
    return EXTATUS_OK;
}
