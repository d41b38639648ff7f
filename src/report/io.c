/*
 * io.c - network I/O for reporters that never outlives its deadlines.
 *
 * A reporter's connect and send go through these helpers, which keep the
 * socket non-blocking and wait with poll() in short slices: each slice
 * ends at the deadline of the delivery the thread is in (delivery.h) or
 * after EXTATUS__STOP_SLICE_MS, when the reporter's stop flag is looked at
 * again. So a frozen receiver, a full accept queue or a dead host costs a
 * delivery at most its deadlines, and removing the reporter or shutting
 * the library down abandons the wait within one slice.
 *
 * After the bytes are written on a TCP socket, send waits (within the
 * same deadline) until the receiving host has acknowledged all of them
 * (SIOCOUTQ),
 * so a batch written into a connection the receiver already closed or
 * reset is reported as a failure, not as delivered.
 */
#include "core/util.h"
#include "extatus/sys/reporter.h"
#include "report/delivery.h"

#include <errno.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

__thread extatus__delivery *extatus__current_delivery;

/* Outside a delivery (a reporter's init called by extatus_reporter_add). */
static extatus__delivery *delivery_or(extatus__delivery *fallback)
{
    if (extatus__current_delivery)
        return extatus__current_delivery;
    *fallback = (extatus__delivery){(int64_t)EXTATUS__CONNECT_TIMEOUT_MS * 1000000,
                                    (int64_t)EXTATUS__SEND_TIMEOUT_MS * 1000000, 0, NULL,
                                    EXTATUS__DROP_ERROR};
    return fallback;
}

static bool stopping(const extatus__delivery *d)
{
    return d->stopping && atomic_load(d->stopping);
}

/*
 * Wait for `events` on fd until deadline_ns. Returns 1 when ready (revents
 * set), 0 when the deadline passed or the reporter is stopping (d->reason
 * says which), -1 on a poll error (errno).
 */
static int wait_for(extatus__delivery *d, int fd, short events, int64_t deadline_ns, short *revents)
{
    for (;;) {
        if (stopping(d)) {
            d->reason = EXTATUS__DROP_STOPPED;
            return 0;
        }
        int64_t left_ns = deadline_ns - extatus__now_monotonic_ns();
        if (left_ns <= 0) {
            d->reason = EXTATUS__DROP_TIMEOUT;
            return 0;
        }
        int64_t slice_ms = (left_ns + 999999) / 1000000;
        if (slice_ms > EXTATUS__STOP_SLICE_MS)
            slice_ms = EXTATUS__STOP_SLICE_MS;
        struct pollfd p = {fd, events, 0};
        int n = poll(&p, 1, (int)slice_ms);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0) {
            *revents = p.revents;
            return 1;
        }
    }
}

static int connect_one(extatus__delivery *d, const struct addrinfo *ai, int64_t deadline_ns,
                       int *out, int *err)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
        *err = errno;
        return EXTATUS_ERR_SYSTEM;
    }
    /* Batches go out in one send: nothing to gain from Nagle, only a wait for the last ACK. */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        *out = fd;
        return EXTATUS_OK;
    }
    if (errno != EINPROGRESS) {
        *err = errno;
        close(fd);
        return EXTATUS_ERR_SYSTEM;
    }
    short revents = 0;
    int ready = wait_for(d, fd, POLLOUT, deadline_ns, &revents);
    if (ready <= 0) {
        *err = ready < 0 ? errno : d->reason == EXTATUS__DROP_TIMEOUT ? ETIMEDOUT : ECANCELED;
        close(fd);
        return EXTATUS_ERR_SYSTEM;
    }
    int so_error = 0;
    socklen_t length = sizeof(so_error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length) != 0)
        so_error = errno;
    if (so_error != 0) {
        *err = so_error;
        close(fd);
        return EXTATUS_ERR_SYSTEM;
    }
    *out = fd;
    return EXTATUS_OK;
}

int extatus_reporter_connect(int *fd, const char *host, const char *port)
{
    if (!fd || !host || !port)
        return extatus__error(EXTATUS_ERR_INVALID, "reporter connect: NULL argument");
    *fd = -1;
    extatus__delivery fallback;
    extatus__delivery *d = delivery_or(&fallback);
    struct addrinfo hints;
    struct addrinfo *found = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(host, port, &hints, &found);
    if (gai != 0) {
        d->reason = EXTATUS__DROP_ERROR;
        return extatus__error(EXTATUS_ERR_SYSTEM, "cannot resolve %s:%s: %s", host, port,
                              gai_strerror(gai));
    }
    int64_t deadline_ns = extatus__now_monotonic_ns() + d->connect_timeout_ns;
    int err = 0;
    int rc = EXTATUS_ERR_SYSTEM;
    d->reason = EXTATUS__DROP_ERROR;
    for (struct addrinfo *ai = found; ai && rc != EXTATUS_OK; ai = ai->ai_next) {
        rc = connect_one(d, ai, deadline_ns, fd, &err);
        if (rc != EXTATUS_OK && d->reason != EXTATUS__DROP_ERROR)
            break; /* out of time, or stopping: do not try the next address */
    }
    freeaddrinfo(found);
    if (rc == EXTATUS_OK)
        return EXTATUS_OK;
    if (d->reason == EXTATUS__DROP_TIMEOUT)
        return extatus__error(EXTATUS_ERR_SYSTEM, "cannot connect to %s:%s within %lld ms", host,
                              port, (long long)(d->connect_timeout_ns / 1000000));
    if (d->reason == EXTATUS__DROP_STOPPED)
        return extatus__error(EXTATUS_ERR_SYSTEM,
                              "connect to %s:%s abandoned: the reporter is stopping", host, port);
    return extatus__error(EXTATUS_ERR_SYSTEM, "cannot connect to %s:%s: %s", host, port,
                          strerror(err));
}

