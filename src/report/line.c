/*
 * line.c - the Graphite plaintext line reporter.
 *
 * Each item becomes one line "path value timestamp\n" (Graphite's
 * plaintext protocol, port 2003 by default on carbon), written to a file
 * descriptor the program gives or to a TCP connection the reporter opens
 * itself. The path is [prefix.]metric.datapoint; label pairs follow as
 * Graphite 1.1 tags (";name=value"), which carbon, graphite_exporter and
 * VictoriaMetrics read. An interval's lines go out in one write.
 *
 * A failed connect or write returns EXTATUS_ERR_SYSTEM: the report layer
 * then terminates the reporter (closing its connection) and starts it
 * again later, which reconnects.
 */
#include "core/internal.h"
#include "core/format.h"
#include "extatus/sys/reporter.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct line_state {
    char *name;      /* reporter name, for messages */
    int fd;          /* where lines go; -1: not connected */
    bool own;        /* the reporter opened fd (a TCP connection) */
    char *host;      /* "address" host, NULL with "fd" */
    char *port;      /* "address" port */
    char *prefix;    /* sanitised prefix, NULL when none */
    extatus_buf out; /* lines of one delivery */
} line_state;

static void line_free(line_state *self)
{
    if (!self)
        return;
    if (self->own && self->fd >= 0)
        close(self->fd);
    extatus__free(self->name);
    extatus__free(self->host);
    extatus__free(self->port);
    extatus__free(self->prefix);
    extatus_buf_dispose(&self->out);
    extatus__free(self);
}

/* Characters kept in a path component; the rest become '_'. */
static bool path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == ':';
}

/* Tag names and values: printable ASCII without the separators Graphite reserves. */
static bool tag_char(char c)
{
    return c > ' ' && c < 127 && c != ';' && c != '~' && c != '=' && c != '!' && c != '^';
}

static int append_clean(extatus_buf *out, const char *text, bool (*keep)(char), bool dots)
{
    for (const char *p = text; *p; p++) {
        char c = '_';
        if (keep(*p) || (dots && *p == '.'))
            c = *p;
        int rc = extatus__buf_append(out, &c, 1);
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

static int parse_address(line_state *self, const char *address)
{
    const char *colon = strrchr(address, ':');
    if (!colon || colon == address || !colon[1])
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "reporter '%s': address '%s' must be host:port", self->name,
                                   address);
    const char *host = address;
    size_t host_length = (size_t)(colon - address);
    if (host[0] == '[' && host_length > 2 && host[host_length - 1] == ']') { /* [::1]:2003 */
        host++;
        host_length -= 2;
    }
    self->host = extatus__malloc(host_length + 1);
    self->port = extatus__strdup(colon + 1);
    if (!self->host || !self->port)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "reporter '%s': out of memory", self->name);
    memcpy(self->host, host, host_length);
    self->host[host_length] = '\0';
    return EXTATUS_OK;
}

static int line_init(void **state, const char *name, const extatus_option *options,
                     size_t option_count)
{
    line_state *self = extatus__calloc(1, sizeof(*self));
    if (!self || !(self->name = extatus__strdup(name))) {
        extatus__free(self);
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "reporter '%s': out of memory", name);
    }
    self->fd = -1;
    self->out = (extatus_buf)EXTATUS_BUF_INIT;
    const extatus_option *fd = NULL;
    const extatus_option *address = NULL;
    const extatus_option *prefix = NULL;
    int rc = EXTATUS_OK;
    for (size_t i = 0; i < option_count && rc == EXTATUS_OK; i++) {
        const extatus_option *opt = &options[i];
        if (strcmp(opt->key, "fd") == 0 && opt->kind == EXTATUS_OPTION_NUMBER &&
            extatus__is_whole(opt->number, 0, 2147483647.0))
            fd = opt;
        else if (strcmp(opt->key, "address") == 0 && opt->kind == EXTATUS_OPTION_STRING &&
                 opt->string)
            address = opt;
        else if (strcmp(opt->key, "prefix") == 0 && opt->kind == EXTATUS_OPTION_STRING &&
                 opt->string)
            prefix = opt;
        else
            rc = extatus_entry_error(EXTATUS_ERR_OPTION,
                                     "reporter '%s': bad option '%s' (line reporters take fd: a "
                                     "descriptor number, address: \"host:port\", prefix: a "
                                     "string)",
                                     name, opt->key);
    }
    if (rc == EXTATUS_OK && (fd != NULL) == (address != NULL))
        rc = extatus_entry_error(EXTATUS_ERR_OPTION,
                                 "reporter '%s': give exactly one of 'fd' and 'address'", name);
    if (rc == EXTATUS_OK && fd)
        self->fd = (int)fd->number;
    if (rc == EXTATUS_OK && address)
        rc = parse_address(self, address->string);
    if (rc == EXTATUS_OK && prefix && prefix->string[0]) {
        extatus_buf clean = EXTATUS_BUF_INIT;
        rc = append_clean(&clean, prefix->string, path_char, true);
        if (rc == EXTATUS_OK && !(self->prefix = extatus__strdup(clean.ptr)))
            rc = EXTATUS_ERR_NOMEM;
        extatus_buf_dispose(&clean);
    }
    if (rc != EXTATUS_OK) {
        line_free(self);
        return rc;
    }
    *state = self;
    return EXTATUS_OK;
}

