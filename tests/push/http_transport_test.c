/*
 * http_transport_test.c - the push library's HTTP transport (push_http.h)
 * against loopback servers of the test's own, one thread each:
 *
 *  - an answering server records each request (method, target, headers,
 *    body) and answers with a canned status, Retry-After and body; it
 *    checks what went out (basic auth, bearer token, extra headers, the
 *    gzip body read back with zlib's inflate), what came back (status,
 *    Retry-After, the first bytes of the answer in the message) and that
 *    two requests share one connection;
 *  - a silent server accepts and never answers: the request ends within
 *    its total timeout with a timeout failure;
 *  - a refused port: a connect failure, at once;
 *  - a stop from another thread while a request hangs: it gives up
 *    within a few slices; a stop callback does the same.
 *
 * Bounds are generous for a loaded machine and far below what the silent
 * server would make a blocking client wait (forever).
 */
#include "push_http.h"
#include "push_test.h"

#include "extatus.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- the answering server -------------------------------------------------------- */

#define MAX_REQUEST (1 << 20)

typedef struct answering {
    int listener;
    int port;
    const char *answer; /* the whole HTTP answer sent to every request */
    int requests;       /* to serve before the thread ends */
    int accepted;       /* connections accepted */
    char head[8192];    /* the last request's head */
    unsigned char *body;
    size_t body_size;
} answering;

/* Read one request (head and Content-Length body) from fd; false at EOF. */
static bool read_request(int fd, answering *s)
{
    static char buf[MAX_REQUEST];
    size_t have = 0;
    char *end = NULL;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - have);
        if (n <= 0)
            return false;
        have += (size_t)n;
    }
    size_t head_size = (size_t)(end - buf) + 4;
    snprintf(s->head, sizeof(s->head), "%.*s", (int)head_size, buf);
    const char *cl = strcasestr(s->head, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    while (have < head_size + want) {
        ssize_t n = read(fd, buf + have, sizeof(buf) - have);
        if (n <= 0)
            return false;
        have += (size_t)n;
    }
    free(s->body);
    s->body = malloc(want + 1);
    memcpy(s->body, buf + head_size, want);
    s->body_size = want;
    return true;
}

static void *answering_main(void *arg)
{
    answering *s = arg;
    int served = 0;
    while (served < s->requests) {
        int fd = accept(s->listener, NULL, NULL);
        if (fd < 0)
            break;
        s->accepted++;
        while (served < s->requests && read_request(fd, s)) {
            served++;
            if (write(fd, s->answer, strlen(s->answer)) < 0)
                break;
        }
        close(fd);
    }
    return NULL;
}

static const char *header_value(const char *head, const char *name, char *out, size_t size)
{
    char key[128];
    snprintf(key, sizeof(key), "\r\n%s:", name);
    const char *p = strcasestr(head, key);
    if (!p)
        return NULL;
    p += strlen(key);
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, "\r");
    snprintf(out, size, "%.*s", (int)n, p);
    return out;
}

static size_t gunzip(const unsigned char *in, size_t in_size, char *out, size_t out_size)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return 0;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)in_size;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)out_size;
    int rc = inflate(&z, Z_FINISH);
    size_t n = z.total_out;
    inflateEnd(&z);
    return rc == Z_STREAM_END ? n : 0;
}

