/*
 * push_stress_test.c - the pushgateway reporter pushing every 5 ms while
 * threads create and remove series of the pushed family, subscribe and
 * unsubscribe a second family, and another thread pushes once now and
 * then; built under AddressSanitizer and ThreadSanitizer (a leak, an
 * overflow or a race fails the run). The receiver is a loopback HTTP
 * server of the test's own that answers 200 to every request and keeps
 * the last body.
 *
 * Checks: pushes arrived (dozens), none failed, each body the server got
 * is whole text (ends with a newline, holds the pushed family), and
 * removing the reporter and shutting down end in bounded time.
 */
#include "extatus.h"
#include "push_test.h"

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

#define RUN_MS  1500
#define THREADS 3

/* ---- the receiver: a thread per connection, 200 to everything -------------------------- */

static int listener;
static int port;
static _Atomic bool server_done;
static _Atomic int requests;
static _Atomic int bad_bodies;

/* Serve one connection until it closes or the server ends. */
static void *serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    size_t size = 1 << 20;
    char *buf = malloc(size);
    size_t have = 0;
    while (!atomic_load(&server_done)) {
        char *end = memmem(buf, have, "\r\n\r\n", 4);
        if (end) {
            size_t head = (size_t)(end - buf) + 4;
            char saved = buf[head - 1];
            buf[head - 1] = '\0';
            const char *cl = strcasestr(buf, "\r\nContent-Length:");
            buf[head - 1] = saved;
            size_t body = cl ? strtoul(cl + 17, NULL, 10) : 0;
            bool gzip = memmem(buf, head, "Content-Encoding: gzip", 22) != NULL;
            if (have >= head + body) {
                if (body && !gzip &&
                    (buf[head + body - 1] != '\n' || !memmem(buf + head, body, "churn", 5)))
                    atomic_fetch_add(&bad_bodies, 1);
                atomic_fetch_add(&requests, 1);
                const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
                if (write(fd, ok, sizeof(ok) - 1) < 0)
                    break;
                memmove(buf, buf + head + body, have - head - body);
                have -= head + body;
                continue;
            }
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t n = read(fd, buf + have, size - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    free(buf);
    close(fd);
    return NULL;
}

static void *server_main(void *arg)
{
    (void)arg;
    pthread_t connections[256];
    int count = 0;
    while (!atomic_load(&server_done)) {
        struct pollfd p = {listener, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        if (count == 256) {
            close(fd);
            continue;
        }
        pthread_create(&connections[count++], NULL, serve, (void *)(intptr_t)fd);
    }
    for (int i = 0; i < count; i++)
        pthread_join(connections[i], NULL);
    return NULL;
}

/* ---- churn ------------------------------------------------------------------------ */

static _Atomic bool churn_done;
static extatus_family *churn;

static void *churn_main(void *arg)
{
    long id = (long)(intptr_t)arg;
    char value[32];
    for (unsigned long i = 0; !atomic_load(&churn_done); i++) {
        snprintf(value, sizeof(value), "t%ld_%lu", id, i % 50);
        extatus_gauge *g = NULL;
        if (extatus_gauge_get(&g, churn, EXTATUS_LABELS(value)) == EXTATUS_OK)
            extatus_gauge_set(g, (double)i);
        if (i % 3 == 0)
            (void)extatus_family_remove(churn, EXTATUS_LABELS(value));
    }
    return NULL;
}

static void *subscriber_main(void *arg)
{
    (void)arg;
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "extatus_push_sent_total";
    sub.interval_ms = 5;
    while (!atomic_load(&churn_done)) {
        (void)extatus_subscribe("stress", &sub);
        sleep_ms(3);
        (void)extatus_unsubscribe("stress", &sub);
        sleep_ms(3);
    }
    return NULL;
}

static char url[64];
static _Atomic int once_failures;

static void *once_main(void *arg)
{
    (void)arg;
    extatus_push_options push = EXTATUS_PUSH_OPTIONS_INIT;
    push.url = url;
    push.job = "once";
    push.gzip = 1;
    while (!atomic_load(&churn_done)) {
        if (extatus_push_once(&push) != EXTATUS_OK)
            atomic_fetch_add(&once_failures, 1);
        sleep_ms(20);
    }
    return NULL;
}

int main(void)
{
    listener = listen_loopback(&port);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    pthread_t server;
    pthread_create(&server, NULL, server_main, NULL);

    const char *labels[] = {"id"};
    extatus_option family_options[] = {EXTATUS_OPT_STRING("help", "Churned."),
                                       EXTATUS_OPT_STRINGS("labels", labels, 1)};
    if (extatus_family_new(&churn, NULL, "churn", "gauge", family_options, 2) != EXTATUS_OK) {
        fprintf(stderr, "%s\n", extatus_error_last());
        return 2;
    }
    const char *grouping[] = {"instance=stress"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("url", url),
        EXTATUS_OPT_STRING("job", "stress"),
        EXTATUS_OPT_STRINGS("grouping", grouping, 1),
        EXTATUS_OPT_NUMBER("gzip", 0),
    };
    int rc = extatus_reporter_add("stress", extatus_reporter_pushgateway(), options, 4);
    CHECK(rc == EXTATUS_OK, "reporter: %s", extatus_error_last());
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "churn";
    sub.interval_ms = 5;
    rc = extatus_subscribe("stress", &sub);
    CHECK(rc == EXTATUS_OK, "subscribe: %s", extatus_error_last());

    pthread_t threads[THREADS + 2];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&threads[i], NULL, churn_main, (void *)(intptr_t)i);
    pthread_create(&threads[THREADS], NULL, subscriber_main, NULL);
    pthread_create(&threads[THREADS + 1], NULL, once_main, NULL);
    sleep_ms(RUN_MS);
    /* A loaded machine (sanitizers, parallel tests) gets more time, not a failure. */
    for (int waited = 0; waited < 30000; waited += 50) {
        extatus_reporter_status so_far;
        if (atomic_load(&requests) >= 20 &&
            extatus_reporter_get_status("stress", &so_far) == EXTATUS_OK && so_far.reports >= 10)
            break;
        sleep_ms(50);
    }
    atomic_store(&churn_done, true);
    for (int i = 0; i < THREADS + 2; i++)
        pthread_join(threads[i], NULL);

    extatus_reporter_status status;
    CHECK(extatus_reporter_get_status("stress", &status) == EXTATUS_OK, "status");
    double t0 = now_ms();
    CHECK(extatus_reporter_remove("stress") == EXTATUS_OK, "remove");
    double removed = now_ms() - t0;
    extatus_shutdown();
    atomic_store(&server_done, true);
    pthread_join(server, NULL);
    close(listener);

    printf("push_stress: %d requests, reporter: %llu reports, %llu failures; %d once failures; "
           "removed in %.0f ms\n",
           atomic_load(&requests), (unsigned long long)status.reports,
           (unsigned long long)status.failures, atomic_load(&once_failures), removed);
    CHECK(atomic_load(&requests) >= 20, "only %d requests arrived", atomic_load(&requests));
    CHECK(status.reports >= 10, "only %llu reports", (unsigned long long)status.reports);
    CHECK(status.failures == 0, "%llu failed pushes (last error %d)",
          (unsigned long long)status.failures, status.last_error);
    CHECK(atomic_load(&once_failures) == 0, "%d one-call pushes failed",
          atomic_load(&once_failures));
    CHECK(atomic_load(&bad_bodies) == 0, "%d bodies were cut or lacked the family",
          atomic_load(&bad_bodies));
    CHECK(removed < 2000, "removal took %.0f ms", removed);
    if (push_test_failures)
        return 1;
    printf("push_stress: ok\n");
    return 0;
}