/* The receiver closed or reset the connection (looked at without waiting). */
static bool peer_gone(int fd, int *err)
{
    struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
    if (poll(&p, 1, 0) <= 0)
        return false;
    if (p.revents & POLLERR) {
        int so_error = 0;
        socklen_t length = sizeof(so_error);
        (void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &length);
        *err = so_error ? so_error : ECONNRESET;
        return true;
    }
    if (p.revents & (POLLHUP | POLLRDHUP)) {
        *err = EPIPE;
        return true;
    }
    return false;
}

static bool is_socket(int fd)
{
    struct stat info;
    return fstat(fd, &info) == 0 && S_ISSOCK(info.st_mode);
}

static bool is_tcp(int fd)
{
    int protocol = 0;
    socklen_t length = sizeof(protocol);
    return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &length) == 0 &&
           protocol == IPPROTO_TCP;
}

/* Bytes sent on a TCP socket that the peer has not acknowledged yet. */
static int unacknowledged(int fd)
{
    int queued = 0;
    return ioctl(fd, SIOCOUTQ, &queued) == 0 ? queued : 0;
}

static void pause_ms(int64_t ms)
{
    struct timespec t = {0, (long)(ms * 1000000)};
    nanosleep(&t, NULL);
}

/* Wait until the receiving host acknowledged every byte sent on fd. */
static int wait_acknowledged(extatus__delivery *d, int fd, int64_t deadline_ns)
{
    int64_t step_ms = 1;
    for (;;) {
        int queued = unacknowledged(fd);
        if (queued <= 0)
            return EXTATUS_OK; /* all acknowledged */
        int err = 0;
        if (peer_gone(fd, &err))
            return extatus__error(EXTATUS_ERR_SYSTEM,
                                  "the receiver dropped the connection with %d bytes "
                                  "unacknowledged: %s",
                                  queued, strerror(err));
        if (stopping(d)) {
            d->reason = EXTATUS__DROP_STOPPED;
            return extatus__error(EXTATUS_ERR_SYSTEM, "send abandoned: the reporter is stopping");
        }
        int64_t left_ms = (deadline_ns - extatus__now_monotonic_ns()) / 1000000;
        if (left_ms <= 0) {
            d->reason = EXTATUS__DROP_TIMEOUT;
            return extatus__error(EXTATUS_ERR_SYSTEM,
                                  "%d bytes not acknowledged by the receiver within %lld ms",
                                  queued, (long long)(d->send_timeout_ns / 1000000));
        }
        pause_ms(step_ms < left_ms ? step_ms : left_ms);
        if (step_ms < EXTATUS__STOP_SLICE_MS)
            step_ms *= 2;
    }
}

int extatus_reporter_send(int fd, const void *data, size_t size)
{
    if (fd < 0 || (!data && size))
        return extatus__error(EXTATUS_ERR_INVALID, "reporter send: bad descriptor or data");
    extatus__delivery fallback;
    extatus__delivery *d = delivery_or(&fallback);
    d->reason = EXTATUS__DROP_ERROR;
    if (!d->send_deadline_ns)
        d->send_deadline_ns = extatus__now_monotonic_ns() + d->send_timeout_ns;
    int err = 0;
    if (peer_gone(fd, &err))
        return extatus__error(EXTATUS_ERR_STATE,
                              "the receiver closed the connection (%s); nothing was sent",
                              strerror(err));
    bool socket_fd = is_socket(fd);
    const char *p = data;
    size_t left = size;
    int rc = EXTATUS_OK;
    while (left && rc == EXTATUS_OK) {
        /*
         * A socket is written without waiting (MSG_DONTWAIT). Any other
         * descriptor (a pipe, a file) keeps its flags, which it shares with
         * the program: it is written in pieces of PIPE_BUF once poll says
         * it takes data, which a pipe then accepts without blocking.
         */
        ssize_t sent = -1;
        errno = EAGAIN;
        if (socket_fd) {
            sent = send(fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else {
            struct pollfd ready = {fd, POLLOUT, 0};
            if (poll(&ready, 1, 0) > 0)
                sent = write(fd, p, left < PIPE_BUF ? left : PIPE_BUF);
        }
        if (sent > 0) {
            p += sent;
            left -= (size_t)sent;
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            short revents = 0;
            int ready = wait_for(d, fd, POLLOUT, d->send_deadline_ns, &revents);
            if (ready > 0)
                continue;
            if (ready < 0)
                rc = extatus__error(EXTATUS_ERR_SYSTEM, "write failed: poll: %s", strerror(errno));
            else if (d->reason == EXTATUS__DROP_TIMEOUT)
                rc = extatus__error(EXTATUS_ERR_SYSTEM,
                                    "the receiver took no data for %lld ms (%zu of %zu "
                                    "bytes unsent)",
                                    (long long)(d->send_timeout_ns / 1000000), left, size);
            else
                rc = extatus__error(EXTATUS_ERR_SYSTEM, "send abandoned: the reporter is stopping");
            continue;
        }
        rc = extatus__error(EXTATUS_ERR_SYSTEM, "write failed: %s",
                            strerror(sent < 0 ? errno : EPIPE));
    }
    if (rc == EXTATUS_OK && socket_fd && is_tcp(fd))
        rc = wait_acknowledged(d, fd, d->send_deadline_ns);
    return rc;
}