static int connect_tcp(line_state *self)
{
    struct addrinfo hints;
    struct addrinfo *found = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int gai = getaddrinfo(self->host, self->port, &hints, &found);
    if (gai != 0)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "reporter '%s': cannot resolve %s:%s: %s",
                                   self->name, self->host, self->port, gai_strerror(gai));
    int err = 0;
    for (struct addrinfo *ai = found; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            self->fd = fd;
            self->own = true;
            break;
        }
        err = errno;
        close(fd);
    }
    freeaddrinfo(found);
    if (self->fd < 0)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "reporter '%s': cannot connect to %s:%s: %s",
                                   self->name, self->host, self->port, strerror(err));
    return EXTATUS_OK;
}

static int format_item(line_state *self, const extatus_report_item *item)
{
    char number[EXTATUS__NUMBER_MAX + 1];
    char *end;
    if (item->value.kind == EXTATUS_VALUE_INT) {
        end = extatus__format_int(number, item->value.integer);
    } else {
        if (!isfinite(item->value.number))
            return EXTATUS_OK; /* Graphite has no NaN or infinity: leave the line out */
        end = extatus__format_double(number, item->value.number, false);
    }
    *end = '\0';
    extatus_buf *out = &self->out;
    int rc = EXTATUS_OK;
    if (self->prefix) {
        rc = extatus__buf_append(out, self->prefix, strlen(self->prefix));
        if (rc == EXTATUS_OK)
            rc = extatus__buf_append(out, ".", 1);
    }
    if (rc == EXTATUS_OK)
        rc = append_clean(out, item->metric, path_char, false);
    if (rc == EXTATUS_OK)
        rc = extatus__buf_append(out, ".", 1);
    if (rc == EXTATUS_OK)
        rc = append_clean(out, item->datapoint, path_char, false);
    for (size_t i = 0; rc == EXTATUS_OK && i < item->label_count; i++) {
        if (!item->label_values[i][0])
            continue; /* an empty value means "no such label" in Prometheus */
        rc = extatus__buf_append(out, ";", 1);
        if (rc == EXTATUS_OK)
            rc = append_clean(out, item->label_names[i], tag_char, false);
        if (rc == EXTATUS_OK)
            rc = extatus__buf_append(out, "=", 1);
        if (rc == EXTATUS_OK)
            rc = append_clean(out, item->label_values[i], tag_char, false);
    }
    char tail[EXTATUS__NUMBER_MAX + 24];
    int length =
        snprintf(tail, sizeof(tail), " %s %lld\n", number, (long long)(item->timestamp_ms / 1000));
    if (rc == EXTATUS_OK)
        rc = extatus__buf_append(out, tail, (size_t)length);
    return rc;
}

static int send_all(line_state *self)
{
    const char *p = self->out.ptr;
    size_t left = self->out.size;
    while (left) {
        ssize_t sent = self->own ? send(self->fd, p, left, MSG_NOSIGNAL) : write(self->fd, p, left);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0) {
            int err = sent < 0 ? errno : EPIPE;
            if (self->own) {
                close(self->fd);
                self->fd = -1;
            }
            return extatus_entry_error(EXTATUS_ERR_SYSTEM, "reporter '%s': write failed: %s",
                                       self->name, strerror(err));
        }
        p += sent;
        left -= (size_t)sent;
    }
    return EXTATUS_OK;
}

static int line_bulk(void *state, const extatus_report_item *items, size_t count)
{
    line_state *self = state;
    self->out.size = 0;
    int rc = EXTATUS_OK;
    for (size_t i = 0; i < count && rc == EXTATUS_OK; i++)
        rc = format_item(self, &items[i]);
    if (rc != EXTATUS_OK)
        return extatus_entry_error(rc, "reporter '%s': out of memory", self->name);
    if (self->out.size == 0)
        return EXTATUS_OK;
    if (self->fd < 0 && (rc = connect_tcp(self)) != EXTATUS_OK)
        return rc;
    return send_all(self);
}

static int line_report(void *state, const extatus_report_item *item)
{
    return line_bulk(state, item, 1);
}

static void line_terminate(void *state, int reason)
{
    (void)reason;
    line_free(state);
}

static const extatus_reporter_ops line_ops = {
    .version = EXTATUS_REPORTER_OPS_VERSION,
    .init = line_init,
    .report = line_report,
    .report_bulk = line_bulk,
    .subscribe = NULL,
    .unsubscribe = NULL,
    .new_entry = NULL,
    .setopts = NULL,
    .terminate = line_terminate,
};

const extatus_reporter_ops *extatus_reporter_line(void)
{
    return &line_ops;
}
