/*
 * embed_render.c - serve /metrics from an HTTP server of your own.
 *
 * A program that already has an HTTP server (an event loop, nginx, h2o,
 * libuv...) does not need the exporter's: it hands the request's Accept
 * and Accept-Encoding values to extatus_scrape_render() and sends back
 * the body with the Content-Type and Content-Encoding it returns. The
 * negotiation, gzip and the scrape self-metrics are then exactly those of
 * the exporter.
 *
 * The "server" here is a deliberately tiny blocking socket loop on
 * 127.0.0.1, one request per connection, just enough to show the call.
 *
 *   ./embed_render [PORT] [REQUESTS]   # PORT 0: any free port; stop after REQUESTS
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <extatus.h>

/* Copy the value of header `name` out of a raw request into `out` ("" if absent). */
static const char *header_value(const char *request, const char *name, char *out, size_t size)
{
    size_t length = strlen(name);
    const char *line = strstr(request, "\r\n");

    while (line && line[2] != '\r') {
        line += 2;
        if (strncasecmp(line, name, length) == 0 && line[length] == ':') {
            const char *value = line + length + 1;
            size_t n = strcspn(value, "\r");
            while (*value == ' ' && n > 0) {
                value++;
                n--;
            }
            if (n >= size)
                n = size - 1;
            memcpy(out, value, n);
            out[n] = '\0';
            return out;
        }
        line = strstr(line, "\r\n");
    }
    return NULL; /* header absent */
}

static void send_all(int fd, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        size -= (size_t)n;
    }
}

static void serve(int client)
{
    char request[8192];
    char accept[1024];
    char encoding[256];
    char head[512];
    size_t used = 0;
    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;

    /* Read the request head (this toy ignores bodies and long heads). */
    while (used < sizeof request - 1) {
        ssize_t n = recv(client, request + used, sizeof request - 1 - used, 0);
        if (n <= 0)
            break;
        used += (size_t)n;
        request[used] = '\0';
        if (strstr(request, "\r\n\r\n"))
            break;
    }
    request[used] = '\0';
    if (strncmp(request, "GET /metrics ", 13) != 0) {
        static const char not_found[] =
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        send_all(client, not_found, sizeof not_found - 1);
        return;
    }

    /* The one call: negotiation, rendering, gzip and self-metrics. */
    if (extatus_scrape_render(&scrape, header_value(request, "Accept", accept, sizeof accept),
                              header_value(request, "Accept-Encoding", encoding, sizeof encoding),
                              NULL) != EXTATUS_OK) {
        static const char error[] = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: "
                                    "0\r\nConnection: close\r\n\r\n";
        send_all(client, error, sizeof error - 1);
        return;
    }
    snprintf(head, sizeof head,
             "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%s%s%sContent-Length: %zu\r\n"
             "Vary: Accept, Accept-Encoding\r\nConnection: close\r\n\r\n",
             scrape.content_type, scrape.content_encoding ? "Content-Encoding: " : "",
             scrape.content_encoding ? scrape.content_encoding : "",
             scrape.content_encoding ? "\r\n" : "", scrape.body.size);
    send_all(client, head, strlen(head));
    send_all(client, scrape.body.ptr, scrape.body.size);
    extatus_scrape_dispose(&scrape);
}

int main(int argc, char **argv)
{
    unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 4000;
    long requests = argc > 2 ? atol(argv[2]) : -1;
    struct sockaddr_in address;
    socklen_t length = sizeof address;
    extatus_counter *hits;
    int one = 1;
    int listener;

    if (extatus_counter_new(&hits, NULL, "embed_hits_total", "Requests seen.") != EXTATUS_OK) {
        fprintf(stderr, "embed_render: %s\n", extatus_error_last());
        return 1;
    }
    listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_port = htons((unsigned short)port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
        listen(listener, 16) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("embed_render: listen");
        return 1;
    }
    printf("embed_render: serving http://127.0.0.1:%u/metrics\n", ntohs(address.sin_port));
    fflush(stdout);

    while (requests != 0) {
        int client = accept(listener, NULL, NULL);
        if (client < 0)
            continue;
        extatus_counter_inc(hits);
        serve(client);
        close(client);
        if (requests > 0)
            requests--;
    }
    close(listener);
    extatus_shutdown();
    return 0;
}
