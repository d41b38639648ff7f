/*
 * guard.c - the connections of one exporter, so that a scraper always
 * gets in, whatever slow or idle clients do.
 *
 * libmicrohttpd's own idle timeout restarts with every byte received, so
 * a client sending one byte every few seconds would hold its connection
 * for ever, and its connection limit leaves new connections waiting in
 * the listen queue. The guard keeps a list of every open connection,
 * oldest first, in one of these states:
 *
 *   WAITING  waiting for a (complete) request head: since accept, or
 *            since the previous response was sent;
 *   BUSY     a response is being sent;
 *   STREAM   an /events stream (bounded on its own, see events.c);
 *   CLOSING  shut by the guard; libmicrohttpd closes it on its next turn.
 *
 * A thread closes every WAITING connection whose head is not complete in
 * time: `head_timeout_ms` from accept for the first request (a plain-HTTP
 * client then reads a 408), `idle_timeout_ms` from the end of the
 * previous response for later ones, counted whatever bytes arrive. When
 * a connection arrives and `limit` are open, the oldest WAITING one is
 * evicted, so the newcomer is served instead of queued.
 *
 * A connection is closed from here with shutdown(2) on its socket, never
 * close(2): libmicrohttpd sees the end of the stream and closes it in its
 * own thread. libmicrohttpd reports the close (MHD_CONNECTION_NOTIFY_CLOSED,
 * under our lock) before it closes the descriptor, so a descriptor in the
 * list is always the connection's own.
 */
#include "http.h"

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#define EVICTED_NAME  "extatus_http_connections_evicted_total"
#define TIMEOUTS_NAME "extatus_http_request_head_timeouts_total"

enum { WAITING, BUSY, STREAM, CLOSING };

struct extatus__http_conn {
    extatus__http_guard *guard;
    int fd;              /* the socket (owned by libmicrohttpd) */
    int state;           /* WAITING, BUSY, STREAM, CLOSING (guard lock) */
    bool answered;       /* a response was sent on it before (guard lock) */
    int64_t since_ms;    /* start of the current wait (guard lock) */
    const char *target;  /* the current request target, in libmicrohttpd's buffer */
    size_t target_bytes; /* its length as a C string */
    bool bad_target;     /* a percent-encoded NUL was decoded in it */
    extatus__http_conn *prev;
    extatus__http_conn *next;
};

struct extatus__http_guard {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool thread_started;
    bool stopping; /* (lock) */
    extatus__http_guard_options options;
    unsigned count;            /* open connections (lock) */
    extatus__http_conn *first; /* oldest wait first (lock) */
    extatus__http_conn *last;
    extatus_counter *evicted_counter; /* self-metrics; NULL: not counted */
    extatus_counter *timeouts_counter;
};

static void unlink_conn(extatus__http_guard *guard, extatus__http_conn *conn)
{
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        guard->first = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    else
        guard->last = conn->prev;
    conn->prev = conn->next = NULL;
}

static void append_conn(extatus__http_guard *guard, extatus__http_conn *conn)
{
    conn->prev = guard->last;
    conn->next = NULL;
    if (guard->last)
        guard->last->next = conn;
    else
        guard->first = conn;
    guard->last = conn;
}

/* Shut the connection's socket; libmicrohttpd closes it (guard lock held). */
static void shut_locked(extatus__http_conn *conn)
{
    conn->state = CLOSING;
    shutdown(conn->fd, SHUT_RDWR);
}

/* Count one eviction or timeout (guard lock held: the counter add takes no lock of ours). */
static void count(extatus_counter *counter)
{
    if (counter)
        extatus_counter_inc(counter);
}

/*
 * Close every connection whose request head (or next request) is overdue,
 * at its deadline: the thread sleeps until the earliest deadline of a
 * waiting connection, or until one starts waiting when none does.
 */
static void *watch(void *arg)
{
    extatus__http_guard *guard = arg;
    static const char timeout[] = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n"
                                  "Content-Type: text/plain; charset=utf-8\r\n"
                                  "Content-Length: 40\r\n\r\n"
                                  "The request head did not arrive in time.";
    pthread_mutex_lock(&guard->lock);
    while (!guard->stopping) {
        int64_t now = extatus__http_now_ms();
        int64_t next = INT64_MAX; /* the earliest deadline still ahead */
        for (extatus__http_conn *c = guard->first; c; c = c->next) {
            if (c->state != WAITING)
                continue;
            unsigned allowed =
                c->answered ? guard->options.idle_timeout_ms : guard->options.head_timeout_ms;
            int64_t deadline = c->since_ms + (int64_t)allowed;
            if (now < deadline) {
                if (deadline < next)
                    next = deadline;
                continue;
            }
            /* A first request that never came gets a 408; an idle keep-alive just ends. */
            if (!c->answered && !guard->options.tls) {
                ssize_t sent =
                    send(c->fd, timeout, sizeof timeout - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                (void)sent;
            }
            /* Counted before the close, so a client that saw it also sees the count. */
            count(guard->timeouts_counter);
            shut_locked(c);
        }
        if (next == INT64_MAX) {
            pthread_cond_wait(&guard->wake, &guard->lock);
        } else {
            struct timespec until;
            extatus__http_timespec_of_ms(&until, next);
            pthread_cond_timedwait(&guard->wake, &guard->lock, &until);
        }
    }
    pthread_mutex_unlock(&guard->lock);
    return NULL;
}

int extatus__http_guard_new(extatus__http_guard **out, const extatus__http_guard_options *options)
{
    extatus__http_guard *guard = extatus_malloc(sizeof *guard);
    pthread_condattr_t attributes;

    *out = NULL;
    if (!guard)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "exporter: out of memory");
    memset(guard, 0, sizeof *guard);
    guard->options = *options;
    if (options->self) {
        guard->evicted_counter = extatus__http_self_counter(
            options->self, EVICTED_NAME,
            "Connections the exporter closed to make room for a new one, at its connection "
            "limit.");
        guard->timeouts_counter = extatus__http_self_counter(
            options->self, TIMEOUTS_NAME,
            "Connections the exporter closed because a request head did not arrive in time.");
    }
    pthread_mutex_init(&guard->lock, NULL);
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&guard->wake, &attributes);
    pthread_condattr_destroy(&attributes);
    int rc = pthread_create(&guard->thread, NULL, watch, guard);
    if (rc != 0) {
        extatus__http_guard_free(guard);
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "exporter: cannot start a thread: %s",
                                   strerror(rc));
    }
    guard->thread_started = true;
    *out = guard;
    return EXTATUS_OK;
}

