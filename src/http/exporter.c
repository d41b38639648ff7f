/*
 * exporter.c - the HTTP exporter on libmicrohttpd: /metrics through
 * extatus_scrape_render(), a landing page at /, 404, 405, optional basic
 * auth and TLS, and the limits that keep slow or idle clients from
 * starving scrapes.
 *
 * Threading: libmicrohttpd runs `threads` event-loop threads (epoll),
 * each accepting from the one listening socket and serving its
 * connections without blocking on any of them. A scrape renders in the
 * thread that received the request; rendering takes no lock that
 * application threads' updates take (see docs/architecture.md).
 *
 * We open the listening socket ourselves and hand it over, so that a
 * failure to bind is reported with the real errno, address and port, and
 * so that port 0 can be read back.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#define DEFAULT_PATH   "/metrics"
#define PATH_MAX_BYTES 256
#define LISTEN_BACKLOG 1024 /* a burst of connections waits here while older ones are evicted */
#define LOG_MAX        256
#define REALM          "extatus"

/* Longest `user:password` of basic auth, in bytes. */
#define CREDENTIALS_MAX 1024

/* Biggest PEM file we read (a certificate chain is a few kilobytes). */
#define PEM_MAX_BYTES ((size_t)1024 * 1024)

struct extatus_exporter {
    struct MHD_Daemon *daemon;     /* the server; NULL until started */
    int listen_fd;                 /* our listening socket, owned by daemon once started */
    unsigned port;                 /* port asked for, then the port bound */
    char *path;                    /* metrics path */
    extatus_registry **registries; /* registries served */
    extatus_scrape_options scrape; /* how to render (points at registries) */
    extatus_registry *self;        /* where the request counter goes; NULL: none */
    unsigned max_scrapes;          /* scrapes rendered at once */
    atomic_uint scrapes;           /* scrapes rendering now */
    char *user;                    /* basic auth user, NULL: no auth */
    char *password;                /* basic auth password */
    char *tls_cert;                /* PEM text, NULL: plain HTTP */
    char *tls_key;                 /* PEM text */
    char *landing;                 /* the HTML of / */
    extatus__http_events *events;  /* the streams of GET /events */
    extatus__http_guard *guard;    /* open connections: head deadline, eviction */
    atomic_bool starting;          /* log messages are kept only while starting */
    char log[LOG_MAX];             /* last libmicrohttpd message while starting */
};

/* The text of an errno value; strerror_r (GNU form) because strerror is not thread-safe. */
static const char *errno_text(int code, char *buffer, size_t size)
{
    return strerror_r(code, buffer, size);
}

static char *copy_string(const char *text)
{
    size_t length;
    char *copy;

    if (!text)
        return NULL;
    length = strlen(text);
    copy = extatus_malloc(length + 1);
    if (copy)
        memcpy(copy, text, length + 1);
    return copy;
}

static void free_secret(char *secret)
{
    if (!secret)
        return;
    /* Do not leave passwords and keys behind in freed memory. */
    volatile char *p = secret;
    while (*p)
        *p++ = '\0';
    extatus_free(secret);
}

static void exporter_free(extatus_exporter *e)
{
    if (!e)
        return;
    extatus__http_events_close(e->events); /* end the event streams first */
    if (e->daemon)
        MHD_stop_daemon(e->daemon); /* closes the listening socket too */
    extatus__http_events_free(e->events);
    extatus__http_guard_free(e->guard); /* after the server: every close was reported */
    if (e->listen_fd >= 0)
        close(e->listen_fd);
    extatus_free(e->path);
    extatus_free(e->registries);
    free_secret(e->user);
    free_secret(e->password);
    extatus_free(e->tls_cert);
    free_secret(e->tls_key);
    extatus_free(e->landing);
    extatus_free(e);
}