static void test_request_and_answer(void)
{
    answering s;
    memset(&s, 0, sizeof(s));
    s.listener = listen_loopback(&s.port);
    s.answer = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 28\r\n"
               "Content-Type: text/plain\r\n\r\nstorage full\ntry again later";
    s.requests = 2;
    pthread_t thread;
    pthread_create(&thread, NULL, answering_main, &s);

    const char *headers[] = {"X-Scope-OrgID: tenant-1"};
    extatus__push_http_config config = {0};
    config.username = "pusher";
    config.password = "s3cret:x";
    config.headers = headers;
    config.header_count = 1;
    extatus__push_http *client = NULL;
    CHECK(extatus__push_http_new(&client, &config) == EXTATUS_OK, "%s", extatus_error_last());

    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics/job/a", s.port);
    static char body[200000];
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (char)('a' + (i * 7 % 26));
    const char *request_headers[] = {"X-Request: one"};
    extatus__push_http_request request = {
        "PUT", url, "text/plain; version=0.0.4", body, sizeof(body), true, request_headers, 1};
    extatus__push_http_result result;
    int rc = extatus__push_http_send(client, &request, &result);
    const char *message = extatus_error_last();
    CHECK(rc == EXTATUS_ERR_SYSTEM, "rc %d", rc);
    CHECK(result.failure == EXTATUS__PUSH_HTTP_STATUS, "failure %d", (int)result.failure);
    CHECK(result.status == 503, "status %ld", result.status);
    CHECK(result.retry_after_ms == 7000, "retry after %lld", (long long)result.retry_after_ms);
    CHECK(strcmp(result.answer, "storage full\ntry again later") == 0 ||
              strcmp(result.answer, "storage full try again later") == 0,
          "answer '%s'", result.answer);
    CHECK(strstr(message, url) && strstr(message, "503") &&
              strstr(message, "storage full try again later") && strstr(message, "PUT"),
          "message '%s'", message);
    CHECK(result.bytes_sent > 0 && result.bytes_sent < sizeof(body) / 10,
          "gzip body of %llu bytes for %zu", (unsigned long long)result.bytes_sent, sizeof(body));

    /* What the server saw. */
    char value[256];
    CHECK(strncmp(s.head, "PUT /metrics/job/a HTTP/1.1\r\n", 29) == 0, "head '%.40s'", s.head);
    CHECK(header_value(s.head, "Content-Encoding", value, sizeof(value)) &&
              strcmp(value, "gzip") == 0,
          "no gzip encoding");
    CHECK(header_value(s.head, "Content-Type", value, sizeof(value)) &&
              strcmp(value, "text/plain; version=0.0.4") == 0,
          "content type");
    /* base64("pusher:s3cret:x") */
    CHECK(header_value(s.head, "Authorization", value, sizeof(value)) &&
              strcmp(value, "Basic cHVzaGVyOnMzY3JldDp4") == 0,
          "authorization '%s'", value);
    CHECK(header_value(s.head, "X-Scope-OrgID", value, sizeof(value)) &&
              strcmp(value, "tenant-1") == 0,
          "client header");
    CHECK(header_value(s.head, "X-Request", value, sizeof(value)) && strcmp(value, "one") == 0,
          "request header");
    CHECK(!header_value(s.head, "Expect", value, sizeof(value)), "Expect header sent");
    static char plain[sizeof(body) + 16];
    size_t n = gunzip(s.body, s.body_size, plain, sizeof(plain));
    CHECK(n == sizeof(body) && memcmp(plain, body, n) == 0, "gunzip gave %zu bytes", n);

    /* A second request on the same client: a DELETE without body, same connection. */
    extatus__push_http_request del = {"DELETE", url, NULL, NULL, 0, false, NULL, 0};
    rc = extatus__push_http_send(client, &del, &result);
    CHECK(rc == EXTATUS_ERR_SYSTEM && result.status == 503, "rc %d status %ld", rc, result.status);
    CHECK(strncmp(s.head, "DELETE /metrics/job/a HTTP/1.1\r\n", 32) == 0, "head '%.40s'", s.head);
    CHECK(!header_value(s.head, "Content-Encoding", value, sizeof(value)), "stale header");
    CHECK(!header_value(s.head, "Content-Type", value, sizeof(value)), "content type '%s'", value);
    pthread_join(thread, NULL);
    CHECK(s.accepted == 1, "%d connections for two requests (no keep-alive)", s.accepted);
    extatus__push_http_free(client);
    close(s.listener);
    free(s.body);
}

