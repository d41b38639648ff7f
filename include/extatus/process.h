/*
 * extatus/process.h - process status: instrumented workers and the handler
 * that watches them.
 *
 * A worker is a long-running part of the program (a thread, an event loop,
 * an actor) that serves a state from a loop. It registers with two
 * callbacks over that state: get_name gives its unique name and report
 * turns the state into metrics. One handler thread asks every worker for
 * an answer every `timeout` ms:
 *
 *   up (2)   the worker answered before the deadline (report ran), or
 *            it has just registered, or it waits for work in
 *            extatus_worker_wait();
 *   idle (1) it did not answer before the deadline (busy or stuck);
 *   down (0) it ended: deregistered, or its thread exited without
 *            deregistering.
 *
 * The state is the gauge extatus_process_activity{name="..."}, one series
 * per name; exits are counted in extatus_process_exits_total{name,reason}.
 * Every change of state is published as an event (extatus/events.h).
 *
 * Two ways to answer, chosen per worker:
 *   checkpoint mode: the worker calls extatus_worker_checkpoint() in its
 *     loop; when the handler has asked, report runs right there, on the
 *     worker's own thread, so it reads the state without any lock;
 *   lock mode: the worker guards its state with a mutex; the library takes
 *     that mutex with the deadline (pthread_mutex_timedlock) and runs
 *     report on one of its own threads while holding it.
 *
 * See docs/process.md for the model, the defaults and an example.
 */
#ifndef EXTATUS_PROCESS_H
#define EXTATUS_PROCESS_H

#include <pthread.h>
#include <time.h>

#include "common.h"

EXTATUS_BEGIN_DECLS

/* A registered worker (opaque; owned by the library). */
typedef struct extatus_worker extatus_worker;

/* The value of extatus_process_activity. */
typedef enum extatus_process_state {
    EXTATUS_PROCESS_DOWN = 0, /* ended */
    EXTATUS_PROCESS_IDLE = 1, /* no answer before the deadline: busy or stuck */
    EXTATUS_PROCESS_UP = 2    /* answered before the deadline */
} extatus_process_state;

/*
 * Why a worker is in its state. NORMAL and the ones after it are the exit
 * reasons, the fixed set of values of the `reason` label of
 * extatus_process_exits_total. SIGNAL, STOPPING and ABSENT describe a
 * worker that stands for an outside process (as extatusd's do).
 */
typedef enum extatus_process_reason {
    EXTATUS_REASON_ANSWERED = 1,    /* "answered": up */
    EXTATUS_REASON_TIMEOUT = 2,     /* "timeout": idle */
    EXTATUS_REASON_NORMAL = 3,      /* "normal": deregistered after finishing its work */
    EXTATUS_REASON_ERROR = 4,       /* "error": deregistered because it failed */
    EXTATUS_REASON_THREAD_EXIT = 5, /* "thread_exit": its thread ended without deregistering */
    EXTATUS_REASON_SHUTDOWN = 6,    /* "shutdown": deregistered or stopped with the program */
    EXTATUS_REASON_SIGNAL = 7,      /* "signal": the process it stands for was killed by a signal */
    EXTATUS_REASON_STOPPING = 8,    /* "stopping": it announced that it is stopping */
    EXTATUS_REASON_ABSENT = 9       /* "absent": expected, but never started or gone */
} extatus_process_reason;

/* How a worker answers the handler. */
typedef enum extatus_worker_mode {
    EXTATUS_WORKER_CHECKPOINT = 0, /* report runs in extatus_worker_checkpoint() */
    EXTATUS_WORKER_LOCK = 1        /* report runs in the library, under the worker's mutex */
} extatus_worker_mode;

/* Longest worker name in bytes (without the NUL). */
#define EXTATUS_WORKER_NAME_MAX 127

#define EXTATUS_WORKER_OPS_VERSION 1

/*
 * The behaviour of a kind of worker (the seed's get_name/1 and report/1).
 * The table is copied at registration; `state` is the pointer given to
 * extatus_process_register().
 */
