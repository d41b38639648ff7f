/*
 * events.c - GET /events: the worker status events (extatus/events.h) as
 * a Server-Sent Events stream.
 *
 * Each client gets its own small event queue (QUEUE_CAPACITY events,
 * whatever the number of workers) opened before anything is sent; the
 * stream starts with an `event: connected`, then the current state of
 * every worker, then each transition queued since, one `data:` line of
 * JSON per event:
 *
 *   data: {"name":"db_pool","state":"idle","value":1,"reason":"timeout",
 *          "time":1700000000.123,"sequence":42,"changes":3,
 *          "last_exit":"error","text":"loading 3/10"}
 *
 * `changes` counts the name's changes of state since the handler started
 * (on the server, whenever the client connected); `last_exit` is the
 * reason of its last exit (null: none); `text` is its status text as it
 * is when the event is written (an event is also published when only the
 * text changed).
 *
 * libmicrohttpd pulls the body through a content-reader callback. When the
 * queue is empty the callback suspends the connection (so the server
 * thread serves others instead of spinning) and hands the queue's file
 * descriptor to one watcher thread per exporter, which resumes the
 * connection as soon as an event is queued, or after `keepalive_ms` so
 * that a comment line keeps proxies and the idle timeout from closing a
 * quiet stream.
 *
 * Memory per stream is fixed: the current states are read from
 * extatus_process_list() SNAPSHOT_PAGE workers at a time, in name order
 * after the last name sent, and formatted only as the client reads; the
 * list itself is freed before the page is sent. A client too slow to keep
 * up makes its queue drop events: it then reads `event: overflow` and the
 * stream ends (counted), and the browser's EventSource reconnects and
 * gets a fresh snapshot, so what it shows is never silently stale. The
 * watcher also watches a suspended stream's socket, so a client that
 * hangs up frees its slot at once.
 */
#include "http.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <microhttpd.h>

#define QUEUE_CAPACITY 256 /* events a client may fall behind by */
#define SNAPSHOT_PAGE  256 /* worker states taken from one listing */
#define BATCH          8   /* events formatted at once */
#define MAX_STREAMS    32  /* streams open at once per exporter; more get 503 */
#define TEXT_MAX                                                                                   \
    2560 /* one formatted event: a 127-byte name and a 255-byte text escaped x6, and the rest */
#define EPOLL_BATCH 32

#define OVERFLOWS_NAME "extatus_http_event_streams_overflowed_total"

typedef struct stream stream;

/*
 * A stream's state. libmicrohttpd's suspend and resume calls are made
 * outside our lock (they take the server's own locks); SUSPENDING covers
 * the moment between registering with the watcher and the suspension, and
 * WAKE records that the watcher wanted to resume it meanwhile.
 */
enum { RUNNING, SUSPENDING, SUSPENDED, WAKE };

struct extatus__http_events {
    pthread_mutex_t lock;              /* guards everything below and each stream's `state` */
    int epoll_fd;                      /* queue fds of suspended streams */
    int wake_fd;                       /* eventfd: stop the watcher */
    pthread_t watcher;                 /* resumes suspended streams */
    bool watcher_started;              /* the thread runs */
    bool closing;                      /* the exporter stops: streams end */
    unsigned keepalive_ms;             /* longest silence on a stream */
    unsigned count;                    /* streams open */
    stream *first;                     /* open streams */
    extatus_counter *overflow_counter; /* self-metric; NULL: none */
};

/* What a watcher registration stands for: a stream's queue or its client socket. */
typedef struct watch_tag {
    stream *owner;
    bool socket;
} watch_tag;

