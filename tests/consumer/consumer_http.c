/*
 * consumer_http.c - a tiny program built against an installed
 * extatus-http: it starts the exporter on a free loopback port, fetches
 * /metrics once over a socket, checks the status, the Content-Type and a
 * sample, and stops the exporter.
 */
#define _POSIX_C_SOURCE 200809L
#include <extatus.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fetch(unsigned port, char *answer, size_t size)
{
    static const char request[] =
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    struct sockaddr_in address;
    struct timeval timeout = {10, 0};
    size_t used = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0 ||
        send(fd, request, sizeof request - 1, 0) != (ssize_t)(sizeof request - 1)) {
        close(fd);
        return -1;
    }
    for (;;) {
        ssize_t n = recv(fd, answer + used, size - 1 - used, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    answer[used] = '\0';
    close(fd);
    return 0;
}

int main(void)
{
    extatus_exporter_options options = EXTATUS_EXPORTER_OPTIONS_INIT;
    extatus_exporter *exporter = NULL;
    extatus_counter *counter = NULL;
    static char answer[65536];
    int status = 1;
    int rc;

    rc = extatus_counter_new(&counter, NULL, "consumer_http_hits", "Hits.");
    if (rc == EXTATUS_OK) {
        extatus_counter_add(counter, 5);
        options.port = 0;
        options.bind_address = "127.0.0.1";
        rc = extatus_exporter_start(&exporter, &options);
    }
    if (rc != EXTATUS_OK) {
        fprintf(stderr, "consumer_http: %s: %s\n", extatus_strerror(rc), extatus_error_last());
        goto out;
    }
    if (fetch(extatus_exporter_port(exporter), answer, sizeof answer) != 0) {
        fprintf(stderr, "consumer_http: cannot fetch /metrics\n");
        goto out;
    }
    if (strncmp(answer, "HTTP/1.1 200", 12) != 0 ||
        !strstr(answer, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") ||
        !strstr(answer, "\nconsumer_http_hits_total 5\n")) {
        fprintf(stderr, "consumer_http: unexpected answer:\n%s\n", answer);
        goto out;
    }
    printf("consumer_http: ok, served /metrics on port %u\n", extatus_exporter_port(exporter));
    status = 0;
out:
    extatus_exporter_stop(exporter);
    extatus_shutdown();
    return status;
}