/* Keep libmicrohttpd's messages for the start error, and print nothing. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 0)))
#endif
static void
mhd_logger(void *cls, const char *format, va_list args)
{
    extatus_exporter *e = cls;
    if (atomic_load(&e->starting))
        vsnprintf(e->log, sizeof e->log, format, args);
}

static bool valid_path(const char *path)
{
    size_t length = strlen(path);
    if (length == 0 || length > PATH_MAX_BYTES || path[0] != '/')
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = path[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '/' || c == '.' || c == '_' || c == '~' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* Read a whole PEM file into memory (NUL-terminated). */
static int read_pem(char **out, const char *file, const char *what)
{
    FILE *f = fopen(file, "rb");
    size_t used = 0;
    char reason[128];
    char *text;

    *out = NULL;
    if (!f)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "%s '%s': %s", what, file,
                                   errno_text(errno, reason, sizeof reason));
    text = extatus_malloc(PEM_MAX_BYTES + 1);
    if (!text) {
        fclose(f);
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "%s '%s': out of memory", what, file);
    }
    used = fread(text, 1, PEM_MAX_BYTES + 1, f);
    if (ferror(f) || used == 0 || used > PEM_MAX_BYTES) {
        int rc = extatus_entry_error(EXTATUS_ERR_OPTION, "%s '%s': %s", what, file,
                                     ferror(f)   ? errno_text(errno, reason, sizeof reason)
                                     : used == 0 ? "the file is empty"
                                                 : "the file is larger than 1 MiB");
        fclose(f);
        extatus_free(text);
        return rc;
    }
    fclose(f);
    text[used] = '\0';
    *out = text;
    return EXTATUS_OK;
}

/*
 * Open, bind and listen. With no address: IPv6 any with IPV6_V6ONLY off
 * (dual stack), or IPv4 any where the kernel has no IPv6.
 */
static int open_listener(extatus_exporter *e, const char *address, unsigned port)
{
    struct sockaddr_storage storage;
    socklen_t length;
    const char *shown = address;
    char reason[128];
    int family;
    int fd;
    int one = 1;

    memset(&storage, 0, sizeof storage);
    if (!address) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
        family = AF_INET6;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_any;
        in6->sin6_port = htons((uint16_t)port);
        length = sizeof *in6;
        shown = "[::] (all addresses)";
    } else {
        struct sockaddr_in *in4 = (struct sockaddr_in *)&storage;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
        if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
            family = AF_INET;
            in4->sin_family = AF_INET;
            in4->sin_port = htons((uint16_t)port);
            length = sizeof *in4;
        } else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
            family = AF_INET6;
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)port);
            length = sizeof *in6;
        } else {
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "bind_address '%s' is not a numeric IPv4 or IPv6 address",
                                       address);
        }
    }

    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && !address && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT)) {
        /* No IPv6 in this kernel: all IPv4 addresses instead. */
        struct sockaddr_in *in4 = (struct sockaddr_in *)&storage;
        memset(&storage, 0, sizeof storage);
        family = AF_INET;
        in4->sin_family = AF_INET;
        in4->sin_addr.s_addr = htonl(INADDR_ANY);
        in4->sin_port = htons((uint16_t)port);
        length = sizeof *in4;
        shown = "0.0.0.0 (all IPv4 addresses)";
        fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "cannot open a socket for %s port %u: %s",
                                   shown, port, errno_text(errno, reason, sizeof reason));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) {
        int v6only = address ? 1 : 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (bind(fd, (struct sockaddr *)&storage, length) != 0) {
        int saved = errno;
        close(fd);
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "cannot bind %s port %u: %s", shown, port,
                                   errno_text(saved, reason, sizeof reason));
    }
    if (listen(fd, LISTEN_BACKLOG) != 0) {
        int saved = errno;
        close(fd);
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "cannot listen on %s port %u: %s", shown,
                                   port, errno_text(saved, reason, sizeof reason));
    }
    length = sizeof storage;
    if (getsockname(fd, (struct sockaddr *)&storage, &length) != 0) {
        int saved = errno;
        close(fd);
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "cannot read the port of %s: %s", shown,
                                   errno_text(saved, reason, sizeof reason));
    }
    e->port = storage.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&storage)->sin_port)
                                           : ntohs(((struct sockaddr_in6 *)&storage)->sin6_port);
    e->listen_fd = fd;
    return EXTATUS_OK;
}

/* The landing page (landing.c). */
static int build_landing(extatus_exporter *e)
{
    e->landing = extatus__http_landing_page(e->path);
    if (!e->landing)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "exporter: out of memory");
    return EXTATUS_OK;
}

/* ---- requests ------------------------------------------------------------ */

/* Queue `response` with `status`, count it, and drop our reference. */
static enum MHD_Result send_response(extatus_exporter *e, struct MHD_Connection *connection,
                                     unsigned status, struct MHD_Response *response)
{
    enum MHD_Result result;
    if (!response)
        return MHD_NO; /* out of memory: libmicrohttpd closes the connection */
    result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    if (result == MHD_YES && e->self)
        extatus__http_count_request(e->self, status);
    return result;
}