struct stream {
    extatus__http_events *events;              /* owner */
    struct MHD_Connection *connection;         /* the client */
    extatus_subscriber *queue;                 /* its events */
    int socket_fd;                             /* the client's socket, watched for hang-up */
    watch_tag queue_tag;                       /* epoll data of the queue fd */
    watch_tag socket_tag;                      /* epoll data of the socket */
    bool hung_up;                              /* the client closed (events->lock) */
    bool ending;                               /* the overflow marker is out: end after it */
    bool snapshot_done;                        /* every worker's state was sent */
    bool cursor_set;                           /* cursor holds the last name sent */
    char cursor[EXTATUS_WORKER_NAME_MAX + 1];  /* snapshot: last name sent */
    extatus_process_event page[SNAPSHOT_PAGE]; /* snapshot: states to send, by name */
    size_t page_count;                         /* states in page */
    size_t page_sent;                          /* of which formatted */
    char text[TEXT_MAX * BATCH];               /* formatted, not yet sent */
    size_t size;                               /* bytes in text */
    size_t sent;                               /* bytes of text sent */
    _Atomic int64_t last_ms;                   /* when data was last handed out */
    int state;    /* RUNNING, SUSPENDING, SUSPENDED, WAKE (events->lock) */
    stream *prev; /* open streams */
    stream *next; /* open streams */
};

