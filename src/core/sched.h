/*
 * sched.h - the library's one clock and worker pool (core/scheduler.c),
 * a service any layer may use for periodic work.
 */
#ifndef EXTATUS_CORE_SCHED_H
#define EXTATUS_CORE_SCHED_H

#include <stdint.h>

/* ---- scheduler (core/scheduler.c) --------------------------------------
 *
 * One clock for the whole library, whose due tasks run on an instance of
 * core's one thread pool (core/pool.h, up to four threads). A task runs
 * fn(arg) every interval; a turn that comes while the previous run is
 * still queued or running is skipped and counted. Any layer may add tasks
 * (probes, reporters, the worker-status handler).
 */
typedef struct extatus__task extatus__task;
typedef void (*extatus__task_fn)(void *arg);

/*
 * Run fn(arg) every interval_ms (0: never by itself), first after
 * first_delay_ms. *out is set before the first run can start.
 */
int extatus__sched_add(extatus__task **out, int64_t interval_ms, int64_t first_delay_ms,
                       extatus__task_fn fn, void *arg);
/*
 * Remove a task and free it. No run starts after this returns; a run in
 * progress is waited for, except when called from inside that run.
 */
void extatus__sched_remove(extatus__task *task);
void extatus__sched_set_interval(extatus__task *task, int64_t interval_ms);
void extatus__sched_stats(const extatus__task *task, uint64_t *runs, uint64_t *skips);
/* The task whose run the calling thread is in, or NULL. */
extatus__task *extatus__sched_current(void);
/* Stop the threads (tasks stay registered); then, after every owner tidied up, free the rest. */
void extatus__sched_stop(void);
void extatus__sched_reset(void);

#endif /* EXTATUS_CORE_SCHED_H */
