/*
 * tsan_events_test.c - GET /events under ThreadSanitizer (halt_on_error):
 * clients open event streams, read a little and hang up, again and again,
 * while workers come and go every few polls, and the exporter is stopped
 * with streams still open. Suspending and resuming streams, the watcher
 * thread and the handler's publication all run at once; any data race
 * fails the test. Each stream must start with `event: connected` and
 * carry events.
 */
#include <extatus.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS    3
#define RUN_MS     1500
#define WORKER_MAX 4

static atomic_int failures;
static atomic_int done;
static atomic_int streams_with_events;
static unsigned port;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Open GET /events; returns the socket or -1. */
static int open_stream(void)
{
    static const char request[] = "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n";
    struct sockaddr_in address;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0 ||
        write(fd, request, sizeof(request) - 1) != (ssize_t)(sizeof(request) - 1)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read from a stream for `ms`; returns what was read (NUL-terminated, truncated). */
static size_t read_for(int fd, long ms, char *text, size_t size)
{
    size_t used = 0;
    int64_t until = now_ms() + ms;
    while (now_ms() < until && used + 1 < size) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 20) != 1)
            continue;
        ssize_t got = read(fd, text + used, size - used - 1);
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    text[used] = '\0';
    return used;
}

static void *client(void *arg)
{
    static __thread char text[65536];
    (void)arg;
    while (!atomic_load(&done)) {
        int fd = open_stream();
        if (fd < 0) {
            fprintf(stderr, "client: cannot connect\n");
            atomic_fetch_add(&failures, 1);
            return NULL;
        }
        read_for(fd, 150, text, sizeof(text));
        if (!strstr(text, "event: connected")) {
            fprintf(stderr, "client: no connected event in: %.200s\n", text);
            atomic_fetch_add(&failures, 1);
        }
        if (strstr(text, "data: {\"name\":"))
            atomic_fetch_add(&streams_with_events, 1);
        close(fd);
    }
    return NULL;
}

static const char *name_of(void *state)
{
    return state;
}

static const extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, name_of, NULL};

/* Workers that answer, then go, then come back. */
static void *churn(void *arg)
{
    static char names[WORKER_MAX][16];
    extatus_worker *workers[WORKER_MAX] = {NULL};
    (void)arg;
    for (int i = 0; i < WORKER_MAX; i++)
        snprintf(names[i], sizeof(names[i]), "churn%d", i);
    for (long round = 0; !atomic_load(&done); round++) {
        int i = (int)(round % WORKER_MAX);
        if (workers[i]) {
            extatus_process_deregister(workers[i], EXTATUS_REASON_NORMAL);
            workers[i] = NULL;
        } else if (extatus_process_register(&workers[i], &ops, names[i], NULL) != EXTATUS_OK) {
            fprintf(stderr, "churn: %s\n", extatus_error_last());
            atomic_fetch_add(&failures, 1);
        }
        for (int k = 0; k < 5; k++) {
            for (int w = 0; w < WORKER_MAX; w++) {
                extatus_worker_checkpoint(workers[w]);
                if (workers[w]) { /* a status text published while streams format it */
                    char text[48];
                    snprintf(text, sizeof(text), "round %ld step %d", round, k);
                    if (extatus_worker_set_status_text(workers[w], text) != EXTATUS_OK)
                        atomic_fetch_add(&failures, 1);
                }
            }
            sleep_ms(5);
        }
    }
    for (int i = 0; i < WORKER_MAX; i++)
        if (workers[i])
            extatus_process_deregister(workers[i], EXTATUS_REASON_SHUTDOWN);
    return NULL;
}

int main(void)
{
    extatus_process_options process = EXTATUS_PROCESS_OPTIONS_INIT;
    extatus_exporter_options http = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter;
    pthread_t clients[CLIENTS], churner;
    char text[4096];

    process.timeout_ms = 20;
    process.retention_ms = 100;
    http.port = 0;
    http.bind_address = "127.0.0.1";
    http.connection_timeout = 1; /* keepalives every 500 ms */
    if (extatus_process_start(&process) != EXTATUS_OK ||
        extatus_exporter_start(&exporter, &http) != EXTATUS_OK) {
        fprintf(stderr, "set-up: %s\n", extatus_error_last());
        return 1;
    }
    port = extatus_exporter_port(exporter);

    /* No worker yet, so nothing to say: the stream must carry a keepalive. */
    int quiet = open_stream();
    size_t got = quiet >= 0 ? read_for(quiet, 800, text, sizeof(text)) : 0;
    if (got == 0 || !strstr(text, ": keepalive")) {
        fprintf(stderr, "no keepalive on a quiet stream within 800 ms: %.300s\n", text);
        atomic_fetch_add(&failures, 1);
    }

    pthread_create(&churner, NULL, churn, NULL);
    for (int i = 0; i < CLIENTS; i++)
        pthread_create(&clients[i], NULL, client, NULL);

    sleep_ms(RUN_MS);
    atomic_store(&done, 1);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(clients[i], NULL);
    pthread_join(churner, NULL);

    /* Stop the exporter with a stream open: it must end, not hang. */
    int last = open_stream();
    read_for(last, 100, text, sizeof(text));
    extatus_exporter_stop(exporter);
    got = read_for(last, 2000, text, sizeof(text));
    (void)got;
    if (last >= 0)
        close(last);
    if (quiet >= 0)
        close(quiet);
    extatus_process_stop();
    extatus_shutdown();

    if (atomic_load(&streams_with_events) == 0) {
        fprintf(stderr, "no stream carried an event\n");
        return 1;
    }
    printf("tsan_events: %d streams carried events, %d failures\n",
           atomic_load(&streams_with_events), atomic_load(&failures));
    return atomic_load(&failures) == 0 ? 0 : 1;
}