/* Append `name` as a JSON string body (without quotes) to out[0..max). */
static size_t json_escape(char *out, size_t max, const char *name)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p && n + 7 < max; p++) {
        if (*p == '"' || *p == '\\') {
            out[n++] = '\\';
            out[n++] = (char)*p;
        } else if (*p < 0x20) {
            memcpy(out + n, "\\u00", 4);
            out[n + 4] = hex[*p >> 4];
            out[n + 5] = hex[*p & 15];
            n += 6;
        } else {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
    return n;
}

/* One event as an SSE message, with the name's current status text; returns its length. */
static size_t format_event(char *out, size_t max, const extatus_process_event *event)
{
    char name[EXTATUS_WORKER_NAME_MAX * 6 + 8];
    char status[EXTATUS_STATUS_TEXT_MAX + 1];
    char text[EXTATUS_STATUS_TEXT_MAX * 6 + 8];
    json_escape(name, sizeof(name), event->name);
    if (extatus_process_status_text(event->name, status, sizeof(status)) < 0)
        status[0] = '\0'; /* the name expired meanwhile: it has no text any more */
    json_escape(text, sizeof(text), status);
    char last_exit[32] = "null";
    if (event->last_exit != 0)
        snprintf(last_exit, sizeof(last_exit), "\"%s\"",
                 extatus_process_reason_name(event->last_exit));
    int n = snprintf(
        out, max,
        "data: {\"name\":\"%s\",\"state\":\"%s\",\"value\":%d,\"reason\":\"%s\","
        "\"time\":%lld.%03lld,\"sequence\":%llu,\"changes\":%llu,\"last_exit\":%s,"
        "\"text\":\"%s\"}\n\n",
        name, extatus_process_state_name(event->state), (int)event->state,
        extatus_process_reason_name(event->reason), (long long)(event->time_ns / 1000000000),
        (long long)(event->time_ns / 1000000 % 1000), (unsigned long long)event->sequence,
        (unsigned long long)event->changes, last_exit, text);
    return n < 0 ? 0 : (size_t)n < max ? (size_t)n : max - 1;
}

/*
 * The next page of the snapshot into s->page: the SNAPSHOT_PAGE smallest
 * names after the cursor, in name order (indices into the listing kept
 * sorted; the listing is freed before returning). Returns the count.
 */
static size_t snapshot_page(stream *s)
{
    extatus_process_event *list = NULL;
    size_t order[SNAPSHOT_PAGE];
    size_t count = 0;
    size_t used = 0;
    if (extatus_process_list(&list, &count) != EXTATUS_OK)
        return 0; /* out of memory: the snapshot ends here, live events still follow */
    for (size_t i = 0; i < count; i++) {
        const char *name = list[i].name;
        if (s->cursor_set && strcmp(name, s->cursor) <= 0)
            continue;
        if (used == SNAPSHOT_PAGE && strcmp(name, list[order[used - 1]].name) >= 0)
            continue;
        size_t low = 0;
        size_t high = used;
        while (low < high) {
            size_t middle = (low + high) / 2;
            if (strcmp(list[order[middle]].name, name) < 0)
                low = middle + 1;
            else
                high = middle;
        }
        size_t kept = used < SNAPSHOT_PAGE ? used++ : used - 1; /* the last one falls off */
        memmove(order + low + 1, order + low, (kept - low) * sizeof order[0]);
        order[low] = i;
    }
    for (size_t i = 0; i < used; i++)
        s->page[i] = list[order[i]];
    extatus_free(list);
    if (used > 0) {
        memcpy(s->cursor, s->page[used - 1].name, sizeof s->cursor);
        s->cursor_set = true;
    }
    s->page_count = used;
    s->page_sent = 0;
    return used;
}

/* Refill s->text from the snapshot, then the queue; false when the stream must end. */
static bool refill(stream *s)
{
    extatus_process_event batch[BATCH];
    s->size = s->sent = 0;
    if (s->ending)
        return false;
    if (!s->snapshot_done) {
        if (s->page_sent == s->page_count && snapshot_page(s) == 0)
            s->snapshot_done = true;
        for (size_t i = 0; i < BATCH && s->page_sent < s->page_count; i++)
            s->size += format_event(s->text + s->size, sizeof(s->text) - s->size,
                                    &s->page[s->page_sent++]);
        if (s->size > 0)
            return true;
    }
    uint64_t dropped = extatus_events_dropped(s->queue);
    if (dropped > 0) {
        /* Events were lost: say so and end; the client reconnects to a fresh snapshot. */
        int n = snprintf(s->text, sizeof s->text, "event: overflow\ndata: {\"dropped\":%llu}\n\n",
                         (unsigned long long)dropped);
        s->size = n > 0 ? (size_t)n : 0;
        s->ending = true;
        if (s->events->overflow_counter)
            extatus_counter_inc(s->events->overflow_counter);
        return true;
    }
    int count = extatus_events_read(s->queue, batch, BATCH);
    for (int i = 0; i < count; i++)
        s->size += format_event(s->text + s->size, sizeof(s->text) - s->size, &batch[i]);
    return true;
}

/*
 * Park the stream with the watcher until its queue has events (reader
 * thread); false when the exporter is closing and the stream must end.
 */
static bool suspend(stream *s)
{
    extatus__http_events *events = s->events;
    struct epoll_event watch = {.events = EPOLLIN, .data.ptr = &s->queue_tag};
    struct epoll_event hang_up = {.events = EPOLLRDHUP, .data.ptr = &s->socket_tag};
    pthread_mutex_lock(&events->lock);
    if (events->closing || s->hung_up) {
        pthread_mutex_unlock(&events->lock);
        return false;
    }
    s->state = SUSPENDING;
    epoll_ctl(events->epoll_fd, EPOLL_CTL_ADD, extatus_events_fd(s->queue), &watch);
    if (s->socket_fd >= 0)
        epoll_ctl(events->epoll_fd, EPOLL_CTL_ADD, s->socket_fd, &hang_up);
    pthread_mutex_unlock(&events->lock);
    MHD_suspend_connection(s->connection);
    pthread_mutex_lock(&events->lock);
    bool wake = s->state == WAKE;
    s->state = wake ? RUNNING : SUSPENDED;
    pthread_mutex_unlock(&events->lock);
    if (wake)
        MHD_resume_connection(s->connection);
    return true;
}

/*
 * Take the stream from the watcher; true when the caller must resume its
 * connection (after unlocking). A suspended connection cannot close, so
 * the stream stays valid until then.
 */
static bool wake_locked(stream *s)
{
    if (s->state == RUNNING || s->state == WAKE)
        return false;
    epoll_ctl(s->events->epoll_fd, EPOLL_CTL_DEL, extatus_events_fd(s->queue), NULL);
    if (s->socket_fd >= 0)
        epoll_ctl(s->events->epoll_fd, EPOLL_CTL_DEL, s->socket_fd, NULL);
    if (s->state == SUSPENDING) {
        s->state = WAKE; /* suspend() resumes it itself */
        return false;
    }
    s->state = RUNNING;
    return true;
}

static ssize_t read_stream(void *cls, uint64_t position, char *buffer, size_t max)
{
    stream *s = cls;
    (void)position;
    pthread_mutex_lock(&s->events->lock);
    bool hung_up = s->hung_up;
    pthread_mutex_unlock(&s->events->lock);
    if (hung_up) /* the client left: end now, which frees the slot */
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (s->sent == s->size && !refill(s))
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (s->size == 0) {
        if (extatus__http_now_ms() - s->last_ms < (int64_t)s->events->keepalive_ms) {
            /* Nothing to say: step aside until the watcher resumes us. */
            return suspend(s) ? 0 : MHD_CONTENT_READER_END_OF_STREAM;
        }
        static const char ping[] = ": keepalive\n\n";
        memcpy(s->text, ping, sizeof(ping) - 1);
        s->size = sizeof(ping) - 1;
    }
    size_t n = s->size - s->sent < max ? s->size - s->sent : max;
    memcpy(buffer, s->text + s->sent, n);
    s->sent += n;
    s->last_ms = extatus__http_now_ms();
    return (ssize_t)n;
}

static void free_stream(void *cls)
{
    stream *s = cls;
    extatus__http_events *events = s->events;
    pthread_mutex_lock(&events->lock);
    wake_locked(s); /* out of the watcher's set, if it was there */
    if (s->prev)
        s->prev->next = s->next;
    else
        events->first = s->next;
    if (s->next)
        s->next->prev = s->prev;
    events->count--;
    pthread_mutex_unlock(&events->lock);
    extatus_events_unsubscribe(s->queue);
    extatus_free(s);
}

/* The watcher: resume streams whose queue has events, or that owe a keepalive. */
static void *watch(void *arg)
{
    extatus__http_events *events = arg;
    for (;;) {
        struct epoll_event ready[EPOLL_BATCH];
        int n = epoll_wait(events->epoll_fd, ready, EPOLL_BATCH, (int)events->keepalive_ms / 2);
        struct MHD_Connection *resume[MAX_STREAMS];
        unsigned count = 0;
        pthread_mutex_lock(&events->lock);
        if (events->closing) {
            pthread_mutex_unlock(&events->lock);
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            watch_tag *tag = ready[i].data.ptr;
            if (!tag)
                continue;
            stream *s = tag->owner;
            if (tag->socket && s->state != RUNNING)
                s->hung_up = true;
            if (wake_locked(s))
                resume[count++] = s->connection;
        }
        int64_t now = extatus__http_now_ms();
        for (stream *s = events->first; s; s = s->next)
            if (now - s->last_ms >= (int64_t)events->keepalive_ms && wake_locked(s))
                resume[count++] = s->connection;
        pthread_mutex_unlock(&events->lock);
        for (unsigned i = 0; i < count; i++)
            MHD_resume_connection(resume[i]);
    }
}

int extatus__http_events_new(extatus__http_events **out, unsigned connection_timeout_s,
                             extatus_registry *self)
{
    extatus__http_events *events = extatus_malloc(sizeof(*events));
    *out = NULL;
    if (!events)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "exporter: out of memory");
    memset(events, 0, sizeof(*events));
    if (self)
        events->overflow_counter = extatus__http_self_counter(
            self, OVERFLOWS_NAME,
            "Event streams the exporter ended because the client fell behind and events were "
            "lost.");
    pthread_mutex_init(&events->lock, NULL);
    /* Speak at least twice per idle timeout, and at least every 15 s. */
    unsigned keepalive = connection_timeout_s ? connection_timeout_s * 1000 / 2 : 15000;
    events->keepalive_ms = keepalive < 15000 ? (keepalive ? keepalive : 500) : 15000;
    events->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    events->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event wake = {.events = EPOLLIN, .data.ptr = NULL};
    if (events->epoll_fd < 0 || events->wake_fd < 0 ||
        epoll_ctl(events->epoll_fd, EPOLL_CTL_ADD, events->wake_fd, &wake) != 0) {
        int error = errno;
        extatus__http_events_free(events);
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "exporter: /events: epoll: %s",
                                   strerror(error));
    }
    *out = events;
    return EXTATUS_OK;
}