static void test_success_and_bearer(void)
{
    answering s;
    memset(&s, 0, sizeof(s));
    s.listener = listen_loopback(&s.port);
    s.answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Written: 1\r\nx-written: 42\r\n\r\n";
    s.requests = 1;
    pthread_t thread;
    pthread_create(&thread, NULL, answering_main, &s);
    extatus__push_http_config config = {0};
    config.bearer_token = "tok.en";
    extatus__push_http *client = NULL;
    CHECK(extatus__push_http_new(&client, &config) == EXTATUS_OK, "%s", extatus_error_last());
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", s.port);
    extatus__push_http_request request = {"POST", url, "text/plain", "a 1\n", 4, false, NULL, 0};
    extatus__push_http_result result;
    int rc = extatus__push_http_send(client, &request, &result);
    CHECK(rc == EXTATUS_OK && result.failure == EXTATUS__PUSH_HTTP_OK && result.status == 200,
          "rc %d status %ld: %s", rc, result.status, extatus_error_last());
    CHECK(result.bytes_sent == 4, "bytes %llu", (unsigned long long)result.bytes_sent);
    CHECK(result.retry_after_ms == -1, "retry after %lld", (long long)result.retry_after_ms);
    /* Response headers (the last of a repeated one, any case); an absent one is absent. */
    char written[8];
    CHECK(extatus__push_http_header(client, "X-WRITTEN", written, sizeof(written)) &&
              strcmp(written, "42") == 0,
          "header X-Written '%s'", written);
    CHECK(!extatus__push_http_header(client, "X-Missing", written, sizeof(written)),
          "an absent header was found");
    pthread_join(thread, NULL);
    char value[256];
    CHECK(header_value(s.head, "Authorization", value, sizeof(value)) &&
              strcmp(value, "Bearer tok.en") == 0,
          "authorization");
    CHECK(s.body_size == 4 && memcmp(s.body, "a 1\n", 4) == 0, "body");
    extatus__push_http_free(client);
    close(s.listener);
    free(s.body);
}

/* ---- servers that never answer ---------------------------------------------------- */

typedef struct silent {
    int listener;
    int port;
    _Atomic bool done;
} silent;

/* Accept connections and read what comes, never answering, until done. */
static void *silent_main(void *arg)
{
    silent *s = arg;
    int fds[16];
    int count = 0;
    while (!atomic_load(&s->done)) {
        struct pollfd p = {s->listener, POLLIN, 0};
        if (poll(&p, 1, 20) > 0 && count < 16)
            fds[count++] = accept(s->listener, NULL, NULL);
        char sink[4096];
        for (int i = 0; i < count; i++)
            if (fds[i] >= 0)
                (void)recv(fds[i], sink, sizeof(sink), MSG_DONTWAIT);
    }
    for (int i = 0; i < count; i++)
        close(fds[i]);
    return NULL;
}

typedef struct stopper {
    extatus__push_http *client;
    int after_ms;
} stopper;

static void *stopper_main(void *arg)
{
    stopper *s = arg;
    struct timespec t = {0, s->after_ms * 1000000L};
    nanosleep(&t, NULL);
    extatus__push_http_stop(s->client);
    return NULL;
}

static _Atomic bool stop_flag;
static bool stop_check(void *arg)
{
    (void)arg;
    return atomic_load(&stop_flag);
}

static void *flag_main(void *arg)
{
    (void)arg;
    struct timespec t = {0, 300 * 1000000L};
    nanosleep(&t, NULL);
    atomic_store(&stop_flag, true);
    return NULL;
}

