/*
 * attack_test.c - the exporter under attack from a raw socket, one case
 * per run (`http_attack_test CASE`):
 *
 *   flood     300 slow-header clients (a byte every 2 s) and 300 idle
 *             keep-alive clients, reconnecting whenever closed, for 16 s;
 *             a scrape every second must answer in under 1 s, every time;
 *             then a burst of 2,000 plain connections, and scrapes again;
 *   churn     the flood's clients for 4 s, scrapes without timing bounds (for
 *             the sanitizer builds);
 *   slow      a head trickled byte by byte gets 408 after the head deadline;
 *   smuggling each ambiguous framing gets exactly one answer (400, or 501
 *             for an unknown coding) and the connection closes;
 *   nul       a NUL in the target, raw or %00, gets 400, also where
 *             extra spaces separate the parts; only exact paths are served;
 *   auth      `user:pass\0junk` and near misses are refused;
 *   events    32 stalled /events streams with 10,000 workers stay within
 *             a fixed memory budget; a closed stream frees its slot at once.
 */
#include <extatus.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void loopback(struct sockaddr_in *address, unsigned port)
{
    memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_port = htons((uint16_t)port);
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* A blocking connection with a 5 s receive timeout, or -1. */
static int connect_to(unsigned port)
{
    struct sockaddr_in address;
    struct timeval timeout = {5, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    loopback(&address, port);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A non-blocking connection being made (attackers never wait), or -1. */
static int connect_nonblocking(unsigned port)
{
    struct sockaddr_in address;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    loopback(&address, port);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Send `request` and read until the server closes (or 5 s of silence);
 * returns the bytes (NUL-terminated, malloc'ed), *closed tells whether it
 * closed.
 */
static char *exchange(unsigned port, const char *request, size_t size, bool *closed)
{
    size_t capacity = 1 << 20;
    size_t used = 0;
    char *text = calloc(1, capacity + 1);
    int fd = connect_to(port);
    *closed = false;
    if (fd < 0)
        return text;
    send(fd, request, size, MSG_NOSIGNAL);
    for (;;) {
        ssize_t n = recv(fd, text + used, capacity - used, 0);
        if (n == 0)
            *closed = true;
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == capacity)
            break;
    }
    close(fd);
    text[used] = '\0';
    return text;
}

/* Status lines in an answer ("HTTP/1.1 " at the start of a line). */
static int count_answers(const char *text)
{
    int count = 0;
    for (const char *p = text; (p = strstr(p, "HTTP/1.1 ")) != NULL; p++)
        if (p == text || p[-1] == '\n')
            count++;
    return count;
}

static int status_of(const char *text)
{
    int code = 0;
    sscanf(text, "HTTP/1.1 %d", &code);
    return code;
}

/* GET /metrics on a new connection: seconds to the whole answer, or -1 when it failed. */
static double scrape(unsigned port)
{
    static const char request[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    double start = now_seconds();
    bool closed;
    char *answer = exchange(port, request, sizeof request - 1, &closed);
    double took = now_seconds() - start;
    bool ok = closed && status_of(answer) == 200 && strstr(answer, "extatus_") != NULL;
    free(answer);
    return ok ? took : -1;
}

static extatus_exporter *start_exporter(const char *user, const char *password)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter = NULL;
    options.port = 0;
    options.bind_address = "127.0.0.1";
    options.basic_auth_user = user;
    options.basic_auth_password = password;
    if (extatus_exporter_start(&exporter, &options) != EXTATUS_OK) {
        fprintf(stderr, "cannot start the exporter: %s\n", extatus_error_last());
        exit(1);
    }
    return exporter;
}

/* The value of an unlabelled self-metric counter in the default registry; -1: absent. */
static double self_counter(const char *name)
{
    extatus_scrape out = EXTATUS_SCRAPE_INIT;
    char prefix[128];
    double value = -1;
    snprintf(prefix, sizeof prefix, "\n%s ", name);
    if (extatus_scrape_render(&out, NULL, NULL, NULL) == EXTATUS_OK && out.body.ptr) {
        const char *line = strstr(out.body.ptr, prefix);
        if (line)
            value = strtod(line + strlen(prefix), NULL);
    }
    extatus_scrape_dispose(&out);
    return value;
}

/* ---- flood -------------------------------------------------------------- */

#define SLOW_CLIENTS   300
#define IDLE_CLIENTS   300
#define ATTACK_SECONDS 16
#define BURST          2000

typedef struct attacker {
    unsigned port;
    atomic_bool stop;
    unsigned long reconnects;
} attacker;

/* Slow clients trickle a head that never ends; idle ones ask once and then wait. */
static void *attack(void *arg)
{
    static const char slow_head[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    static const char idle_request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    attacker *a = arg;
    int fds[SLOW_CLIENTS + IDLE_CLIENTS];
    size_t sent[SLOW_CLIENTS + IDLE_CLIENTS];
    double next_byte[SLOW_CLIENTS + IDLE_CLIENTS];
    char sink[65536];
    for (int i = 0; i < SLOW_CLIENTS + IDLE_CLIENTS; i++)
        fds[i] = -1;
    while (!a->stop) {
        double now = now_seconds();
        for (int i = 0; i < SLOW_CLIENTS + IDLE_CLIENTS; i++) {
            bool slow = i < SLOW_CLIENTS;
            if (fds[i] < 0) {
                fds[i] = connect_nonblocking(a->port);
                sent[i] = 0;
                next_byte[i] = now + (double)(i % 20) / 10.0;
                a->reconnects++;
                continue;
            }
            ssize_t n = recv(fds[i], sink, sizeof sink, MSG_DONTWAIT);
            bool gone =
                n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN);
            if (!gone && slow && now >= next_byte[i]) {
                char byte = sent[i] < sizeof slow_head - 1 ? slow_head[sent[i]] : 'a';
                if (send(fds[i], &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
                    sent[i]++;
                    next_byte[i] = now + 2.0;
                } else if (errno != EAGAIN && errno != ENOTCONN) {
                    gone = true;
                }
            }
            if (!gone && !slow && sent[i] == 0 &&
                send(fds[i], idle_request, sizeof idle_request - 1, MSG_NOSIGNAL | MSG_DONTWAIT) ==
                    (ssize_t)(sizeof idle_request - 1))
                sent[i] = 1;
            if (gone) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
        usleep(100000);
    }
    for (int i = 0; i < SLOW_CLIENTS + IDLE_CLIENTS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return NULL;
}

static void test_flood(void)
{
    extatus_exporter *exporter = start_exporter(NULL, NULL);
    unsigned port = extatus_exporter_port(exporter);
    attacker a = {.port = port};
    pthread_t thread;
    double worst = 0;
    int failed = 0;
    int scrapes = 0;

    pthread_create(&thread, NULL, attack, &a);
    sleep(2); /* every attacker connected */
    double end = now_seconds() + ATTACK_SECONDS;
    while (now_seconds() < end) {
        double took = scrape(port);
        scrapes++;
        if (took < 0 || took >= 1.0)
            failed++;
        if (took < 0 || took > worst)
            worst = took < 0 ? 99 : took;
        usleep(1000000);
    }
    a.stop = true;
    pthread_join(thread, NULL);
    printf("slow+idle flood: %d scrapes, %d failed or slower than 1 s, slowest %.3f s, %lu "
           "attacker connections\n",
           scrapes, failed, worst, a.reconnects);
    CHECK(failed == 0, "%d of %d scrapes failed or took 1 s or more (slowest %.3f s)", failed,
          scrapes, worst);

    /* A burst of plain connections that say nothing, held open. */
    int *burst = malloc(BURST * sizeof *burst);
    for (int i = 0; i < BURST; i++)
        burst[i] = connect_nonblocking(port);
    usleep(500000);
    worst = 0;
    failed = 0;
    for (int i = 0; i < 5; i++) {
        double took = scrape(port);
        if (took < 0 || took >= 1.0)
            failed++;
        if (took < 0 || took > worst)
            worst = took < 0 ? 99 : took;
        usleep(200000);
    }
    printf("after a burst of %d connections: slowest of 5 scrapes %.3f s\n", BURST, worst);
    CHECK(failed == 0, "%d of 5 scrapes after the burst failed or took 1 s or more", failed);
    for (int i = 0; i < BURST; i++)
        if (burst[i] >= 0)
            close(burst[i]);
    free(burst);

    /* The defences are counted. */
    extatus_scrape out = EXTATUS_SCRAPE_INIT;
    CHECK(extatus_scrape_render(&out, NULL, NULL, NULL) == EXTATUS_OK, "render");
    CHECK(out.body.ptr && strstr(out.body.ptr, "extatus_http_connections_evicted_total ") &&
              !strstr(out.body.ptr, "extatus_http_connections_evicted_total 0\n"),
          "no eviction counted");
    extatus_scrape_dispose(&out);
    extatus_exporter_stop(exporter);
}

/*
 * The flood's clients for a few seconds with scrapes all along, without
 * timing bounds: for the sanitizer builds, where the guard's eviction and
 * deadline thread race the server threads.
 */
static void test_churn(void)
{
    extatus_exporter *exporter = start_exporter(NULL, NULL);
    unsigned port = extatus_exporter_port(exporter);
    attacker a = {.port = port};
    pthread_t thread;
    int failed = 0;
    pthread_create(&thread, NULL, attack, &a);
    for (int i = 0; i < 8; i++) {
        usleep(500000);
        if (scrape(port) < 0)
            failed++;
    }
    a.stop = true;
    pthread_join(thread, NULL);
    printf("churn: %d of 8 scrapes failed, %lu attacker connections\n", failed, a.reconnects);
    CHECK(failed == 0, "%d of 8 scrapes failed during the churn", failed);
    extatus_exporter_stop(exporter);
}

/*
 * One client trickling a head, a byte every 500 ms: the head deadline
 * (5 s from accept) answers 408 and closes, whatever bytes keep coming.
 */
static void test_slow(void)
{
    static const char head[] =
        "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    extatus_exporter *exporter = start_exporter(NULL, NULL);
    unsigned port = extatus_exporter_port(exporter);
    char answer[1024] = {0};
    size_t used = 0;
    int fd = connect_to(port);
    double start = now_seconds();
    bool closed = false;
    for (size_t i = 0; i < sizeof head - 1 && !closed; i++) {
        if (send(fd, head + i, 1, MSG_NOSIGNAL) != 1)
            break;
        struct pollfd ready = {fd, POLLIN, 0};
        if (poll(&ready, 1, 500) == 1) {
            ssize_t n = recv(fd, answer + used, sizeof answer - 1 - used, 0);
            if (n <= 0)
                closed = true;
            else
                used += (size_t)n;
        }
    }
    while (!closed && used < sizeof answer - 1) {
        ssize_t n = recv(fd, answer + used, sizeof answer - 1 - used, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    double took = now_seconds() - start;
    close(fd);
    printf("slow head: answered %d after %.2f s\n", status_of(answer), took);
    CHECK(status_of(answer) == 408, "a slow head got %d, expected 408", status_of(answer));
    CHECK(took > 4.0 && took < 9.0, "the slow head was closed after %.2f s, expected about 5 s",
          took);
    extatus_scrape out = EXTATUS_SCRAPE_INIT;
    CHECK(extatus_scrape_render(&out, NULL, NULL, NULL) == EXTATUS_OK, "render");
    CHECK(out.body.ptr && strstr(out.body.ptr, "extatus_http_request_head_timeouts_total 1\n"),
          "the head timeout is not counted");
    extatus_scrape_dispose(&out);
    extatus_exporter_stop(exporter);
}

/* ---- smuggling ---------------------------------------------------------- */

typedef struct shape {
    const char *name;
    const char *head; /* between the request line and the end of the head */
    const char *body; /* what follows the head */
    int status;
} shape;

static void test_smuggling(void)
{
    static const char second[] = "GET /nothere HTTP/1.1\r\nHost: x\r\n\r\n";
    static const shape shapes[] = {
        {"Content-Length then Transfer-Encoding",
         "Content-Length: 34\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", 400},
        {"Transfer-Encoding then Content-Length",
         "Transfer-Encoding: chunked\r\nContent-Length: 34\r\n", "0\r\n\r\n", 400},
        {"two different Content-Length", "Content-Length: 0\r\nContent-Length: 34\r\n", "", 400},
        {"two equal Content-Length", "Content-Length: 34\r\nContent-Length: 34\r\n", "", 400},
        {"space before the colon", "Content-Length : 34\r\n", "", 400},
        {"tab before the colon", "Content-Length\t: 34\r\n", "", 400},
        {"unknown transfer coding", "Transfer-Encoding: gzip\r\n", "", 501},
        {"unknown coding before chunked", "Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n", 501},
        {"chunked not last", "Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n", 400},
        {"chunked not last, two lines", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
         "0\r\n\r\n", 400},
        {"duplicate Host", "Host: y\r\n", "", 400},
    };
    extatus_exporter *exporter = start_exporter(NULL, NULL);
    unsigned port = extatus_exporter_port(exporter);
    char request[1024];

    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        bool closed;
        int n = snprintf(request, sizeof request, "GET /metrics HTTP/1.1\r\nHost: x\r\n%s\r\n%s%s",
                         shapes[i].head, shapes[i].body, second);
        char *answer = exchange(port, request, (size_t)n, &closed);
        CHECK(status_of(answer) == shapes[i].status, "%s: status %d, expected %d", shapes[i].name,
              status_of(answer), shapes[i].status);
        CHECK(count_answers(answer) == 1, "%s: %d answers, expected 1", shapes[i].name,
              count_answers(answer));
        CHECK(strstr(answer, "Connection: close") != NULL, "%s: no Connection: close",
              shapes[i].name);
        CHECK(closed, "%s: the connection stayed open", shapes[i].name);
        free(answer);
    }
    /* Sound framing keeps working: a chunked GET, then a second request on the same connection. */
    bool closed;
    int n = snprintf(request, sizeof request,
                     "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "3\r\nabc\r\n0\r\n\r\nGET /nothere HTTP/1.1\r\nHost: x\r\nConnection: "
                     "close\r\n\r\n");
    char *answer = exchange(port, request, (size_t)n, &closed);
    CHECK(status_of(answer) == 200 && count_answers(answer) == 2 &&
              strstr(answer, "HTTP/1.1 404") != NULL,
          "a sound chunked request and its follower: %.60s", answer);
    free(answer);
    extatus_exporter_stop(exporter);
}

/* ---- NUL in the target -------------------------------------------------- */

static int get_status(unsigned port, const char *target, size_t target_size)
{
    char request[512];
    bool closed;
    int n = snprintf(request, sizeof request, "GET ");
    memcpy(request + n, target, target_size);
    n += (int)target_size;
    n += snprintf(request + n, sizeof request - (size_t)n,
                  " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    char *answer = exchange(port, request, (size_t)n, &closed);
    int status = status_of(answer);
    free(answer);
    return status;
}

#define TARGET(text) text, sizeof(text) - 1

static void test_nul(void)
{
    extatus_exporter *exporter = start_exporter(NULL, NULL);
    unsigned port = extatus_exporter_port(exporter);
    struct {
        const char *target;
        size_t size;
        int status;
    } cases[] = {
        {TARGET("/metrics%00.html"), 400},
        {TARGET("/metrics\0junk"), 400},
        {TARGET("/metrics\0"), 400},
        {TARGET("/events%00"), 400},
        {TARGET("/%00"), 400},
        {TARGET("/metrics?x=%00"), 400},
        {TARGET("\0/metrics"), 400},
        {TARGET(" /metrics\0"), 400},
        {TARGET("  /metrics\0x"), 400},
        {TARGET("/metrics%2500"), 404},
        {TARGET("/metrics/"), 404},
        {TARGET("/metricsx"), 404},
        {TARGET("/metrics"), 200},
        {TARGET("/metrics?x=1"), 200},
        {TARGET("/%6detrics"), 200},
        {TARGET(" /metrics"), 200}, /* extra spaces are a separator (RFC 9112, 3) */
        {TARGET("  /metrics"), 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = get_status(port, cases[i].target, cases[i].size);
        CHECK(status == cases[i].status, "target %zu (%s...): %d, expected %d", i, cases[i].target,
              status, cases[i].status);
    }
    extatus_exporter_stop(exporter);
}

/* ---- basic auth --------------------------------------------------------- */

static void base64(const unsigned char *in, size_t size, char *out)
{
    static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < size; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < size ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < size ? in[i + 2] : 0);
        out[o++] = digits[v >> 18 & 63];
        out[o++] = digits[v >> 12 & 63];
        out[o++] = i + 1 < size ? digits[v >> 6 & 63] : '=';
        out[o++] = i + 2 < size ? digits[v & 63] : '=';
    }
    out[o] = '\0';
}

static int auth_status(unsigned port, const char *credentials, size_t size)
{
    char encoded[256];
    char request[512];
    bool closed;
    base64((const unsigned char *)credentials, size, encoded);
    int n = snprintf(request, sizeof request,
                     "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n"
                     "Connection: close\r\n\r\n",
                     encoded);
    char *answer = exchange(port, request, (size_t)n, &closed);
    int status = status_of(answer);
    free(answer);
    return status;
}

static void test_auth(void)
{
    extatus_exporter *exporter = start_exporter("user", "pass");
    unsigned port = extatus_exporter_port(exporter);
    struct {
        const char *credentials;
        size_t size;
        int status;
    } cases[] = {
        {TARGET("user:pass"), 200},   {TARGET("user:pass\0junk"), 401},
        {TARGET("user:pass\0"), 401}, {TARGET("user\0:pass"), 401},
        {TARGET("user:pas"), 401},    {TARGET("user:passx"), 401},
        {TARGET("use:pass"), 401},    {TARGET("user:"), 401},
        {TARGET(":pass"), 401},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status = auth_status(port, cases[i].credentials, cases[i].size);
        CHECK(status == cases[i].status, "credentials %zu: %d, expected %d", i, status,
              cases[i].status);
    }
    extatus_exporter_stop(exporter);
}

/* ---- /events ------------------------------------------------------------ */

#define WORKERS 10000
#define STALLED 32

static const char *worker_name(void *state)
{
    return state;
}

static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

/*
 * Open a stream and read at least its head; the socket, or -1. What was
 * read is left in answer[0..*used) when `answer` is given.
 */
static int open_stream_reading(unsigned port, int *status, char *answer, size_t size,
                               size_t *used_out)
{
    static const char request[] = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
    size_t used = 0;
    int fd = connect_to(port);
    *status = 0;
    if (fd < 0)
        return -1;
    send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
    while (used < size - 1 && !strstr(answer, "\r\n\r\n")) {
        ssize_t n = recv(fd, answer + used, size - 1 - used, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
        answer[used] = '\0';
    }
    *status = status_of(answer);
    if (used_out)
        *used_out = used;
    return fd;
}

static int open_stream(unsigned port, int *status)
{
    char answer[512] = {0};
    return open_stream_reading(port, status, answer, sizeof answer, NULL);
}

/* Wait (up to 60 s) until the handler has published `count` events in all. */
static void wait_for_events(uint64_t count)
{
    extatus_process_stats stats;
    double until = now_seconds() + 60;
    do {
        CHECK(extatus_process_get_stats(&stats) == EXTATUS_OK, "process stats");
        if (stats.events >= count)
            return;
        usleep(10000);
    } while (now_seconds() < until);
    CHECK(false, "only %llu of %llu events published within 60 s", (unsigned long long)stats.events,
          (unsigned long long)count);
}

static void test_events(void)
{
    static char names[WORKERS][24];
    static extatus_worker *workers[WORKERS];
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    extatus_worker_ops ops = {EXTATUS_WORKER_OPS_VERSION, worker_name, NULL};
    extatus_worker_options worker_options = {EXTATUS_WORKER_OPTIONS_VERSION, EXTATUS_WORKER_LOCK,
                                             &lock, 0};
    for (int i = 0; i < WORKERS; i++) {
        snprintf(names[i], sizeof names[i], "worker_%05d", i);
        if (extatus_process_register(&workers[i], &ops, names[i], &worker_options) != EXTATUS_OK) {
            fprintf(stderr, "register: %s\n", extatus_error_last());
            exit(1);
        }
    }
    /* A settled start: every worker's `up` published, so the stream below
     * carries the snapshot and no transition. */
    wait_for_events(WORKERS); /* a fresh process: its first events are these */
    extatus_exporter *exporter = start_exporter(NULL, NULL);
    unsigned port = extatus_exporter_port(exporter);
    int status;

    /* One whole snapshot read by a client that keeps up: every worker, in order. */
    size_t capacity = 4 << 20, used = 0;
    char *text = calloc(1, capacity + 1);
    int fd = open_stream_reading(port, &status, text, capacity, &used);
    CHECK(status == 200, "/events: %d", status);
    while (used < capacity && !strstr(text + (used > 200 ? used - 200 : 0), "worker_09999")) {
        ssize_t n = recv(fd, text + used, capacity - used, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    int listed = 0;
    for (const char *p = text; (p = strstr(p, "\"name\":\"worker_")) != NULL; p++)
        listed++;
    CHECK(listed == WORKERS, "the snapshot listed %d workers of %d", listed, WORKERS);
    for (int i = 0; i < WORKERS && listed != WORKERS; i++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%.24s\"", names[i]);
        if (!strstr(text, quoted))
            fprintf(stderr, "missing %s\n", names[i]);
    }
    free(text);
    close(fd);
    usleep(300000);

    /* Streams whose readers never read. */
    long before = rss_kib();
    int stalled[STALLED];
    for (int i = 0; i < STALLED; i++) {
        int small = 4096;
        stalled[i] = connect_to(port);
        setsockopt(stalled[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        static const char request[] = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
        send(stalled[i], request, sizeof request - 1, MSG_NOSIGNAL);
    }
    sleep(3);
    long after = rss_kib();
    printf("%d stalled /events streams with %d workers: RSS %ld KiB -> %ld KiB (%+ld KiB, %.0f "
           "KiB per stream)\n",
           STALLED, WORKERS, before, after, after - before, (double)(after - before) / STALLED);
    /* The old queue of 2 x workers events took over 3 MiB per stream. */
    CHECK(after - before < 16 * 1024, "RSS grew by %ld KiB for %d stalled streams", after - before,
          STALLED);
    for (int i = 0; i < STALLED; i++)
        close(stalled[i]);
    sleep(1);

    /* Fill every slot, close one, and reconnect at once: the slot is free. */
    int open_fds[STALLED];
    for (int i = 0; i < STALLED; i++) {
        open_fds[i] = open_stream(port, &status);
        CHECK(status == 200, "stream %d: %d", i, status);
    }
    for (int round = 0; round < 3; round++) {
        close(open_fds[round]);
        usleep(200000);
        double start = now_seconds();
        open_fds[round] = open_stream(port, &status);
        CHECK(status == 200, "reconnect %d after closing a stream: %d", round, status);
        printf("reconnect %d: %d in %.3f s\n", round, status, now_seconds() - start);
    }
    for (int i = 0; i < STALLED; i++)
        close(open_fds[i]);

    /*
     * A reader that falls behind: its stream stalls in the snapshot while
     * 600 workers end (600 down events for a 256-event queue). When it
     * reads again it gets the overflow marker, then the end of the stream.
     */
    double overflows = self_counter("extatus_http_event_streams_overflowed_total");
    int small = 4096;
    int behind = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address;
    struct timeval patience = {10, 0};
    loopback(&address, port);
    setsockopt(behind, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    setsockopt(behind, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    CHECK(connect(behind, (struct sockaddr *)&address, sizeof address) == 0, "connect");
    static const char request[] = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
    send(behind, request, sizeof request - 1, MSG_NOSIGNAL);
    sleep(1);
    extatus_process_stats before_downs;
    CHECK(extatus_process_get_stats(&before_downs) == EXTATUS_OK, "process stats");
    for (int i = 0; i < 600; i++)
        extatus_process_deregister(workers[i], EXTATUS_REASON_NORMAL);
    wait_for_events(before_downs.events + 600); /* the handler publishes the downs */
    sleep(1);                                   /* and the stream takes them */
    text = calloc(1, capacity + 1);
    used = 0;
    bool ended = false;
    while (used < capacity) {
        ssize_t n = recv(behind, text + used, capacity - used, 0);
        if (n <= 0) {
            ended = n == 0;
            break;
        }
        used += (size_t)n;
    }
    close(behind);
    CHECK(strstr(text, "event: overflow\ndata: {\"dropped\":") != NULL,
          "no overflow marker for a reader that fell behind");
    CHECK(ended, "the stream of a reader that fell behind did not end");
    free(text);
    CHECK(self_counter("extatus_http_event_streams_overflowed_total") == overflows + 1,
          "the overflow is not counted (%g before, %g after)", overflows,
          self_counter("extatus_http_event_streams_overflowed_total"));

    extatus_exporter_stop(exporter);
    for (int i = 600; i < WORKERS; i++)
        extatus_process_deregister(workers[i], EXTATUS_REASON_NORMAL);
}

int main(int argc, char **argv)
{
    struct rlimit files;
    if (getrlimit(RLIMIT_NOFILE, &files) == 0) { /* the flood holds thousands of sockets */
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    if (argc != 2) {
        fprintf(stderr, "usage: %s flood|churn|slow|smuggling|nul|auth|events\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "flood") == 0)
        test_flood();
    else if (strcmp(argv[1], "churn") == 0)
        test_churn();
    else if (strcmp(argv[1], "slow") == 0)
        test_slow();
    else if (strcmp(argv[1], "smuggling") == 0)
        test_smuggling();
    else if (strcmp(argv[1], "nul") == 0)
        test_nul();
    else if (strcmp(argv[1], "auth") == 0)
        test_auth();
    else if (strcmp(argv[1], "events") == 0)
        test_events();
    else {
        fprintf(stderr, "unknown case %s\n", argv[1]);
        return 2;
    }
    extatus_shutdown();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
