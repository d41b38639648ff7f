/*
 * process_internal.h - state shared by the files of the process layer
 * (src/process/). Never installed.
 *
 * Locks, always taken in this order when nested:
 *   extatus__proc.lock     workers, names, thread links, the handler's schedule;
 *   extatus__reports_lock  the lock-mode report pool, its jobs and each
 *                          worker's wait and orphan flags (pool.c);
 *   the events lock        subscribers and their queues (events.c).
 * User callbacks (report, get_name, event callbacks) never run under any
 * of them.
 */
#ifndef EXTATUS_PROCESS_INTERNAL_H
#define EXTATUS_PROCESS_INTERNAL_H

#include "core/layer.h"
#include "core/pool.h"
#include "core/reader.h"
#include "core/sched.h"
#include "core/table.h"
#include "core/util.h"

#include <pthread.h>
#include <stdatomic.h>

/* A published state that does not exist yet: registered, never polled. */
#define EXTATUS__STATE_NONE (-1)

typedef struct extatus__thread_link extatus__thread_link;

/*
 * One worker name: its series, its last published status and its place
 * in the retention queue. A name outlives its workers: when a worker goes
 * down the name stays (value 0) until the retention elapses, and a worker
 * registered under it meanwhile takes it over.
 */
typedef struct extatus__pname {
    char name[EXTATUS_WORKER_NAME_MAX + 1]; /* the name */
    uint32_t hash;                          /* FNV-1a of the name (key in extatus__proc.names) */
    struct extatus__pname *prev;            /* registration order */
    struct extatus__pname *next;            /* registration order */
    struct extatus__pname *down_prev;       /* retention queue (down names, oldest first) */
    struct extatus__pname *down_next;       /* retention queue */
    extatus_worker *worker;                 /* live worker, NULL while down */
    extatus_gauge *activity;                /* extatus_process_activity{name} */
    int state;                              /* last published state, or EXTATUS__STATE_NONE */
    bool polled;                            /* its current worker has been judged once */
    extatus_process_reason reason;          /* reason of that state */
    int64_t time_ns;                        /* wall clock of that state */
    uint64_t sequence;                      /* sequence of that event (0: none) */
    int64_t down_ns;                        /* monotonic time it went down */
    uint64_t changes;                       /* changes of state published */
    extatus_process_reason last_exit;       /* reason of its last down; 0: none */
    /* Status text (status.c); queued for an event while text_queued. */
    char text[EXTATUS_STATUS_TEXT_MAX + 1];
    bool text_queued;
    struct extatus__pname *text_prev;
    struct extatus__pname *text_next;
} extatus__pname;

struct extatus_worker {
    extatus_worker_ops ops;        /* copy of the behaviour */
    void *state;                   /* the user's state */
    extatus_worker_mode mode;      /* checkpoint or lock */
    pthread_mutex_t *lock;         /* lock mode: the user's mutex */
    extatus__pname *pname;         /* its name */
    size_t index;                  /* position in extatus__proc.workers */
    _Atomic uint64_t asked;        /* round the handler asked in; 0: not yet */
    _Atomic uint64_t answered;     /* last round answered */
    atomic_int ending;             /* 0 while alive, else the exit reason */
    extatus__thread_link *thread;  /* watched thread, NULL when none */
    extatus_worker *thread_prev;   /* workers of that thread */
    extatus_worker *thread_next;   /* workers of that thread */
    extatus_worker *queue_next[2]; /* links in the handler's queues (EXTATUS__QUEUE_...) */
    /*
     * Checkpoint mode, in extatus_worker_wait(): the mutex it waits with,
     * stored while it holds that mutex; NULL outside the wait.
     */
    _Atomic(pthread_mutex_t *) parked;
    /* Last round whose job could not get that mutex before the deadline. */
    _Atomic uint64_t mutex_busy_round;
    /* Report jobs and waits, under extatus__reports_lock. */
    extatus__job job;            /* its lock-mode report job (queued or running: in flight) */
    uint64_t job_round;          /* round of that job */
    bool waiting;                /* its thread is inside extatus_worker_wait() */
    bool orphan;                 /* taken down while in flight or waiting: freed when that ends */
    pthread_cond_t *wait_cond;   /* while waiting: the condition it waits on */
    pthread_mutex_t *wait_mutex; /* while waiting: the mutex it waits with */
};

/*
 * Worker records use the C library's allocator, not the library's: a
 * record may outlive extatus_shutdown() (a report stuck past the stop
 * keeps its record until it returns) and a change of allocator.
 */
extatus_worker *extatus__worker_alloc(void);
void extatus__worker_free(extatus_worker *worker);

/* The handler's two queues of workers; a worker may sit in both at once. */
enum { EXTATUS__QUEUE_ENDED = 0, EXTATUS__QUEUE_STARTED = 1 };

typedef struct extatus__worker_queue {
    extatus_worker *first;
    extatus_worker *last;
} extatus__worker_queue;

