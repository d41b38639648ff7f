/*
 * malformed_test.c - raw bytes over a socket against a running exporter:
 * malformed requests and oversized headers get a 4xx answer (or a closed
 * connection, never a crash) and the exporter keeps serving; HEAD sends
 * headers without a body; idle connections are closed after the timeout
 * so that they cannot starve scrapes; scrapes beyond the concurrent limit
 * get 503.
 */
#include <extatus.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int connect_to(unsigned port)
{
    struct sockaddr_in address;
    struct timeval timeout = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the server may close early on a bad request: that is fine */
        data += n;
        size -= (size_t)n;
    }
}

/* Read until the peer closes (or 10 s pass); returns the bytes read, NUL-terminated. */
static char *read_all(int fd, size_t *size)
{
    size_t capacity = 65536;
    size_t used = 0;
    char *text = malloc(capacity + 1);

    for (;;) {
        ssize_t n;
        if (used == capacity) {
            capacity *= 2;
            text = realloc(text, capacity + 1);
        }
        n = recv(fd, text + used, capacity - used, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    text[used] = '\0';
    *size = used;
    return text;
}

/* Send `request` on a new connection and return the whole answer (caller frees). */
static char *exchange(unsigned port, const char *request, size_t request_size, size_t *size)
{
    int fd = connect_to(port);
    char *answer;
    if (fd < 0) {
        *size = 0;
        return calloc(1, 1);
    }
    send_all(fd, request, request_size);
    shutdown(fd, SHUT_WR);
    answer = read_all(fd, size);
    close(fd);
    return answer;
}

/* The status code of an HTTP answer, 0 if there is none. */
static int status_of(const char *answer)
{
    int code = 0;
    if (sscanf(answer, "HTTP/1.%*c %d", &code) != 1)
        return 0;
    return code;
}

static int get_status(unsigned port, const char *path)
{
    char request[512];
    size_t size;
    char *answer;
    int code;

    snprintf(request, sizeof request,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
    answer = exchange(port, request, strlen(request), &size);
    code = status_of(answer);
    free(answer);
    return code;
}

static void test_malformed(unsigned port)
{
    static const struct {
        const char *what;
        const char *request;
    } cases[] = {
        {"binary garbage", "\x01\x02\x03\xff\xfe garbage\r\n\r\n"},
        {"no HTTP version", "GET /metrics\r\n\r\n"},
        {"header without colon", "GET /metrics HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n"},
        {"HTTP/1.1 without Host", "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n"},
        {"space before colon", "GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n"},
        {"bad Content-Length", "GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n"},
        {"bad chunked body",
         "POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t size;
        char *answer = exchange(port, cases[i].request, strlen(cases[i].request), &size);
        int code = status_of(answer);
        CHECK(code >= 400 && code < 500, "%s: expected a 4xx answer, got %d (%zu bytes: %.60s)",
              cases[i].what, code, size, answer);
        free(answer);
        CHECK(get_status(port, "/metrics") == 200, "after %s the exporter no longer serves",
              cases[i].what);
    }
}

/*
 * Bytes without a single space are not even a request line: libmicrohttpd
 * closes the connection without an answer. Either that or a 4xx is fine;
 * what matters is that the exporter goes on.
 */
static void test_not_a_request(unsigned port)
{
    static const char junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n";
    size_t size;
    char *answer = exchange(port, junk, sizeof junk - 1, &size);
    int code = status_of(answer);
    CHECK(size == 0 || (code >= 400 && code < 500), "junk bytes: got %zu bytes, status %d", size,
          code);
    free(answer);
    CHECK(get_status(port, "/metrics") == 200, "after junk bytes the exporter no longer serves");
}

static void test_oversized(unsigned port)
{
    const size_t big = 256 * 1024;
    char *request = malloc(big + 256);
    size_t used;
    size_t size;
    char *answer;
    int code;

    /* One huge header. */
    used = (size_t)sprintf(request, "GET /metrics HTTP/1.1\r\nHost: a\r\nX-Big: ");
    memset(request + used, 'a', big);
    used += big;
    used += (size_t)sprintf(request + used, "\r\n\r\n");
    answer = exchange(port, request, used, &size);
    code = status_of(answer);
    CHECK(code >= 400 && code < 500, "a 256 KiB header: expected a 4xx answer, got %d", code);
    free(answer);

    /* A huge URL. */
    used = (size_t)sprintf(request, "GET /");
    memset(request + used, 'b', big);
    used += big;
    used += (size_t)sprintf(request + used, " HTTP/1.1\r\nHost: a\r\n\r\n");
    answer = exchange(port, request, used, &size);
    code = status_of(answer);
    CHECK(code >= 400 && code < 500, "a 256 KiB URL: expected a 4xx answer, got %d", code);
    free(answer);

    /* Many small headers adding up to too much. */
    used = (size_t)sprintf(request, "GET /metrics HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; used < big; i++)
        used += (size_t)sprintf(request + used, "X-H%d: %040d\r\n", i, i);
    used += (size_t)sprintf(request + used, "\r\n");
    answer = exchange(port, request, used, &size);
    code = status_of(answer);
    CHECK(code >= 400 && code < 500, "many headers: expected a 4xx answer, got %d", code);
    free(answer);
    free(request);

    CHECK(get_status(port, "/metrics") == 200, "after oversized requests the exporter stopped");
}

/* A version we do not speak: 505, and the exporter goes on. */
static void test_version(unsigned port)
{
    static const char request[] = "GET /metrics HTTP/9.9\r\nHost: a\r\n\r\n";
    size_t size;
    char *answer = exchange(port, request, sizeof request - 1, &size);
    CHECK(status_of(answer) == 505, "HTTP/9.9: expected 505, got %d", status_of(answer));
    free(answer);
    CHECK(get_status(port, "/metrics") == 200, "after HTTP/9.9 the exporter no longer serves");
}

static void test_head(unsigned port)
{
    static const char request[] =
        "HEAD /metrics HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    size_t size;
    char *answer = exchange(port, request, sizeof request - 1, &size);
    char *end = strstr(answer, "\r\n\r\n");
    const char *length = strstr(answer, "Content-Length: ");

    CHECK(status_of(answer) == 200, "HEAD: status %d", status_of(answer));
    CHECK(end != NULL, "HEAD: no end of headers");
    CHECK(end && (size_t)(end + 4 - answer) == size, "HEAD: %zu bytes after the headers",
          end ? size - (size_t)(end + 4 - answer) : 0);
    CHECK(length && atoi(length + 16) > 0, "HEAD: no Content-Length");
    CHECK(strstr(answer, "Content-Encoding: gzip") != NULL, "HEAD: no Content-Encoding: gzip");
    CHECK(strstr(answer, "Content-Type: text/plain; version=0.0.4; charset=utf-8") != NULL,
          "HEAD: no Content-Type");
    free(answer);
}

/* Accept sent as two header lines: they form one list (RFC 9110 5.3). */
static void test_split_accept(unsigned port)
{
    static const char request[] = "GET /metrics HTTP/1.1\r\nHost: a\r\n"
                                  "Accept: text/plain;version=0.0.4;q=0.5\r\n"
                                  "Accept: application/openmetrics-text;version=1.0.0\r\n"
                                  "Accept-Encoding: identity;q=0.5\r\n"
                                  "Accept-Encoding: gzip\r\n"
                                  "Connection: close\r\n\r\n";
    size_t size;
    char *answer = exchange(port, request, sizeof request - 1, &size);
    CHECK(strstr(answer, "Content-Type: application/openmetrics-text; version=1.0.0; "
                         "charset=utf-8\r\n") != NULL,
          "Accept on two lines: the second line was not seen");
    CHECK(strstr(answer, "Content-Encoding: gzip\r\n") != NULL,
          "Accept-Encoding on two lines: the second line was not seen");
    free(answer);
}

/* Keep-alive: several requests on one connection, answered in order. */
static void test_keep_alive(unsigned port)
{
    static const char request[] = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"
                                  "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
                                  "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    int fd = connect_to(port);
    size_t size = 0;
    char *answer;

    CHECK(fd >= 0, "keep-alive: cannot connect");
    if (fd < 0)
        return;
    /* No half-close here: the last request asks the server to close. */
    send_all(fd, request, sizeof request - 1);
    answer = read_all(fd, &size);
    close(fd);
    const char *second = strstr(answer + 1, "HTTP/1.1 404");
    const char *third = second ? strstr(second + 1, "HTTP/1.1 200") : NULL;
    CHECK(status_of(answer) == 200 && second && third,
          "three pipelined requests did not get 200, 404, 200");
    free(answer);
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Idle clients take every connection; the timeout frees them for a scraper. */
static void test_idle_clients(void)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter;
    int idle[4];
    double start;
    int code = 0;

    options.port = 0;
    options.bind_address = "127.0.0.1";
    options.max_connections = 4;
    options.connection_timeout = 1;
    options.threads = 1;
    CHECK(extatus_exporter_start(&exporter, &options) == EXTATUS_OK, "start: %s",
          extatus_error_last());
    for (int i = 0; i < 4; i++) {
        idle[i] = connect_to(extatus_exporter_port(exporter));
        CHECK(idle[i] >= 0, "idle connection %d", i);
    }
    /* Half a request on one of them: a slow client. */
    send_all(idle[0], "GET /metr", 9);
    usleep(200 * 1000);
    start = now_seconds();
    while (now_seconds() - start < 8) {
        code = get_status(extatus_exporter_port(exporter), "/metrics");
        if (code == 200)
            break;
        usleep(100 * 1000);
    }
    CHECK(code == 200, "with every connection held by idle clients no scrape got through");
    CHECK(now_seconds() - start < 5, "the scrape waited %.1f s for idle clients",
          now_seconds() - start);
    for (int i = 0; i < 4; i++) {
        char byte;
        /* The server closed the idle connection: recv sees the end (or a reset). */
        CHECK(idle[i] < 0 || recv(idle[i], &byte, 1, 0) <= 0,
              "idle connection %d is still open after the timeout", i);
        if (idle[i] >= 0)
            close(idle[i]);
    }
    extatus_exporter_stop(exporter);
}

/* ---- concurrent-scrape limit ---------------------------------------------- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_inside;
static int gate_open;

/* A function gauge that holds its scrape until the test opens the gate. */
static int blocking_value(double *value, const char *const *labels, void *user_data)
{
    (void)labels;
    (void)user_data;
    pthread_mutex_lock(&gate_lock);
    gate_inside = 1;
    pthread_cond_broadcast(&gate_cond);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    *value = 1;
    return 0;
}

static void *slow_scrape(void *arg)
{
    unsigned port = *(unsigned *)arg;
    static int code;
    code = get_status(port, "/metrics");
    return &code;
}

static void test_scrape_limit(void)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter;
    extatus_registry *registry;
    const char *name = "blocking";
    pthread_t thread;
    unsigned port;
    void *result;
    int code;

    CHECK(extatus_registry_new(&registry, name, NULL) == EXTATUS_OK, "registry");
    CHECK(extatus_function_gauge_new(registry, "test_blocking", "Blocks.", blocking_value, NULL) ==
              EXTATUS_OK,
          "function gauge: %s", extatus_error_last());
    options.port = 0;
    options.bind_address = "127.0.0.1";
    options.registry_name = name;
    options.max_scrapes = 1;
    options.threads = 2;
    CHECK(extatus_exporter_start(&exporter, &options) == EXTATUS_OK, "start: %s",
          extatus_error_last());
    port = extatus_exporter_port(exporter);
    pthread_create(&thread, NULL, slow_scrape, &port);
    pthread_mutex_lock(&gate_lock);
    while (!gate_inside)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);

    /* One scrape is rendering: the next one is refused, other pages still work. */
    code = get_status(port, "/metrics");
    CHECK(code == 503, "a scrape beyond max_scrapes got %d, expected 503", code);
    code = get_status(port, "/");
    CHECK(code == 200, "the landing page during a scrape got %d", code);

    pthread_mutex_lock(&gate_lock);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    pthread_join(thread, &result);
    CHECK(*(int *)result == 200, "the held scrape ended with %d", *(int *)result);
    CHECK(get_status(port, "/metrics") == 200, "scrapes work again after the limit");
    extatus_exporter_stop(exporter);
    extatus_registry_free(registry);
}

int main(void)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter = NULL;
    extatus_counter *counter;

    if (extatus_counter_new(&counter, NULL, "test_requests", "Requests.") != EXTATUS_OK)
        return 1;
    extatus_counter_add(counter, 7);
    options.port = 0;
    options.bind_address = "127.0.0.1";
    options.max_request_headers = 8192;
    if (extatus_exporter_start(&exporter, &options) != EXTATUS_OK) {
        fprintf(stderr, "start: %s\n", extatus_error_last());
        return 1;
    }
    CHECK(get_status(extatus_exporter_port(exporter), "/metrics") == 200, "a plain GET");
    test_malformed(extatus_exporter_port(exporter));
    test_not_a_request(extatus_exporter_port(exporter));
    test_oversized(extatus_exporter_port(exporter));
    test_version(extatus_exporter_port(exporter));
    test_head(extatus_exporter_port(exporter));
    test_split_accept(extatus_exporter_port(exporter));
    test_keep_alive(extatus_exporter_port(exporter));
    extatus_exporter_stop(exporter);

    test_idle_clients();
    test_scrape_limit();
    extatus_shutdown();
    if (failures) {
        fprintf(stderr, "malformed_test: %d checks failed\n", failures);
        return 1;
    }
    printf("malformed_test: ok\n");
    return 0;
}
