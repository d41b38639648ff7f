/*
 * extatus/events.h - subscribers to worker status events (the seed's
 * Yggdrasil channel :extatus).
 *
 * The handler publishes an extatus_process_event {name, state, reason,
 * time, changes, last_exit} on every change of a worker's state, never on
 * an unchanged poll, and with the unchanged state when the worker's status
 * text changes (extatus_worker_set_status_text()); a worker's first answer
 * publishes up. All events come from the handler
 * thread, so every subscriber sees them in one order, and the events of
 * one worker in the order they happened.
 *
 * Two kinds of subscriber:
 *   a callback, called on the handler thread (keep it short: the next
 *     poll waits for it);
 *   a queue with a pollable file descriptor: the handler appends to a
 *     bounded queue and never waits; when the queue is full the event is
 *     dropped and counted (extatus_events_dropped() and the counter
 *     extatus_process_events_dropped_total).
 */
#ifndef EXTATUS_EVENTS_H
#define EXTATUS_EVENTS_H

#include "common.h"
#include "process.h"

EXTATUS_BEGIN_DECLS

/* A subscription of either kind (opaque; free with extatus_events_unsubscribe). */
typedef struct extatus_subscriber extatus_subscriber;

/* A callback subscriber's function; `event` is valid during the call. */
typedef void (*extatus_events_fn)(const extatus_process_event *event, void *user_data);

/* Default queue capacity of extatus_events_open(). */
#define EXTATUS_EVENTS_DEFAULT_CAPACITY 1024u

/* extatus_events_open() flag: queue the current status of every worker first. */
#define EXTATUS_EVENTS_REPLAY 1u

/*
 * Call `fn(event, user_data)` on the handler thread for every event from
 * now on. `user_data` is kept as is. Free with extatus_events_unsubscribe().
 * Errors: EXTATUS_ERR_INVALID (NULL fn), _NOMEM.
 * Thread safety: any thread, including from inside a callback.
 */
EXTATUS_API int extatus_events_subscribe(extatus_subscriber **out, extatus_events_fn fn,
                                         void *user_data);

/*
 * Open a queue subscriber holding at most `capacity` events (0: the
 * default). With EXTATUS_EVENTS_REPLAY the current status of every known
 * worker is queued first, atomically with respect to publication, so the
 * reader sees each worker's state and then every later change, with
 * nothing missed and nothing twice. Free with extatus_events_unsubscribe().
 * Errors: EXTATUS_ERR_INVALID (flags, capacity above 1048576), _SYSTEM
 * (eventfd), _NOMEM.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_events_open(extatus_subscriber **out, size_t capacity, unsigned flags);

/*
 * The queue's file descriptor: readable (poll, select, epoll) while
 * events are queued. Owned by the subscriber; do not read or close it.
 * -1 for a callback subscriber or NULL.
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_events_fd(const extatus_subscriber *subscriber);

/*
 * Move up to `max` queued events, oldest first, into `events`; never
 * blocks. Returns how many (0 when the queue is empty) or a negative error.
 * Errors: EXTATUS_ERR_INVALID (NULL, or a callback subscriber).
 * Thread safety: any thread.
 */
EXTATUS_API int extatus_events_read(extatus_subscriber *subscriber, extatus_process_event *events,
                                    size_t max);

/*
 * Events this queue dropped because it was full (0 for a callback
 * subscriber or NULL). Thread safety: any thread.
 */
EXTATUS_API uint64_t extatus_events_dropped(const extatus_subscriber *subscriber);

/*
 * End a subscription and free it. After it returns the callback is not
 * running and will not be called again (from inside the callback itself
 * it takes effect after that call). NULL is a no-op.
 * Thread safety: any thread, once per subscriber.
 */
EXTATUS_API void extatus_events_unsubscribe(extatus_subscriber *subscriber);

EXTATUS_END_DECLS

#endif /* EXTATUS_EVENTS_H */