static struct MHD_Response *text_response(const char *text)
{
    struct MHD_Response *response = MHD_create_response_from_buffer(
        strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
    if (response)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "text/plain; charset=utf-8");
    return response;
}

/* Compare every byte of both whatever the first difference, so timing tells nothing. */
static bool same_bytes(const unsigned char *given, size_t given_size, const unsigned char *expected,
                       size_t expected_size)
{
    size_t longer = given_size > expected_size ? given_size : expected_size;
    unsigned char diff = (unsigned char)(given_size != expected_size);
    for (size_t i = 0; i < longer; i++)
        diff |= (unsigned char)((i < given_size ? given[i] : 0) ^
                                (i < expected_size ? expected[i] : 0));
    return diff == 0;
}

/* The value of one base64 digit, or -1. */
static int base64_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Decode standard base64 (padding optional) into out[0..max); the byte
 * count, or -1 when the text is not base64 or does not fit.
 */
static long base64_decode(const char *text, size_t length, unsigned char *out, size_t max)
{
    size_t used = 0;
    unsigned bits = 0;
    unsigned value = 0;
    while (length > 0 && text[length - 1] == '=')
        length--;
    for (size_t i = 0; i < length; i++) {
        int digit = base64_digit(text[i]);
        if (digit < 0)
            return -1;
        value = (value << 6) | (unsigned)digit;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (used == max)
                return -1;
            out[used++] = (unsigned char)(value >> bits);
            value &= (1u << bits) - 1;
        }
    }
    return (long)used;
}

/*
 * HTTP basic auth: the decoded `user:password` must equal the configured
 * pair byte for byte, the whole of it compared every time (a NUL in the
 * credentials is just a byte that differs).
 */
static bool authorised(const extatus_exporter *e, struct MHD_Connection *connection)
{
    static const char scheme[] = "Basic ";
    unsigned char given[CREDENTIALS_MAX];
    unsigned char expected[CREDENTIALS_MAX];
    const char *value = NULL;
    size_t value_size = 0;
    size_t user_size;
    size_t password_size;
    long given_size;
    bool ok;

    if (!e->user)
        return true;
    if (MHD_lookup_connection_value_n(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION,
                                      strlen(MHD_HTTP_HEADER_AUTHORIZATION), &value,
                                      &value_size) != MHD_YES ||
        !value || value_size < sizeof scheme - 1 ||
        strncasecmp(value, scheme, sizeof scheme - 1) != 0)
        return false;
    value += sizeof scheme - 1;
    value_size -= sizeof scheme - 1;
    while (value_size > 0 && *value == ' ') {
        value++;
        value_size--;
    }
    given_size = base64_decode(value, value_size, given, sizeof given);
    user_size = strlen(e->user);
    password_size = strlen(e->password);
    /* copy_options keeps the pair shorter than CREDENTIALS_MAX. */
    memcpy(expected, e->user, user_size);
    expected[user_size] = ':';
    memcpy(expected + user_size + 1, e->password, password_size);
    ok = given_size >= 0 &&
         same_bytes(given, (size_t)given_size, expected, user_size + 1 + password_size);
    memset(given, 0, sizeof given); /* leave no secrets on the stack */
    memset(expected, 0, sizeof expected);
    return ok;
}

/*
 * A request header that may be sent as several lines (RFC 9110 5.3: the
 * lines of a list-valued field combine into one list joined by commas).
 */
typedef struct header_list {
    const char *name;  /* header to collect */
    const char *first; /* the value of its first line */
    char *joined;      /* all lines joined by ", " when there are several, or NULL */
    size_t used;       /* bytes in joined */
    bool failed;       /* out of memory while joining */
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    header_list *list = cls;
    size_t length;
    char *grown;

    (void)kind;
    if (!value || strcasecmp(key, list->name) != 0)
        return MHD_YES;
    if (!list->first) {
        list->first = value;
        return MHD_YES;
    }
    if (!list->joined) { /* second line: start the joined copy with the first */
        length = strlen(list->first);
        list->joined = extatus_malloc(length + 1);
        if (!list->joined) {
            list->failed = true;
            return MHD_NO;
        }
        memcpy(list->joined, list->first, length + 1);
        list->used = length;
    }
    length = strlen(value);
    grown = extatus_malloc(list->used + 2 + length + 1);
    if (!grown) {
        list->failed = true;
        return MHD_NO;
    }
    memcpy(grown, list->joined, list->used);
    grown[list->used] = ',';
    grown[list->used + 1] = ' ';
    memcpy(grown + list->used + 2, value, length + 1);
    extatus_free(list->joined);
    list->joined = grown;
    list->used += 2 + length;
    return MHD_YES;
}