typedef struct extatus_worker_ops {
    unsigned version; /* EXTATUS_WORKER_OPS_VERSION */
    /*
     * The worker's unique name: non-empty UTF-8 of at most
     * EXTATUS_WORKER_NAME_MAX bytes. Called once, during registration, on
     * the registering thread; the text is copied.
     */
    const char *(*get_name)(void *state);
    /*
     * Report metrics from the state, for example set
     * instrument_gauge{label="Label"} to a counter's value. Checkpoint
     * mode: runs inside extatus_worker_checkpoint() on the worker's
     * thread, or during extatus_worker_wait() on a library thread holding
     * the wait's mutex while the worker is inside the wait. Lock mode:
     * runs on a library thread while the library holds the worker's mutex. Optional (NULL:
     * answering is enough). It must not deregister its own worker.
     */
    void (*report)(void *state);
} extatus_worker_ops;

#define EXTATUS_WORKER_OPTIONS_VERSION 1

/* How one worker is watched; NULL means checkpoint mode, thread watched. */
typedef struct extatus_worker_options {
    unsigned version;         /* EXTATUS_WORKER_OPTIONS_VERSION */
    extatus_worker_mode mode; /* EXTATUS_WORKER_CHECKPOINT (default) or _LOCK */
    pthread_mutex_t *lock;    /* lock mode: the mutex that guards the state */
    /*
     * 1 (default): the worker is down when the registering thread exits
     * without deregistering it. 0: only deregistration ends it (for a
     * state registered by a thread other than the one that serves it).
     */
    int watch_thread;
} extatus_worker_options;

#define EXTATUS_WORKER_OPTIONS_INIT                                                                \
    {                                                                                              \
        EXTATUS_WORKER_OPTIONS_VERSION, EXTATUS_WORKER_CHECKPOINT, NULL, 1                         \
    }

#define EXTATUS_PROCESS_OPTIONS_VERSION 1

/* Default poll period in milliseconds (the seed's `timeout`). */
#define EXTATUS_PROCESS_DEFAULT_TIMEOUT_MS 1000u
/* Default time a down worker's series stays before it is removed. */
#define EXTATUS_PROCESS_DEFAULT_RETENTION_MS 300000u
/* retention_ms value that keeps down series until the handler stops. */
#define EXTATUS_PROCESS_RETAIN_FOREVER 0xffffffffu
/* Default and largest number of threads that run lock-mode reports. */
#define EXTATUS_PROCESS_DEFAULT_LOCK_THREADS 4u
#define EXTATUS_PROCESS_MAX_LOCK_THREADS     64u

/* Configuration of the handler. */
typedef struct extatus_process_options {
    unsigned version; /* EXTATUS_PROCESS_OPTIONS_VERSION */
    /*
     * Poll period in ms. 0: the EXTATUS_TIMEOUT environment variable if
     * set and not empty (milliseconds, 1 to 86400000), otherwise 1000.
     */
    unsigned timeout_ms;
    /* Answer deadline in ms after each poll, at most timeout_ms. 0: timeout_ms. */
    unsigned deadline_ms;
    /*
     * How long the 0 of a down worker stays before its series (activity
     * and exits) are removed; EXTATUS_PROCESS_RETAIN_FOREVER keeps them.
     */
    unsigned retention_ms;
    /* Registry of the process metrics; NULL: the default registry. */
    extatus_registry *registry;
    /* Most threads running lock-mode reports at once (1..64); 0: 4. */
    unsigned lock_threads;
} extatus_process_options;

#define EXTATUS_PROCESS_OPTIONS_INIT                                                               \
    {                                                                                              \
        EXTATUS_PROCESS_OPTIONS_VERSION, 0, 0, EXTATUS_PROCESS_DEFAULT_RETENTION_MS, NULL, 0       \
    }

/*
 * Start the handler thread with `options` (NULL: defaults) and create the
 * process metrics in its registry. The first registration starts it with
 * the defaults when this was not called.
 * Errors: EXTATUS_ERR_STATE (already running), _INVALID (options version,
 * deadline above timeout, lock_threads above the maximum), _OPTION (bad
 * EXTATUS_TIMEOUT, naming its value), _SYSTEM (thread creation), _NOMEM.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_process_start(const extatus_process_options *options);

/*
 * Stop the handler: every registered worker goes down with reason
 * "shutdown" (event, gauge 0, exit counted) and is deregistered; the
 * threads end. Series stay in the registry. Workers inside
 * extatus_worker_wait() are woken (it returns EXTATUS_ERR_STATE).
 * Returns within twice the deadline (plus the time of the event
 * callbacks) whatever a report does: a lock-mode or waiting worker's
 * report still running by then is left behind on its detached thread;
 * the library keeps that worker's record alive until the report returns,
 * and the report must then not use library handles if
 * extatus_shutdown() ran meanwhile. Starting again is allowed at once. Call it once your workers no
 * longer use their handles; extatus_shutdown() calls it if the handler is
 * still running. Stopping a handler that is not running does nothing.
 * Errors: EXTATUS_ERR_STATE when called from an event callback or a report.
 * Thread safety: any thread, but not concurrently with itself or start.
 */
