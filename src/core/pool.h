/*
 * pool.h - the library's one thread pool (pool.c). Never installed.
 *
 * A pool runs jobs on threads it starts on demand, up to a cap. A job is
 * a struct the owner embeds in its own record (a scheduler task, a
 * worker), so queueing never allocates and a job can be queued only once:
 * while it is queued or running, a second submit is refused. That one
 * rule gives the scheduler its "skip, never stack" and the worker-status
 * layer its "at most one report job in flight per worker".
 *
 * Locking: the pool has no lock of its own; it uses the owner's mutex,
 * given when the pool is defined, so that the owner's fields that go with
 * a job (a task's counters, a worker's flags) and the job's state change
 * together. The `finished` hook runs with that mutex held; `run` without.
 *
 * Stopping is bounded when asked to be: extatus__pool_stop() waits for
 * the threads until a given instant, then detaches those still inside a
 * job (a call that never returns). A detached thread owns a small record
 * of its own and, when its job finally returns, touches only that record,
 * the owner's mutex and its job (which the owner keeps alive: the
 * `finished` hook tells it when the pool lets go), never the pool, which
 * may be freed or started again by then. The owner's mutex must therefore
 * outlive every thread the pool detached: static storage, in practice.
 */
#ifndef EXTATUS_CORE_POOL_H
#define EXTATUS_CORE_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct extatus__job extatus__job;
typedef struct extatus__pool_thread extatus__pool_thread;

/* How a job left the pool; told to its `finished` hook. */
typedef enum extatus__job_end {
    EXTATUS__JOB_RAN,      /* `run` returned */
    EXTATUS__JOB_DROPPED,  /* never run: taken after its deadline, or still queued at stop */
    EXTATUS__JOB_RETURNED, /* `run` returned on a thread a stop had left behind */
} extatus__job_end;

struct extatus__job {
    /* Set by the owner before the first submit. */
    void (*run)(extatus__job *job); /* on a pool thread, without the owner's mutex */
    /*
     * Optional: called with the owner's mutex held once the pool has let
     * go of the job (it may be submitted again, or freed, from here on;
     * the pool does not touch it after this call).
     */
    void (*finished)(extatus__job *job, extatus__job_end how);
    /* Set by extatus__pool_submit_locked(); `run` may read it. */
    int64_t deadline_ns; /* monotonic; taken from the queue later: dropped. 0: none */
    /* The pool's, under the owner's mutex. */
    extatus__job *next; /* queue link */
    bool queued;        /* waiting in the queue */
    bool running;       /* a thread runs it */
    bool abandoned;     /* its thread was left behind by a stop */
};

/* The owner's record that embeds `job` as its field `member`. */
#define EXTATUS__JOB_OWNER(job, type, member)                                                      \
    ((type *)(void *)((char *)(job)-offsetof(type, member)))

/* One pool; define it with EXTATUS__POOL_INIT, treat its fields as pool.c's. */
typedef struct extatus__pool {
    pthread_mutex_t *lock;          /* the owner's mutex: guards everything below */
    pthread_cond_t work;            /* idle threads wait for jobs */
    pthread_cond_t done;            /* a job finished, or a thread ended */
    const char *owner;              /* names the pool in error messages */
    extatus__job *head;             /* queue, oldest first */
    extatus__job *tail;             /* queue end */
    size_t queued;                  /* jobs in the queue */
    extatus__pool_thread **threads; /* threads started since the last start */
    unsigned thread_count;          /* entries of `threads` */
    unsigned max_threads;           /* cap */
    unsigned live;                  /* started and not ended */
    unsigned idle;                  /* waiting for a job */
    unsigned busy;                  /* inside a job */
    bool running;                   /* started and not stopped: takes jobs */
    bool quit;                      /* threads must end */
} extatus__pool;

/* A pool guarded by `mutex` (the owner's), named `name` in errors. */
#define EXTATUS__POOL_INIT(mutex, name)                                                            \
    {                                                                                              \
        .lock = (mutex), .work = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER,       \
        .owner = (name)                                                                            \
    }

/*
 * Start taking jobs, with at most `max_threads` threads, started as jobs
 * come; `start_one` starts one at once, so that a pool that cannot start
 * any thread fails here rather than leave its first job unrun. Fails with
 * EXTATUS_ERR_NOMEM, EXTATUS_ERR_SYSTEM (that first thread) or
 * EXTATUS_ERR_STATE (running already).
 */
int extatus__pool_start_locked(extatus__pool *pool, unsigned max_threads, bool start_one);
/*
 * Stop: no job starts after this returns, queued jobs are dropped (their
 * `finished` is told EXTATUS__JOB_DROPPED). Waits for the threads until
 * the monotonic instant `give_up_ns` (INT64_MAX: as long as they take);
 * a thread still inside a job then is detached and its job marked
 * abandoned. Threads outside a job always end before this returns. Call
 * without the owner's mutex, never from a pool thread.
 */
void extatus__pool_stop(extatus__pool *pool, int64_t give_up_ns);
/*
 * Queue `job` with a monotonic deadline (0: none). False, and nothing
 * queued, when the job is queued or running already or the pool is not
 * running. Threads are woken by extatus__pool_kick_locked(), so that a
 * batch of submits wakes them once.
 */
bool extatus__pool_submit_locked(extatus__pool *pool, extatus__job *job, int64_t deadline_ns);
/* Wake threads for the jobs queued, starting more (up to the cap) when too few are idle. */
void extatus__pool_kick_locked(extatus__pool *pool);
/* Take `job` out of the queue if it waits there; true if it did (`finished` is not called). */
bool extatus__pool_cancel_locked(extatus__pool *pool, extatus__job *job);
/* Queued or running. */
bool extatus__pool_job_busy_locked(const extatus__job *job);
/*
 * Wait until `job` is neither queued nor running, or was abandoned by a
 * stop. Never call it for a job the calling thread runs.
 */
void extatus__pool_wait_job_locked(extatus__pool *pool, extatus__job *job);
/*
 * Release the conditions of a stopped pool, before its storage is freed
 * or defined again (the library's pools live in static storage and never
 * need it). Threads it left behind do not use them.
 */
void extatus__pool_dispose(extatus__pool *pool);
/* CPU time, in ns, of the pool's threads that have not ended. Takes the owner's mutex. */
uint64_t extatus__pool_cpu_ns(extatus__pool *pool);

#endif /* EXTATUS_CORE_POOL_H */