/* The header's value with all its lines (NULL: absent); release with header_list_dispose. */
static const char *header_value(struct MHD_Connection *connection, header_list *list,
                                const char *name)
{
    memset(list, 0, sizeof *list);
    list->name = name;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, list);
    return list->joined ? list->joined : list->first;
}

static void header_list_dispose(header_list *list)
{
    extatus_free(list->joined);
    list->joined = NULL;
}

static enum MHD_Result serve_scrape(extatus_exporter *e, struct MHD_Connection *connection)
{
    header_list accept_lines;
    header_list encoding_lines;
    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;
    struct MHD_Response *response;
    const char *accept;
    const char *encoding;
    unsigned inflight;
    int rc;

    inflight = atomic_fetch_add(&e->scrapes, 1) + 1;
    if (inflight > e->max_scrapes) {
        atomic_fetch_sub(&e->scrapes, 1);
        response = text_response("Too many scrapes at once; try again.\n");
        if (response)
            MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, "1");
        return send_response(e, connection, MHD_HTTP_SERVICE_UNAVAILABLE, response);
    }
    accept = header_value(connection, &accept_lines, MHD_HTTP_HEADER_ACCEPT);
    encoding = header_value(connection, &encoding_lines, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    if (accept_lines.failed || encoding_lines.failed)
        rc = EXTATUS_ERR_NOMEM;
    else
        rc = extatus_scrape_render(&scrape, accept, encoding, &e->scrape);
    header_list_dispose(&accept_lines);
    header_list_dispose(&encoding_lines);
    atomic_fetch_sub(&e->scrapes, 1);
    if (rc != EXTATUS_OK)
        return send_response(e, connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             text_response("The scrape could not be rendered.\n"));

    /* The response takes the body; libmicrohttpd frees it with extatus_free. */
    response = MHD_create_response_from_buffer_with_free_callback(scrape.body.size, scrape.body.ptr,
                                                                  extatus_free);
    if (!response) {
        extatus_scrape_dispose(&scrape);
        return MHD_NO;
    }
    scrape.body.ptr = NULL;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, scrape.content_type);
    if (scrape.content_encoding)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_ENCODING,
                                scrape.content_encoding);
    MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return send_response(e, connection, MHD_HTTP_OK, response);
}

/* Feed every header line of the request to the framing rules. */
static enum MHD_Result check_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    extatus__http_framing_add(cls, key, key_size, value, value_size);
    return MHD_YES;
}

/*
 * The status a request head must be refused with (0: none) and why: a
 * NUL in the target, or framing that two readers could take differently.
 */
static unsigned check_head(struct MHD_Connection *connection, const char *method,
                           const char *version, const char **reason)
{
    extatus__http_framing framing;
    if (extatus__http_conn_target_has_nul(extatus__http_guard_find(connection), method, version)) {
        *reason = "the request target holds a NUL byte";
        return MHD_HTTP_BAD_REQUEST;
    }
    extatus__http_framing_init(&framing, strcmp(version, MHD_HTTP_VERSION_1_0) == 0);
    MHD_get_connection_values_n(connection, MHD_HEADER_KIND, check_header, &framing);
    return extatus__http_framing_verdict(&framing, reason);
}