void extatus__http_guard_free(extatus__http_guard *guard)
{
    if (!guard)
        return;
    if (guard->thread_started) {
        pthread_mutex_lock(&guard->lock);
        guard->stopping = true;
        pthread_cond_signal(&guard->wake);
        pthread_mutex_unlock(&guard->lock);
        pthread_join(guard->thread, NULL);
    }
    /* The server stopped first and reported every close: the list is empty. */
    pthread_cond_destroy(&guard->wake);
    pthread_mutex_destroy(&guard->lock);
    extatus_free(guard);
}

void extatus__http_guard_opened(extatus__http_guard *guard, struct MHD_Connection *connection,
                                void **socket_context)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    extatus__http_conn *conn = info ? extatus_malloc(sizeof *conn) : NULL;

    *socket_context = conn;
    if (!conn) {
        if (info) /* no memory to guard it: refuse it rather than leave it unguarded */
            shutdown(info->connect_fd, SHUT_RDWR);
        return;
    }
    memset(conn, 0, sizeof *conn);
    conn->guard = guard;
    conn->fd = info->connect_fd;
    conn->state = WAITING;
    conn->since_ms = extatus__http_now_ms();
    pthread_mutex_lock(&guard->lock);
    append_conn(guard, conn);
    pthread_cond_signal(&guard->wake); /* a new deadline */
    guard->count++;
    if (guard->count > guard->options.limit) {
        /* The oldest connection waiting for a head makes room (never the newcomer). */
        for (extatus__http_conn *c = guard->first; c && c != conn; c = c->next)
            if (c->state == WAITING) {
                count(guard->evicted_counter);
                shut_locked(c);
                break;
            }
    }
    pthread_mutex_unlock(&guard->lock);
}

void extatus__http_guard_closed(extatus__http_guard *guard, void **socket_context)
{
    extatus__http_conn *conn = *socket_context;
    if (!conn)
        return;
    pthread_mutex_lock(&guard->lock);
    unlink_conn(guard, conn);
    guard->count--;
    pthread_mutex_unlock(&guard->lock);
    *socket_context = NULL;
    extatus_free(conn);
}

extatus__http_conn *extatus__http_guard_find(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

void extatus__http_conn_target(extatus__http_conn *conn, const char *target)
{
    if (!conn)
        return;
    conn->target = target;
    conn->target_bytes = strlen(target);
    conn->bad_target = false;
}

void extatus__http_conn_bad_target(extatus__http_conn *conn)
{
    if (conn)
        conn->bad_target = true;
}

/*
 * Whether [from, to) is a separator as libmicrohttpd leaves it: exactly
 * one NUL (the space it cut the line at) and otherwise spaces (extra ones
 * it skipped). Any other byte, or a second NUL, was part of the target.
 */
static bool plain_separator(const char *from, const char *to)
{
    size_t nuls = 0;
    for (const char *p = from; p < to; p++) {
        if (*p == '\0')
            nuls++;
        else if (*p != ' ')
            return false;
    }
    return nuls == 1;
}

bool extatus__http_conn_target_has_nul(const extatus__http_conn *conn, const char *method,
                                       const char *version)
{
    if (!conn || !conn->target)
        return false;
    if (conn->bad_target)
        return true;
    /*
     * The request line `method SP target SP version` sits in one buffer, cut
     * into C strings at the separators (libmicrohttpd finds the version by
     * the line's length). A raw NUL in the target ends its C string early,
     * so the bytes between the target's end and the version are then more
     * than a separator. Extra spaces between the parts are allowed (RFC 9112,
     * 3: a recipient may split on whitespace), so they are not taken for one.
     */
    const char *method_end = method + strlen(method);
    const char *target_end = conn->target + conn->target_bytes;
    return conn->target <= method_end || version <= target_end ||
           !plain_separator(method_end, conn->target) || !plain_separator(target_end, version);
}

void extatus__http_conn_busy(extatus__http_conn *conn, bool stream)
{
    if (!conn)
        return;
    pthread_mutex_lock(&conn->guard->lock);
    if (conn->state != CLOSING)
        conn->state = stream ? STREAM : BUSY;
    pthread_mutex_unlock(&conn->guard->lock);
}

void extatus__http_conn_done(extatus__http_conn *conn)
{
    if (!conn)
        return;
    extatus__http_guard *guard = conn->guard;
    pthread_mutex_lock(&guard->lock);
    if (conn->state == BUSY) {
        conn->state = WAITING;
        conn->answered = true;
        conn->since_ms = extatus__http_now_ms();
        pthread_cond_signal(&guard->wake); /* a new deadline */
        unlink_conn(guard, conn);          /* now the youngest wait */
        append_conn(guard, conn);
    }
    pthread_mutex_unlock(&guard->lock);
    conn->target = NULL;
}
