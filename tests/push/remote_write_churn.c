/*
 * remote_write_churn.c - the remote write reporter (two shards)
 * delivering every 5 ms while threads create and remove series of the
 * reported family (each removal a stale marker) and subscribe and
 * unsubscribe a second family; built under AddressSanitizer and
 * ThreadSanitizer too (a leak, an overflow or a race fails the run).
 *
 * The receiver is one loopback thread of the test's own that polls every
 * connection, checks each body is a valid snappy block of a protobuf
 * message that names the churned family, and answers 204.
 *
 * Checks: requests arrived, every body valid, samples sent, stale markers
 * queued, nothing rejected, removal of the reporter bounded.
 */
#include "extatus.h"
#include "extatus/remote_write.h"
#include "push_test.h"

#include <poll.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

#define RUN_MS        1500
#define CHURNERS      2
#define MAX_CLIENTS   8
#define CLIENT_BUFFER (4 << 20)

static int listener;
static int port;
static _Atomic bool receiver_done;
static _Atomic int bodies;
static _Atomic int bad_bodies;

typedef struct client {
    int fd;      /* -1: free */
    char *buf;   /* bytes read and not yet answered */
    size_t have; /* bytes in buf */
} client;

/* Answer every whole request in c's buffer; false when the connection must close. */
static bool answer_requests(client *c)
{
    for (;;) {
        char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
        if (!end)
            return true;
        size_t head = (size_t)(end - c->buf) + 4;
        const char *length = memmem(c->buf, head, "Content-Length:", 15);
        size_t body = length ? strtoul(length + 15, NULL, 10) : 0;
        if (c->have < head + body)
            return head + body <= CLIENT_BUFFER;
        const char *compressed = c->buf + head;
        size_t plain = 0;
        char *raw = NULL;
        bool good = snappy_validate_compressed_buffer(compressed, body) == SNAPPY_OK &&
                    snappy_uncompressed_length(compressed, body, &plain) == SNAPPY_OK &&
                    (raw = malloc(plain + 1)) != NULL &&
                    snappy_uncompress(compressed, body, raw, &plain) == SNAPPY_OK && plain > 2 &&
                    raw[0] == 0x0a && /* field 1, length-delimited: a series */
                    (memmem(raw, plain, "rw_churn", 8) || memmem(raw, plain, "rw_flip", 7));
        free(raw);
        atomic_fetch_add(&bodies, 1);
        if (!good)
            atomic_fetch_add(&bad_bodies, 1);
        static const char reply[] = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
        if (write(c->fd, reply, sizeof(reply) - 1) < 0)
            return false;
        memmove(c->buf, c->buf + head + body, c->have - head - body);
        c->have -= head + body;
    }
}