/* Refuse a request and close its connection, the rest of its bytes unread. */
static enum MHD_Result refuse_request(extatus_exporter *e, struct MHD_Connection *connection,
                                      unsigned status, const char *reason)
{
    char text[160];
    snprintf(text, sizeof text, "The request was refused: %s.\n", reason);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    return send_response(e, connection, status, response);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **request_state)
{
    extatus_exporter *e = cls;
    struct MHD_Response *response;
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
    bool head = strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    bool is_metrics;
    bool is_root;
    bool is_events;

    (void)upload_data;
    if (*request_state == NULL) {
        /* The head is complete: refuse what cannot be served safely, before any body. */
        const char *reason = NULL;
        unsigned status = check_head(connection, method, version, &reason);
        if (status != 0)
            return refuse_request(e, connection, status, reason);
        /* A whole head: no longer waiting, so neither the head deadline nor
         * an eviction may close it while it is being answered (a long scrape). */
        extatus__http_conn_busy(extatus__http_guard_find(connection), false);
    }
    /*
     * A GET or HEAD is answered once its request is complete (the first
     * call only marks it as seen, later calls drop any body), so the
     * connection can stay open for the next request. Other methods are
     * answered at once, which closes the connection without reading a body
     * we have no use for.
     */
    if ((get || head) && *request_state == NULL) {
        *request_state = e;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (!authorised(e, connection)) {
        response = text_response("Authentication required.\n");
        if (!response)
            return MHD_NO;
        enum MHD_Result result = MHD_queue_basic_auth_fail_response(connection, REALM, response);
        MHD_destroy_response(response);
        if (result == MHD_YES && e->self)
            extatus__http_count_request(e->self, MHD_HTTP_UNAUTHORIZED);
        return result;
    }

    is_metrics = strcmp(url, e->path) == 0;
    is_root = !is_metrics && strcmp(url, "/") == 0;
    is_events = !is_metrics && strcmp(url, "/events") == 0;
    if (!is_metrics && !is_root && !is_events)
        return send_response(e, connection, MHD_HTTP_NOT_FOUND, text_response("Not found.\n"));
    if (!get && !head) {
        response = text_response("Only GET and HEAD are allowed here.\n");
        if (response)
            MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        return send_response(e, connection, MHD_HTTP_METHOD_NOT_ALLOWED, response);
    }
    if (is_metrics)
        return serve_scrape(e, connection);
    if (is_events && get) {
        unsigned status = MHD_HTTP_OK;
        response = extatus__http_events_response(e->events, connection, &status);
        enum MHD_Result result = send_response(e, connection, status, response);
        if (result == MHD_YES && status == MHD_HTTP_OK) /* no deadline and no eviction */
            extatus__http_conn_busy(extatus__http_guard_find(connection), true);
        return result;
    }
    if (is_events) { /* HEAD: the headers of a stream, no stream */
        response = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
        if (response)
            MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        return send_response(e, connection, MHD_HTTP_OK, response);
    }

    response =
        MHD_create_response_from_buffer(strlen(e->landing), e->landing, MHD_RESPMEM_PERSISTENT);
    if (response)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
    return send_response(e, connection, MHD_HTTP_OK, response);
}

/* libmicrohttpd's notifications, passed to the guard. */
static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    extatus_exporter *e = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        extatus__http_guard_opened(e->guard, connection, socket_context);
    else
        extatus__http_guard_closed(e->guard, socket_context);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **request_state,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)request_state;
    (void)code;
    extatus__http_conn_done(extatus__http_guard_find(connection));
}