/* The process layer's global state (process.c). */
typedef struct extatus__proc_state {
    pthread_mutex_t lock;      /* guards everything below */
    pthread_cond_t wake;       /* the handler sleeps on it */
    pthread_cond_t ended_cond; /* signalled when `enders` drops */
    bool running;              /* started and not stopped */
    bool stopping;             /* stop requested */
    pthread_t handler;         /* the handler thread */
    /* configuration in effect */
    unsigned timeout_ms;      /* poll period */
    unsigned deadline_ms;     /* answer time after each poll */
    unsigned retention_ms;    /* how long a down name stays */
    extatus_family *activity; /* extatus_process_activity{name} */
    extatus_family *exits;    /* extatus_process_exits_total{name,reason} */
    /* workers and names */
    extatus_worker **workers;      /* live workers, any order */
    size_t worker_count;           /* entries used */
    size_t worker_capacity;        /* entries allocated */
    extatus__table names;          /* names by name (core/table.h) */
    extatus__pname *first;         /* names in registration order */
    extatus__pname *last;          /* names in registration order */
    extatus__pname *down_first;    /* retention queue, oldest first */
    extatus__pname *down_last;     /* retention queue */
    extatus__worker_queue ended;   /* workers to take down */
    unsigned enders;               /* threads between marking a worker ending and queueing it */
    extatus__worker_queue started; /* registered workers whose `up` is not published yet */
    /* the handler's schedule and counters */
    uint64_t round;    /* last round asked */
    bool verdict_due;  /* round `round` awaits its verdict */
    uint64_t polls;    /* rounds judged */
    uint64_t sequence; /* last event sequence number */
    /* names whose status text changed since their last event (status.c) */
    extatus__pname *text_first;
    extatus__pname *text_last;
} extatus__proc_state;

extern extatus__proc_state extatus__proc;

/* Set while this thread runs a user callback of the process layer. */
extern __thread int extatus__in_callback;

/* ---- the lock-mode report pool (pool.c) ------------------------------- */

/*
 * Guards the report pool, the workers' `job`, `job_round`, `waiting`,
 * `orphan` and wait fields. Static: a report thread left behind by a stop
 * takes it when its report returns, whenever that is.
 */
extern pthread_mutex_t extatus__reports_lock;

/* Start the pool with at most `max_threads` threads (started on demand). */
int extatus__reports_start(unsigned max_threads);
/*
 * Stop the pool; queued jobs are dropped. Waits until the monotonic
 * instant `give_up_ns` at most: threads still running a report then are
 * left behind and their jobs marked abandoned, so that no one waits for
 * them any more.
 */
void extatus__reports_stop(int64_t give_up_ns);
/*
 * Queue a job asking `worker` for round `round` with a monotonic
 * deadline, unless one is already in flight. Call with
 * extatus__reports_lock held.
 */
void extatus__reports_submit_locked(extatus_worker *worker, uint64_t round, int64_t deadline_ns);
/* Wake threads for the jobs just queued (and start more if all are busy). */
void extatus__reports_kick_locked(void);
/* Wait until no job for `worker` is in flight (or its job was abandoned at stop). */
void extatus__reports_wait_idle(extatus_worker *worker);
/* Free `worker` now, or let its job or its wait free it when that ends. */
void extatus__reports_release(extatus_worker *worker);
/*
 * Free `worker` if it was taken down and neither a job nor a wait holds
 * it any more. Call with extatus__reports_lock held; true if it was freed.
 */
bool extatus__worker_free_if_unheld_locked(extatus_worker *worker);
/* CPU time of the report threads in ns. */
uint64_t extatus__reports_cpu_ns(void);

/* ---- events (events.c) ------------------------------------------------- */

/*
 * Publish events in order: queue subscribers first, with the events lock
 * taken while extatus__proc.lock is still held (so a replaying subscriber
 * sees a consistent cut), then callbacks, outside every lock. Called by
 * the handler only, with extatus__proc.lock held; returns with it
 * released.
 */
void extatus__events_publish_unlock(const extatus_process_event *events, size_t count);
/* The counter of dropped events (NULL when the handler is not running). */
void extatus__events_set_dropped_counter(extatus_counter *counter);
/* Total events dropped by queues, and published. */
uint64_t extatus__events_dropped_total(void);
uint64_t extatus__events_published(void);
/* Fill `event` from a name's last status (under extatus__proc.lock). */
void extatus__pname_event(const extatus__pname *pname, extatus_process_event *event);

/* ---- events of the handler (process.c) and status texts (status.c) ------ */

/* The name `name`, or NULL. */
extatus__pname *extatus__pname_find_locked(const char *name);
/* Queue an event with `pname`'s current status for the handler's next publication. */
void extatus__event_record_locked(extatus__pname *pname);
/* Record an event for every name whose text changed (handler, under the lock). */
void extatus__texts_announce_locked(void);
/* Take a name off the changed-text list (before it is freed). */
void extatus__text_unqueue_locked(extatus__pname *pname);

/* The worker-status layer as core sees it (layer.c); src/library.c joins it. */
extern const extatus__layer extatus__process_layer;

#endif /* EXTATUS_PROCESS_INTERNAL_H */