void extatus__http_events_close(extatus__http_events *events)
{
    if (!events)
        return;
    struct MHD_Connection *resume[MAX_STREAMS];
    unsigned count = 0;
    pthread_mutex_lock(&events->lock);
    events->closing = true;
    for (stream *s = events->first; s; s = s->next)
        if (wake_locked(s))
            resume[count++] = s->connection; /* its reader now ends the stream */
    pthread_mutex_unlock(&events->lock);
    for (unsigned i = 0; i < count; i++)
        MHD_resume_connection(resume[i]);
    uint64_t one = 1;
    ssize_t written = write(events->wake_fd, &one, sizeof(one));
    (void)written;
}

void extatus__http_events_free(extatus__http_events *events)
{
    if (!events)
        return;
    extatus__http_events_close(events);
    if (events->watcher_started)
        pthread_join(events->watcher, NULL);
    if (events->epoll_fd >= 0)
        close(events->epoll_fd);
    if (events->wake_fd >= 0)
        close(events->wake_fd);
    pthread_mutex_destroy(&events->lock);
    extatus_free(events);
}

struct MHD_Response *extatus__http_events_response(extatus__http_events *events,
                                                   struct MHD_Connection *connection,
                                                   unsigned *status)
{
    static const char busy[] = "Too many event streams; try again later.\n";
    static const char connected[] = "retry: 2000\nevent: connected\ndata: {}\n\n";
    stream *s = extatus_malloc(sizeof(*s));
    if (!s)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->events = events;
    s->connection = connection;
    s->queue_tag = (watch_tag){s, false};
    s->socket_tag = (watch_tag){s, true};
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    s->socket_fd = info ? info->connect_fd : -1;
    pthread_mutex_lock(&events->lock);
    bool refuse = events->closing || events->count >= MAX_STREAMS;
    if (!refuse && !events->watcher_started) {
        events->watcher_started = pthread_create(&events->watcher, NULL, watch, events) == 0;
        refuse = !events->watcher_started;
    }
    if (!refuse)
        events->count++;
    pthread_mutex_unlock(&events->lock);
    /* Open before the snapshot is read, so no change falls between the two. */
    if (refuse || extatus_events_open(&s->queue, QUEUE_CAPACITY, 0) != 0) {
        if (!refuse) {
            pthread_mutex_lock(&events->lock);
            events->count--;
            pthread_mutex_unlock(&events->lock);
        }
        extatus_free(s);
        *status = MHD_HTTP_SERVICE_UNAVAILABLE;
        struct MHD_Response *response = MHD_create_response_from_buffer(
            sizeof(busy) - 1, (void *)(uintptr_t)busy, MHD_RESPMEM_PERSISTENT);
        if (response)
            MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, "5");
        return response;
    }
    memcpy(s->text, connected, sizeof(connected) - 1);
    s->size = sizeof(connected) - 1;
    s->last_ms = extatus__http_now_ms();
    struct MHD_Response *response =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, TEXT_MAX, read_stream, s, free_stream);
    if (!response) {
        extatus_events_unsubscribe(s->queue);
        pthread_mutex_lock(&events->lock);
        events->count--;
        pthread_mutex_unlock(&events->lock);
        extatus_free(s);
        return NULL;
    }
    pthread_mutex_lock(&events->lock);
    s->next = events->first;
    if (events->first)
        events->first->prev = s;
    events->first = s;
    pthread_mutex_unlock(&events->lock);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    *status = MHD_HTTP_OK;
    return response;
}