/* A request line was read: note where its target starts (no per-request state). */
static void *on_target(void *cls, const char *target, struct MHD_Connection *connection)
{
    (void)cls;
    extatus__http_conn_target(extatus__http_guard_find(connection), target);
    return NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Decode %XX escapes of the target (path and query parts) in place; a
 * %00 marks the request for a 400 instead of cutting the text short.
 */
static size_t on_unescape(void *cls, struct MHD_Connection *connection, char *text)
{
    size_t in = 0;
    size_t out = 0;
    (void)cls;
    while (text[in]) {
        int high = text[in] == '%' ? hex_value(text[in + 1]) : -1;
        int low = high >= 0 ? hex_value(text[in + 2]) : -1;
        if (low < 0) {
            text[out++] = text[in++];
            continue;
        }
        char c = (char)(high * 16 + low);
        in += 3;
        if (c == '\0')
            extatus__http_conn_bad_target(extatus__http_guard_find(connection));
        else
            text[out++] = c;
    }
    text[out] = '\0';
    return out;
}

/* ---- start and stop ---------------------------------------------------- */

static int copy_options(extatus_exporter *e, const extatus_exporter_options *o)
{
    size_t count = o->registry_count;
    extatus_config config = EXTATUS_CONFIG_INIT;
    bool port_from_env = false;
    bool registry_from_env = false;
    int rc;

    /* Precedence: an explicit option, then the environment, then the default. */
    if (o->port == EXTATUS_EXPORTER_PORT_UNSET) {
        rc = extatus_config_from_env_setting(&config, "port", &port_from_env);
        if (rc != EXTATUS_OK)
            return rc;
        e->port = port_from_env ? config.port : EXTATUS_DEFAULT_PORT;
    } else if (o->port > 65535) {
        return extatus_entry_error(EXTATUS_ERR_OPTION, "port %u is not in 0..65535", o->port);
    } else {
        e->port = o->port;
    }
    if (!o->registry_name && !(o->registries && o->registry_count > 0)) {
        rc = extatus_config_from_env_setting(&config, "registry", &registry_from_env);
        if (rc != EXTATUS_OK)
            return rc;
    }

    /* Bounds that keep the derived limits (ms, the server's connection cap) from wrapping. */
    if (o->connection_timeout > 86400)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "connection_timeout %u s is above one day (86400)",
                                   o->connection_timeout);
    if (o->max_connections > (1u << 20))
        return extatus_entry_error(EXTATUS_ERR_OPTION, "max_connections %u is above %u",
                                   o->max_connections, 1u << 20);
    if (o->path && !valid_path(o->path))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "path '%s' must start with '/' and hold only letters, digits "
                                   "and / . _ ~ - (at most %d bytes)",
                                   o->path, PATH_MAX_BYTES);
    if (!o->basic_auth_user != !o->basic_auth_password)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "basic_auth_user and basic_auth_password go together");
    if (o->basic_auth_user && strchr(o->basic_auth_user, ':'))
        return extatus_entry_error(EXTATUS_ERR_OPTION, "basic_auth_user '%s' must not contain ':'",
                                   o->basic_auth_user);
    if (o->basic_auth_user &&
        strlen(o->basic_auth_user) + 1 + strlen(o->basic_auth_password) >= CREDENTIALS_MAX)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "basic_auth_user and basic_auth_password are longer than %d "
                                   "bytes together",
                                   CREDENTIALS_MAX - 2);
    if (!o->tls_cert_file != !o->tls_key_file)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "tls_cert_file and tls_key_file go together");
    if (o->gzip_level < 0 || o->gzip_level > 12)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "gzip_level %d is not in 1..12",
                                   o->gzip_level);

    e->path = copy_string(o->path ? o->path : DEFAULT_PATH);
    if (!e->path)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "exporter: out of memory");
    if (o->basic_auth_user) {
        e->user = copy_string(o->basic_auth_user);
        e->password = copy_string(o->basic_auth_password);
        if (!e->user || !e->password)
            return extatus_entry_error(EXTATUS_ERR_NOMEM, "exporter: out of memory");
    }
    if (o->tls_cert_file) {
        rc = read_pem(&e->tls_cert, o->tls_cert_file, "tls_cert_file");
        if (rc == EXTATUS_OK)
            rc = read_pem(&e->tls_key, o->tls_key_file, "tls_key_file");
        if (rc != EXTATUS_OK)
            return rc;
    }

    if (!o->registries || count == 0)
        count = 1;
    e->registries = extatus_malloc(count * sizeof *e->registries);
    if (!e->registries)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "exporter: out of memory");
    if (o->registries && o->registry_count > 0) {
        for (size_t i = 0; i < count; i++) {
            e->registries[i] = o->registries[i] ? o->registries[i] : extatus_registry_default();
            if (!e->registries[i])
                return extatus_entry_error(EXTATUS_ERR_NOMEM, "exporter: out of memory");
        }
    } else {
        const char *name = o->registry_name    ? o->registry_name
                           : registry_from_env ? config.registry
                                               : "default";
        if (extatus_registry_lookup(&e->registries[0], name) != EXTATUS_OK)
            return extatus_entry_error(EXTATUS_ERR_NOT_FOUND, "registry '%s'%s does not exist",
                                       name, registry_from_env ? " (EXTATUS_REGISTRY)" : "");
    }

    e->scrape.version = EXTATUS_SCRAPE_OPTIONS_VERSION;
    e->scrape.registries = e->registries;
    e->scrape.registry_count = count;
    e->scrape.force_text = o->force_text;
    e->scrape.no_gzip = o->no_gzip;
    e->scrape.gzip_level = o->gzip_level;
    e->scrape.no_self_metrics = o->no_self_metrics;
    e->scrape.self_registry = e->registries[0];
    e->self = o->no_self_metrics ? NULL : e->registries[0];
    e->max_scrapes = o->max_scrapes ? o->max_scrapes : EXTATUS_DEFAULT_MAX_SCRAPES;
    return build_landing(e);
}