static void *receiver_main(void *arg)
{
    (void)arg;
    client clients[MAX_CLIENTS];
    for (int i = 0; i < MAX_CLIENTS; i++)
        clients[i] = (client){-1, NULL, 0};
    while (!atomic_load(&receiver_done)) {
        struct pollfd p[MAX_CLIENTS + 1];
        p[0] = (struct pollfd){listener, POLLIN, 0};
        for (int i = 0; i < MAX_CLIENTS; i++)
            p[i + 1] = (struct pollfd){clients[i].fd, POLLIN, 0};
        if (poll(p, MAX_CLIENTS + 1, 20) <= 0)
            continue;
        if (p[0].revents & POLLIN) {
            int fd = accept(listener, NULL, NULL);
            for (int i = 0; fd >= 0 && i < MAX_CLIENTS; i++)
                if (clients[i].fd < 0) {
                    clients[i] = (client){fd, malloc(CLIENT_BUFFER), 0};
                    fd = -1;
                }
            if (fd >= 0)
                close(fd);
        }
        for (int i = 0; i < MAX_CLIENTS; i++) {
            client *c = &clients[i];
            if (c->fd < 0 || !(p[i + 1].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t n = read(c->fd, c->buf + c->have, CLIENT_BUFFER - c->have);
            if (n <= 0 || !answer_requests((c->have += (size_t)n, c))) {
                close(c->fd);
                free(c->buf);
                *c = (client){-1, NULL, 0};
            }
        }
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        if (clients[i].fd >= 0) {
            close(clients[i].fd);
            free(clients[i].buf);
        }
    return NULL;
}

static _Atomic bool churn_done;
static extatus_family *churned;

/*
 * Create and remove series of rw_churn: every removal is a series that
 * disappeared. Each thread owns its own names (a removed series' handle
 * must not be used by another thread).
 */
static void *churn_main(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    char name[32];
    while (!atomic_load(&churn_done)) {
        snprintf(name, sizeof(name), "t%u_s%u", (unsigned)(uintptr_t)arg, rand_r(&seed) % 20);
        extatus_gauge *g = NULL;
        if (extatus_gauge_get(&g, churned, EXTATUS_LABELS(name)) == EXTATUS_OK)
            extatus_gauge_set(g, (double)(rand_r(&seed) % 1000));
        if (rand_r(&seed) % 3 == 0)
            extatus_family_remove(churned, EXTATUS_LABELS(name));
        sleep_ms(1);
    }
    return NULL;
}

/* Subscribe and unsubscribe rw_flip again and again (unsubscribe ends its series). */
static void *flip_main(void *arg)
{
    (void)arg;
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "rw_flip";
    sub.interval_ms = 5;
    while (!atomic_load(&churn_done)) {
        extatus_subscribe("rw", &sub);
        sleep_ms(20);
        extatus_unsubscribe("rw", &sub);
        sleep_ms(5);
    }
    return NULL;
}

int main(void)
{
    extatus_process_collector_set_default(0);
    listener = listen_loopback(&port);
    pthread_t receiver;
    pthread_create(&receiver, NULL, receiver_main, NULL);

    const char *id[] = {"id"};
    extatus_option labelled[] = {EXTATUS_OPT_STRINGS("labels", id, 1)};
    CHECK(extatus_family_new(&churned, NULL, "rw_churn", "gauge", labelled, 1) == EXTATUS_OK, "%s",
          extatus_error_last());
    extatus_gauge *flip = NULL;
    CHECK(extatus_gauge_new(&flip, NULL, "rw_flip", "Flips.") == EXTATUS_OK, "%s",
          extatus_error_last());
    extatus_gauge_set(flip, 1);

    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/write", port);
    static const char *const external[] = {"job=churn"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("url", url),
        EXTATUS_OPT_NUMBER("shards", 2),
        EXTATUS_OPT_NUMBER("batch_deadline_ms", 2),
        EXTATUS_OPT_NUMBER("max_samples_per_send", 50),
        EXTATUS_OPT_STRINGS("external_labels", external, 1),
    };
    CHECK(extatus_remote_write_add("rw", options, 5) == EXTATUS_OK, "%s", extatus_error_last());
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.metric = "rw_churn";
    sub.interval_ms = 5;
    CHECK(extatus_subscribe("rw", &sub) == EXTATUS_OK, "%s", extatus_error_last());

    pthread_t churners[CHURNERS];
    pthread_t flipper;
    for (uintptr_t i = 0; i < CHURNERS; i++)
        pthread_create(&churners[i], NULL, churn_main, (void *)(i + 1));
    pthread_create(&flipper, NULL, flip_main, NULL);
    sleep_ms(RUN_MS);
    atomic_store(&churn_done, true);
    for (int i = 0; i < CHURNERS; i++)
        pthread_join(churners[i], NULL);
    pthread_join(flipper, NULL);

    double start = now_ms();
    CHECK(extatus_reporter_remove("rw") == EXTATUS_OK, "%s", extatus_error_last());
    double removal = now_ms() - start;
    extatus_remote_write_stats s;
    CHECK(extatus_remote_write_get_stats("rw", &s) == EXTATUS_OK, "stats");
    atomic_store(&receiver_done, true);
    pthread_join(receiver, NULL);
    close(listener);
    extatus_shutdown();

    printf(
        "remote write churn: %d bodies, %llu samples sent, %llu stale markers, removal %.0f ms\n",
        atomic_load(&bodies), (unsigned long long)s.samples_sent,
        (unsigned long long)s.stale_markers, removal);
    CHECK(atomic_load(&bodies) >= 10, "only %d requests arrived", atomic_load(&bodies));
    CHECK(atomic_load(&bad_bodies) == 0, "%d bodies were not snappy protobuf of the family",
          atomic_load(&bad_bodies));
    CHECK(s.samples_sent > 0, "nothing sent: %s", s.last_error);
    CHECK(s.stale_markers > 0, "no stale marker for removed series");
    CHECK(s.dropped_rejected == 0 && s.dropped_invalid == 0, "dropped: %llu rejected, %llu invalid",
          (unsigned long long)s.dropped_rejected, (unsigned long long)s.dropped_invalid);
    CHECK(removal < 3000, "removal took %.0f ms", removal);
    return push_test_failures ? 1 : 0;
}
