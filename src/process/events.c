/*
 * events.c - the events bus: callback subscribers and queue subscribers
 * with a pollable eventfd.
 *
 * Only the handler thread publishes, so every subscriber sees one order.
 * Queues are fixed rings allocated when they are opened: publishing never
 * allocates and never waits for a reader; a full ring drops the new event
 * and counts it. Callbacks run on the handler thread after the queues are
 * filled, outside every lock but their own list lock, which unsubscribe
 * takes to know that no call is in progress.
 */
#include "process/process_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_CAPACITY 1048576u

struct extatus_subscriber {
    extatus_events_fn fn;        /* callback subscriber; NULL for a queue */
    void *user_data;             /* given to fn */
    int fd;                      /* queue: eventfd, readable while events wait; else -1 */
    extatus_process_event *ring; /* queue: `capacity` events */
    size_t capacity;             /* ring size */
    size_t head;                 /* oldest queued event */
    size_t count;                /* events queued */
    _Atomic uint64_t dropped;    /* events dropped because the ring was full */
    bool removed;                /* callback unsubscribed during a delivery */
    extatus_subscriber *next;    /* list of its kind */
    extatus_subscriber **link;   /* the pointer that points to this one */
};

static pthread_mutex_t queues_lock = PTHREAD_MUTEX_INITIALIZER; /* queues and their rings */
static pthread_mutex_t callbacks_lock =
    PTHREAD_MUTEX_INITIALIZER; /* callbacks; held while calling */
static extatus_subscriber *queues;
static extatus_subscriber *callbacks;
static extatus_counter *dropped_counter; /* under queues_lock */
static _Atomic uint64_t dropped_total;
static _Atomic uint64_t published;
/* This thread is delivering callbacks and holds callbacks_lock. */
static __thread int delivering;

static void list_add(extatus_subscriber **list, extatus_subscriber *subscriber)
{
    /* Append, so that a subscriber added during a delivery is called last. */
    extatus_subscriber **link = list;
    while (*link)
        link = &(*link)->next;
    subscriber->next = NULL;
    subscriber->link = link;
    *link = subscriber;
}

static void list_remove(extatus_subscriber *subscriber)
{
    *subscriber->link = subscriber->next;
    if (subscriber->next)
        subscriber->next->link = subscriber->link;
}

int extatus_events_subscribe(extatus_subscriber **out, extatus_events_fn fn, void *user_data)
{
    if (!out)
        return extatus__error(EXTATUS_ERR_INVALID, "events subscribe: out pointer is NULL");
    *out = NULL;
    if (!fn)
        return extatus__error(EXTATUS_ERR_INVALID, "events subscribe: the callback is NULL");
    extatus_subscriber *subscriber = extatus__calloc(1, sizeof(*subscriber));
    if (!subscriber)
        return extatus__error(EXTATUS_ERR_NOMEM, "events subscribe: out of memory");
    subscriber->fn = fn;
    subscriber->user_data = user_data;
    subscriber->fd = -1;
    if (!delivering)
        pthread_mutex_lock(&callbacks_lock);
    list_add(&callbacks, subscriber);
    if (!delivering)
        pthread_mutex_unlock(&callbacks_lock);
    *out = subscriber;
    return EXTATUS_OK;
}

/* Append one event to a queue, or count it dropped. Call with queues_lock. */
static void queue_push_locked(extatus_subscriber *queue, const extatus_process_event *event)
{
    if (queue->count == queue->capacity) {
        atomic_fetch_add_explicit(&queue->dropped, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&dropped_total, 1, memory_order_relaxed);
        if (dropped_counter)
            extatus_counter_inc(dropped_counter);
        return;
    }
    queue->ring[(queue->head + queue->count) % queue->capacity] = *event;
    if (queue->count++ == 0) {
        /* Became non-empty: make the fd readable. Non-blocking; cannot overflow at 1. */
        uint64_t one = 1;
        ssize_t written = write(queue->fd, &one, sizeof(one));
        (void)written;
    }
}