int extatus_exporter_start(extatus_exporter **out, const extatus_exporter_options *options)
{
    static const extatus_exporter_options defaults = EXTATUS_EXPORTER_OPTIONS_INIT;
    const extatus_exporter_options *o = options ? options : &defaults;
    extatus_exporter *e;
    /* Suspend and resume: event streams wait without holding a server thread. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
                     MHD_ALLOW_SUSPEND_RESUME;
    unsigned threads;
    unsigned timeout;
    unsigned max_connections;
    unsigned head_timeout_ms = EXTATUS_DEFAULT_REQUEST_HEAD_TIMEOUT * 1000;
    size_t header_bytes;
    int rc;

    if (!out)
        return extatus_entry_error(EXTATUS_ERR_INVALID, "extatus_exporter_start: out is NULL");
    *out = NULL;
    if (o->version < 1 || o->version > EXTATUS_EXPORTER_OPTIONS_VERSION)
        return extatus_entry_error(
            EXTATUS_ERR_INVALID, "extatus_exporter_start: unknown options version %u", o->version);
    rc = extatus_init();
    if (rc != EXTATUS_OK)
        return rc;
    e = extatus_malloc(sizeof *e);
    if (!e)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "exporter: out of memory");
    memset(e, 0, sizeof *e);
    e->listen_fd = -1;
    atomic_init(&e->scrapes, 0);
    atomic_init(&e->starting, true);

    rc = copy_options(e, o);
    if (rc == EXTATUS_OK)
        rc = open_listener(e, o->bind_address, e->port);
    if (rc != EXTATUS_OK) {
        exporter_free(e);
        return rc;
    }

    threads = o->threads ? o->threads : EXTATUS_DEFAULT_EXPORTER_THREADS;
    timeout = o->connection_timeout ? o->connection_timeout : EXTATUS_DEFAULT_CONNECTION_TIMEOUT;
    max_connections = o->max_connections ? o->max_connections : EXTATUS_DEFAULT_MAX_CONNECTIONS;
    header_bytes =
        o->max_request_headers ? o->max_request_headers : EXTATUS_DEFAULT_MAX_REQUEST_HEADERS;
    if (e->tls_cert)
        flags |= MHD_USE_TLS;
    rc = extatus__http_events_new(&e->events, timeout, e->self);
    if (rc == EXTATUS_OK) {
        extatus__http_guard_options guard = {
            .limit = max_connections,
            .head_timeout_ms = head_timeout_ms,
            .idle_timeout_ms = timeout * 1000,
            .tls = e->tls_cert != NULL,
            .self = e->self,
        };
        rc = extatus__http_guard_new(&e->guard, &guard);
    }
    if (rc != EXTATUS_OK) {
        exporter_free(e);
        return rc;
    }

    /* Options common to every configuration, then TLS, then the end marker. */
    struct MHD_OptionItem items[16];
    size_t n = 0;
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET, e->listen_fd, NULL};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, e};
    /* Room above the guard's limit for evicted connections not yet closed. */
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
                                         max_connections + max_connections / 2 + 16, NULL};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, e};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, e};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_target, e};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)on_unescape, e};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, timeout, NULL};
    items[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)header_bytes, NULL};
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL};
    if (threads > 1)
        items[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
    if (e->tls_cert) {
        items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, e->tls_cert};
        items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, e->tls_key};
    }
    items[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    e->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, e, MHD_OPTION_ARRAY, items,
                                 MHD_OPTION_END);
    /* libmicrohttpd owns the socket now: it closes it on failure and at stop. */
    e->listen_fd = -1;
    atomic_store(&e->starting, false);
    if (!e->daemon) {
        rc =
            extatus_entry_error(EXTATUS_ERR_SYSTEM, "cannot start the HTTP server on port %u%s%s%s",
                                e->port, e->tls_cert ? " (is the TLS certificate or key bad?)" : "",
                                e->log[0] ? ": " : "", e->log);
        exporter_free(e);
        return rc;
    }
    *out = e;
    return EXTATUS_OK;
}

unsigned extatus_exporter_port(const extatus_exporter *exporter)
{
    return exporter ? exporter->port : 0;
}

void extatus_exporter_stop(extatus_exporter *exporter)
{
    exporter_free(exporter);
}