EXTATUS_API int extatus_process_stop(void);

/*
 * Register the worker `state` with `ops` (copied) and `options` (NULL:
 * checkpoint mode, thread watched). get_name is called once. Registering
 * the same state with the same ops and name again returns the existing
 * handle. A name whose worker is down but still retained is taken over:
 * the new worker reuses its series. `*out` is borrowed: valid until the
 * worker is deregistered, its thread exits, or the handler stops.
 * Errors: EXTATUS_ERR_EXISTS (another worker has the name, naming it),
 * _LABEL (bad name), _INVALID (ops, options or mode), _CALLBACK
 * (get_name returned NULL), and the errors of extatus_process_start().
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_process_register(extatus_worker **out, const extatus_worker_ops *ops,
                                         void *state, const extatus_worker_options *options);

/*
 * End a worker with `reason`: an exit reason (EXTATUS_REASON_NORMAL,
 * _ERROR, _SHUTDOWN, _SIGNAL, _STOPPING or _ABSENT; not _THREAD_EXIT).
 * It goes down at once; the library never calls its callbacks after this
 * returns (in lock mode, or after extatus_worker_wait(), it waits for a
 * report in progress, at most the deadline plus that report; a report
 * that never returns keeps it waiting until extatus_process_stop()).
 * The handle becomes invalid.
 * Errors: EXTATUS_ERR_INVALID (reason), _STATE (called from a report or
 * event callback, where waiting could deadlock).
 * Thread safety: any thread, not concurrently with checkpoints or waits
 * of the same worker.
 */
EXTATUS_API int extatus_process_deregister(extatus_worker *worker, extatus_process_reason reason);

/*
 * Answer the handler if it has asked: runs the report callback here and
 * returns. When nothing was asked it costs two atomic loads. Does nothing
 * for a lock-mode worker or NULL.
 * Thread safety: the worker's own thread (one thread at a time per
 * worker); lock-free, allocation-free.
 */
EXTATUS_API void extatus_worker_checkpoint(extatus_worker *worker);

/* extatus_worker_wait() returned because its deadline passed. */
#define EXTATUS_WAIT_TIMEDOUT 1

/*
 * Wait for work on `cond` like pthread_cond_timedwait(cond, mutex,
 * deadline) (NULL deadline: pthread_cond_wait), while the worker counts
 * as answering: a checkpoint-mode worker stays up for as long as it
 * waits here. Call it with `mutex` held; it returns with `mutex` held.
 * Pending questions are answered on entry and on return, on this thread.
 * A question asked during the wait is answered by a library thread that
 * takes `mutex` (with the poll's deadline) and runs report only while the
 * worker is still inside the wait: the worker cannot leave the wait
 * without `mutex`, so its state does not change while report reads it,
 * and report may also read what `mutex` guards. report must not take
 * `mutex` itself. If `mutex` stays held by another thread until the
 * deadline, the worker is idle for that poll. `deadline` is on the clock of `cond`, as for
 * pthread_cond_timedwait. Wake-ups may be spurious: recheck your
 * condition. `cond` and `mutex` must stay valid until the worker is
 * deregistered or extatus_process_stop() has returned.
 * For a lock-mode worker or NULL it is just the pthread call.
 * Returns EXTATUS_OK (woken, maybe spuriously), EXTATUS_WAIT_TIMEDOUT
 * (deadline passed, mutex held), or
 * Errors: EXTATUS_ERR_STATE (the worker is ending or the handler stopped:
 * leave the loop; the handle is invalid once extatus_process_stop()
 * returns; or called from a report), _INVALID (cond or mutex NULL).
 * Thread safety: the worker's own thread, like extatus_worker_checkpoint();
 * a cancellation point (pthread_cancel), like pthread_cond_wait.
 */
EXTATUS_API int extatus_worker_wait(extatus_worker *worker, pthread_cond_t *cond,
                                    pthread_mutex_t *mutex, const struct timespec *deadline);