int extatus_events_open(extatus_subscriber **out, size_t capacity, unsigned flags)
{
    if (!out)
        return extatus__error(EXTATUS_ERR_INVALID, "events open: out pointer is NULL");
    *out = NULL;
    if (flags & ~(unsigned)EXTATUS_EVENTS_REPLAY)
        return extatus__error(EXTATUS_ERR_INVALID, "events open: unknown flags 0x%x", flags);
    if (capacity > MAX_CAPACITY)
        return extatus__error(EXTATUS_ERR_INVALID, "events open: capacity %zu is above %u",
                              capacity, MAX_CAPACITY);
    if (capacity == 0)
        capacity = EXTATUS_EVENTS_DEFAULT_CAPACITY;
    extatus_subscriber *queue = extatus__calloc(1, sizeof(*queue));
    if (!queue || !(queue->ring = extatus__calloc(capacity, sizeof(*queue->ring)))) {
        extatus__free(queue);
        return extatus__error(EXTATUS_ERR_NOMEM, "events open: no memory for %zu events", capacity);
    }
    queue->capacity = capacity;
    queue->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (queue->fd < 0) {
        int error = errno;
        extatus__free(queue->ring);
        extatus__free(queue);
        return extatus__error(EXTATUS_ERR_SYSTEM, "events open: eventfd failed: %s",
                              strerror(error));
    }
    /*
     * With REPLAY, hold the process lock while queueing the current
     * states and joining the list: the handler publishes under both
     * locks, so no change falls between the snapshot and the queue.
     */
    if (flags & EXTATUS_EVENTS_REPLAY)
        pthread_mutex_lock(&extatus__proc.lock);
    pthread_mutex_lock(&queues_lock);
    if (flags & EXTATUS_EVENTS_REPLAY) {
        for (const extatus__pname *pname = extatus__proc.first; pname; pname = pname->next) {
            if (pname->sequence == 0)
                continue; /* just registered: its `up` is still to come */
            extatus_process_event event;
            extatus__pname_event(pname, &event);
            queue_push_locked(queue, &event);
        }
    }
    list_add(&queues, queue);
    pthread_mutex_unlock(&queues_lock);
    if (flags & EXTATUS_EVENTS_REPLAY)
        pthread_mutex_unlock(&extatus__proc.lock);
    *out = queue;
    return EXTATUS_OK;
}

int extatus_events_fd(const extatus_subscriber *subscriber)
{
    return subscriber ? subscriber->fd : -1;
}

int extatus_events_read(extatus_subscriber *subscriber, extatus_process_event *events, size_t max)
{
    if (!subscriber || (!events && max > 0))
        return extatus__error(EXTATUS_ERR_INVALID, "events read: NULL argument");
    if (subscriber->fn)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "events read: a callback subscriber has no queue to read");
    if (max > INT32_MAX)
        max = INT32_MAX;
    pthread_mutex_lock(&queues_lock);
    size_t n = subscriber->count < max ? subscriber->count : max;
    for (size_t i = 0; i < n; i++) {
        events[i] = subscriber->ring[subscriber->head];
        subscriber->head = (subscriber->head + 1) % subscriber->capacity;
    }
    subscriber->count -= n;
    if (subscriber->count == 0) {
        /* Empty again: reset the eventfd so poll() stops reporting it. */
        uint64_t value;
        ssize_t got = read(subscriber->fd, &value, sizeof(value));
        (void)got;
    }
    pthread_mutex_unlock(&queues_lock);
    return (int)n;
}

uint64_t extatus_events_dropped(const extatus_subscriber *subscriber)
{
    return subscriber ? atomic_load_explicit(&subscriber->dropped, memory_order_relaxed) : 0;
}

void extatus_events_unsubscribe(extatus_subscriber *subscriber)
{
    if (!subscriber)
        return;
    if (!subscriber->fn) {
        pthread_mutex_lock(&queues_lock);
        list_remove(subscriber);
        pthread_mutex_unlock(&queues_lock);
        close(subscriber->fd);
        extatus__free(subscriber->ring);
        extatus__free(subscriber);
        return;
    }
    if (delivering) {
        /* Inside a callback: the delivery loop frees it when it is done. */
        subscriber->removed = true;
        return;
    }
    pthread_mutex_lock(&callbacks_lock); /* waits for a delivery in progress */
    list_remove(subscriber);
    pthread_mutex_unlock(&callbacks_lock);
    extatus__free(subscriber);
}

void extatus__events_publish_unlock(const extatus_process_event *events, size_t count)
{
    pthread_mutex_lock(&queues_lock);
    pthread_mutex_unlock(&extatus__proc.lock);
    if (count == 0) {
        pthread_mutex_unlock(&queues_lock);
        return;
    }
    for (extatus_subscriber *queue = queues; queue; queue = queue->next)
        for (size_t i = 0; i < count; i++)
            queue_push_locked(queue, &events[i]);
    pthread_mutex_unlock(&queues_lock);
    atomic_fetch_add_explicit(&published, count, memory_order_relaxed);

    pthread_mutex_lock(&callbacks_lock);
    delivering = 1;
    for (size_t i = 0; i < count; i++) {
        for (extatus_subscriber *subscriber = callbacks; subscriber;
             subscriber = subscriber->next) {
            if (subscriber->removed)
                continue;
            extatus__in_callback = 1;
            subscriber->fn(&events[i], subscriber->user_data);
            extatus__in_callback = 0;
        }
    }
    delivering = 0;
    for (extatus_subscriber *subscriber = callbacks, *next; subscriber; subscriber = next) {
        next = subscriber->next;
        if (subscriber->removed) {
            list_remove(subscriber);
            extatus__free(subscriber);
        }
    }
    pthread_mutex_unlock(&callbacks_lock);
}

void extatus__events_set_dropped_counter(extatus_counter *counter)
{
    pthread_mutex_lock(&queues_lock);
    dropped_counter = counter;
    pthread_mutex_unlock(&queues_lock);
}

uint64_t extatus__events_dropped_total(void)
{
    return atomic_load_explicit(&dropped_total, memory_order_relaxed);
}

uint64_t extatus__events_published(void)
{
    return atomic_load_explicit(&published, memory_order_relaxed);
}
