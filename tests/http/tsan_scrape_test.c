/*
 * tsan_scrape_test.c - the exporter under ThreadSanitizer: application
 * threads update counters, create and remove series while two clients
 * scrape (plain and gzip, text and OpenMetrics) over keep-alive
 * connections, served by two server threads. Built with the library and
 * src/http compiled with -fsanitize=thread; any data race fails the test.
 * It also checks that the updates went on while scrapes were running.
 */
#include <extatus.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SCRAPES_PER_CLIENT 60
#define UPDATERS           2

static atomic_int stop;
static atomic_int scraping;
static atomic_ulong updates_during_scrapes;
static extatus_family *family;
static unsigned port;

static void *updater(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    char value[32];
    const char *values[] = {value};
    unsigned long n = 0;

    while (!atomic_load(&stop)) {
        extatus_counter *counter;
        snprintf(value, sizeof value, "u%u_%lu", id, n % 50);
        if (extatus_counter_get(&counter, family, extatus_labels_of(values, 1)) == EXTATUS_OK)
            extatus_counter_inc(counter);
        if (n % 97 == 0)
            extatus_family_remove(family, extatus_labels_of(values, 1));
        if (atomic_load(&scraping) > 0)
            atomic_fetch_add(&updates_during_scrapes, 1);
        n++;
    }
    return NULL;
}

static int connect_loopback(void)
{
    struct sockaddr_in address;
    struct timeval timeout = {20, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((uint16_t)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One request on a kept-alive connection; returns the status (0 on failure). */
static int scrape(int fd, const char *extra_headers, char *buffer, size_t size)
{
    char request[512];
    size_t used = 0;
    long length = -1;
    char *end = NULL;
    int code = 0;

    snprintf(request, sizeof request, "GET /metrics HTTP/1.1\r\nHost: a\r\n%s\r\n", extra_headers);
    if (send(fd, request, strlen(request), MSG_NOSIGNAL) <= 0)
        return 0;
    for (;;) {
        ssize_t n = recv(fd, buffer + used, size - 1 - used, 0);
        if (n <= 0)
            return 0;
        used += (size_t)n;
        buffer[used] = '\0';
        if (!end && (end = strstr(buffer, "\r\n\r\n")) != NULL) {
            const char *l = strstr(buffer, "Content-Length: ");
            sscanf(buffer, "HTTP/1.1 %d", &code);
            length = l && l < end ? strtol(l + 16, NULL, 10) : -1;
        }
        if (end && length >= 0 && (long)(used - (size_t)(end + 4 - buffer)) >= length)
            return code;
        if (used + 1 >= size)
            return 0;
    }
}

static void *client(void *arg)
{
    static const char *const headers[] = {
        "",
        "Accept-Encoding: gzip\r\n",
        "Accept: application/openmetrics-text;version=1.0.0\r\n",
        "Accept: application/openmetrics-text;version=1.0.0\r\nAccept-Encoding: gzip\r\n",
    };
    size_t size = 4 * 1024 * 1024;
    char *buffer = malloc(size);
    int fd = connect_loopback();
    long failures = 0;
    (void)arg;

    for (int i = 0; i < SCRAPES_PER_CLIENT && fd >= 0; i++) {
        atomic_fetch_add(&scraping, 1);
        if (scrape(fd, headers[i % 4], buffer, size) != 200)
            failures++;
        atomic_fetch_sub(&scraping, 1);
    }
    if (fd < 0)
        failures = SCRAPES_PER_CLIENT;
    else
        close(fd);
    free(buffer);
    return (void *)failures;
}

int main(void)
{
    const char *labels[] = {"worker"};
    extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Work done."),
        EXTATUS_OPT_STRINGS("labels", labels, 1),
    };
    extatus_exporter_options exporter_options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter;
    pthread_t updaters[UPDATERS];
    pthread_t clients[2];
    long failures = 0;

    if (extatus_family_new(&family, NULL, "tsan_work_total", "counter", options, 2) != EXTATUS_OK)
        return 1;
    exporter_options.port = 0;
    exporter_options.bind_address = "127.0.0.1";
    exporter_options.threads = 2;
    if (extatus_exporter_start(&exporter, &exporter_options) != EXTATUS_OK) {
        fprintf(stderr, "start: %s\n", extatus_error_last());
        return 1;
    }
    port = extatus_exporter_port(exporter);
    for (unsigned i = 0; i < UPDATERS; i++)
        pthread_create(&updaters[i], NULL, updater, (void *)(uintptr_t)i);
    for (int i = 0; i < 2; i++)
        pthread_create(&clients[i], NULL, client, NULL);
    for (int i = 0; i < 2; i++) {
        void *result;
        pthread_join(clients[i], &result);
        failures += (long)result;
    }
    atomic_store(&stop, 1);
    for (unsigned i = 0; i < UPDATERS; i++)
        pthread_join(updaters[i], NULL);
    extatus_exporter_stop(exporter);
    extatus_shutdown();

    if (failures) {
        fprintf(stderr, "tsan_scrape_test: %ld scrapes failed\n", failures);
        return 1;
    }
    if (atomic_load(&updates_during_scrapes) == 0) {
        fprintf(stderr, "tsan_scrape_test: no update happened while scrapes ran\n");
        return 1;
    }
    printf("tsan_scrape_test: ok, %d scrapes, %lu updates during scrapes\n", 2 * SCRAPES_PER_CLIENT,
           atomic_load(&updates_during_scrapes));
    return 0;
}