static void test_silent_server(void)
{
    silent s;
    memset(&s, 0, sizeof(s));
    s.listener = listen_loopback(&s.port);
    pthread_t thread;
    pthread_create(&thread, NULL, silent_main, &s);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics/job/j", s.port);
    extatus__push_http_request request = {"PUT", url, "text/plain", "a 1\n", 4, false, NULL, 0};
    extatus__push_http_result result;

    /* The total timeout ends it. */
    extatus__push_http_config config = {0};
    config.connect_timeout_ms = 300;
    config.timeout_ms = 700;
    extatus__push_http *client = NULL;
    CHECK(extatus__push_http_new(&client, &config) == EXTATUS_OK, "%s", extatus_error_last());
    double t0 = now_ms();
    int rc = extatus__push_http_send(client, &request, &result);
    double took = now_ms() - t0;
    CHECK(rc == EXTATUS_ERR_SYSTEM && result.failure == EXTATUS__PUSH_HTTP_TIMEOUT,
          "rc %d failure %d", rc, (int)result.failure);
    /* Generous above: a loaded machine runs late; without the timeout it would hang for good. */
    CHECK(took >= 650 && took < 10000, "took %.0f ms for a 700 ms timeout", took);
    CHECK(strstr(extatus_error_last(), url) && strstr(extatus_error_last(), "700 ms"),
          "message '%s'", extatus_error_last());
    printf("silent server: timeout after %.0f ms (limit 700)\n", took);

    /* A stop from another thread ends it long before the timeout. */
    extatus__push_http_free(client);
    config.timeout_ms = 20000;
    CHECK(extatus__push_http_new(&client, &config) == EXTATUS_OK, "%s", extatus_error_last());
    stopper st = {client, 300};
    pthread_t stop_thread;
    pthread_create(&stop_thread, NULL, stopper_main, &st);
    t0 = now_ms();
    rc = extatus__push_http_send(client, &request, &result);
    took = now_ms() - t0;
    pthread_join(stop_thread, NULL);
    CHECK(rc == EXTATUS_ERR_SYSTEM && result.failure == EXTATUS__PUSH_HTTP_STOPPED,
          "rc %d failure %d", rc, (int)result.failure);
    CHECK(took < 1500, "stop took %.0f ms (stop after 300)", took);
    printf("silent server: stopped after %.0f ms (stop sent at 300)\n", took);
    /* Stopped stays stopped until resumed. */
    rc = extatus__push_http_send(client, &request, &result);
    CHECK(result.failure == EXTATUS__PUSH_HTTP_STOPPED, "failure %d", (int)result.failure);
    extatus__push_http_free(client);

    /* The stop callback does the same. */
    config.stopping = stop_check;
    CHECK(extatus__push_http_new(&client, &config) == EXTATUS_OK, "%s", extatus_error_last());
    pthread_create(&stop_thread, NULL, flag_main, NULL);
    t0 = now_ms();
    rc = extatus__push_http_send(client, &request, &result);
    took = now_ms() - t0;
    pthread_join(stop_thread, NULL);
    CHECK(result.failure == EXTATUS__PUSH_HTTP_STOPPED && took < 1500, "failure %d after %.0f ms",
          (int)result.failure, took);
    extatus__push_http_free(client);

    atomic_store(&s.done, true);
    pthread_join(thread, NULL);
    close(s.listener);
}

static void test_refused(void)
{
    int port = 0;
    int fd = listen_loopback(&port);
    close(fd); /* nobody listens there now */
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics/job/j", port);
    extatus__push_http_config config = {0};
    extatus__push_http *client = NULL;
    CHECK(extatus__push_http_new(&client, &config) == EXTATUS_OK, "%s", extatus_error_last());
    extatus__push_http_request request = {"PUT", url, "text/plain", "a 1\n", 4, false, NULL, 0};
    extatus__push_http_result result;
    double t0 = now_ms();
    int rc = extatus__push_http_send(client, &request, &result);
    double took = now_ms() - t0;
    CHECK(rc == EXTATUS_ERR_SYSTEM && result.failure == EXTATUS__PUSH_HTTP_CONNECT &&
              result.status == 0,
          "rc %d failure %d status %ld", rc, (int)result.failure, result.status);
    CHECK(strstr(extatus_error_last(), url), "message '%s'", extatus_error_last());
    CHECK(took < 1500, "refused connection took %.0f ms", took);
    extatus__push_http_free(client);
}

static void test_bad_config(void)
{
    extatus__push_http *client = NULL;
    const char *bad[] = {"NoColonHere"};
    extatus__push_http_config config = {0};
    config.headers = bad;
    config.header_count = 1;
    CHECK(extatus__push_http_new(&client, &config) == EXTATUS_ERR_OPTION && !client,
          "a header without ':' was taken");
    CHECK(strstr(extatus_error_last(), "NoColonHere"), "message '%s'", extatus_error_last());
    const char *split[] = {"X-A: b\r\nX-Injected: c"};
    config.headers = split;
    CHECK(extatus__push_http_new(&client, &config) == EXTATUS_ERR_OPTION && !client,
          "a header with a line break was taken");
    extatus__push_http_config password_only = {0};
    password_only.password = "x";
    CHECK(extatus__push_http_new(&client, &password_only) == EXTATUS_ERR_OPTION,
          "a password without user was taken");
}

int main(void)
{
    test_request_and_answer();
    test_success_and_bearer();
    test_silent_server();
    test_refused();
    test_bad_config();
    extatus_shutdown();
    if (push_test_failures) {
        fprintf(stderr, "http_transport_test: %d failure(s)\n", push_test_failures);
        return 1;
    }
    printf("http_transport_test: all checks passed\n");
    return 0;
}