/*
 * A status message (the seed's {name, state}): published on every change
 * of state and of status text (extatus/events.h), and the current status
 * of each worker in extatus_process_list(). Its size and layout are those
 * of the first release: `changes`, `last_exit` and `reserved` took the
 * place of reserved zeros. The status text is not in it: read it with
 * extatus_process_status_text().
 */
typedef struct extatus_process_event {
    char name[EXTATUS_WORKER_NAME_MAX + 1]; /* the worker's name */
    extatus_process_state state;            /* up, idle or down */
    extatus_process_reason reason;          /* why (see extatus_process_reason) */
    int64_t time_ns;                        /* wall clock (ns since the epoch) of the change */
    uint64_t sequence;                      /* 1, 2, ... in publication order, all workers */
    /*
     * Changes of state of this name since the handler started (its first
     * `up` counts one), counted by the library, whoever watches.
     */
    uint64_t changes;
    /* Reason of the name's last exit (EXTATUS_REASON_NORMAL...); 0: none yet. */
    extatus_process_reason last_exit;
    uint32_t reserved; /* zero; room to grow */
} extatus_process_event;

/*
 * A snapshot of every known worker name (registered, and down ones still
 * retained), in registration order, with its last published state; a
 * worker registered so recently that its `up` is not published yet is
 * listed as up with reason "answered" and sequence 0. Free
 * `*out` with extatus_free(); it is NULL when `*count` is 0.
 * Errors: EXTATUS_ERR_NOMEM. Thread safety: any thread.
 */
EXTATUS_API int extatus_process_list(extatus_process_event **out, size_t *count);

/* Longest status text in bytes (without the NUL). */
#define EXTATUS_STATUS_TEXT_MAX 255

/*
 * Set the worker's status text: a short free text saying what it is doing
 * or why it failed ("loading 3/10", "disk full", "killed by SIGKILL").
 * The text belongs to the worker's name: it stays after the worker goes
 * down, until it is set again. When it changes, the handler publishes an
 * event with the unchanged state (and `changes` unchanged) soon after, so
 * subscribers and the status page see the new text. NULL or "" clears it.
 * The text is a status, not a label: it never reaches metric names or
 * labels.
 * Errors: EXTATUS_ERR_INVALID (NULL worker, text over
 * EXTATUS_STATUS_TEXT_MAX bytes or not valid UTF-8; the old text stays).
 * Thread safety: any thread, while the handle is valid; allocation-free.
 */
EXTATUS_API int extatus_worker_set_status_text(extatus_worker *worker, const char *text);

/*
 * Copy the current status text of the worker name `name` (registered, or
 * down and still retained) into `buffer` (NUL-terminated; "" when it has
 * none). Returns its length. A size of EXTATUS_STATUS_TEXT_MAX + 1 always
 * fits.
 * Errors: EXTATUS_ERR_INVALID (NULL argument), _NOT_FOUND (no such name),
 * _NOSPACE (buffer too small; it holds "" then).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_process_status_text(const char *name, char *buffer, size_t size);

/* Counters of the handler, read with extatus_process_stats(). */
typedef struct extatus_process_stats {
    unsigned timeout_ms;     /* poll period in effect (0: not running) */
    unsigned deadline_ms;    /* answer deadline in effect */
    size_t workers;          /* registered workers */
    size_t up;               /* of which up (including those not polled yet) */
    size_t idle;             /* of which idle */
    size_t retained_down;    /* down names whose series are still kept */
    uint64_t polls;          /* poll rounds done */
    uint64_t events;         /* events published */
    uint64_t events_dropped; /* events dropped by full subscriber queues */
    uint64_t cpu_ns;         /* CPU time of the handler and lock-report threads */
    uint64_t reserved[4];    /* zero; room to grow */
} extatus_process_stats;

/*
 * Fill `*stats`. Errors: EXTATUS_ERR_INVALID (NULL).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_process_get_stats(extatus_process_stats *stats);

/* "up", "idle", "down"; "unknown" otherwise. Static. Any thread. */
EXTATUS_API const char *extatus_process_state_name(extatus_process_state state);

/* "answered", "timeout", "normal", "error", "thread_exit", "shutdown",
 * "signal", "stopping", "absent"; "unknown" otherwise. Static. Any thread. */
EXTATUS_API const char *extatus_process_reason_name(extatus_process_reason reason);

EXTATUS_END_DECLS

#endif /* EXTATUS_PROCESS_H */
