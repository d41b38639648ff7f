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
 * Tags keep every label set apart (two different label sets never give
 * the same path): a tag value is written as it is, UTF-8 included, except
 * for what the line or the tag syntax cannot carry, which is %XX-escaped
 * (see needs_escape); '%' itself is escaped, so the encoding can be
 * undone. The tag `name` is Graphite's own (carbon overwrites it with the
 * metric name), so label names that are `name` or begin with '_' get one
 * more '_' in front: name -> _name, _name -> __name.
 *
 * Connects and writes go through the report layer's helpers, which keep
 * to the reporter's deadlines and give up when it is stopped. A failed
 * connect or write returns EXTATUS_ERR_SYSTEM: the report layer then
 * terminates the reporter (closing its connection) and starts it again
 * later, which reconnects. A connection the receiver has closed since the
 * last delivery is noticed before anything is written into it, and
 * replaced by a new one.
 */
#include "core/format.h"
#include "core/util.h"
#include "extatus/sys/reporter.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
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

static void disconnect(line_state *self)
{
    if (self->own && self->fd >= 0) {
        close(self->fd);
        self->fd = -1;
    }
}

static void line_free(line_state *self)
{
    if (!self)
        return;
    disconnect(self);
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

/*
 * Bytes of a tag name or value that are %XX-escaped. The plaintext line is
 * split at white space, and carbon reads it as UTF-8 text: so no ASCII
 * control character or space. The tag syntax (Graphite 1.1) forbids ';'
 * anywhere, "!^=" in names and '~' at the start of a value. carbon reads a
 * path that ends in "\"}" as OpenMetrics, so a closing brace at the end is
 * escaped too. And '%', the escape itself.
 */
static bool needs_escape(const char *text, const char *p, bool tag_name)
{
    unsigned char c = (unsigned char)*p;
    if (c <= ' ' || c == 127 || c == ';' || c == '%')
        return true;
    if (tag_name)
        return c == '!' || c == '^' || c == '=';
    return (c == '~' && p == text) || (c == '}' && !p[1]);
}

/* A tag name or value, escaped (see needs_escape). */
static int append_tag(extatus_buf *out, const char *text, bool tag_name)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const char *p = text; *p; p++) {
        char escaped[3] = {'%', hex[(unsigned char)*p >> 4], hex[(unsigned char)*p & 15]};
        bool escape = needs_escape(text, p, tag_name);
        int rc = extatus__buf_append(out, escape ? escaped : p, escape ? 3 : 1);
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

/* The tag name of a label: `name` is Graphite's, so it and every name starting with '_' get a '_'.
 */
static int append_tag_name(extatus_buf *out, const char *label)
{
    if (strcmp(label, "name") == 0 || label[0] == '_') {
        int rc = extatus__buf_append(out, "_", 1);
        if (rc != EXTATUS_OK)
            return rc;
    }
    return append_tag(out, label, true);
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

/* Put the reporter's name in front of the message of the failure rc. */
static int failed(const line_state *self, int rc)
{
    char reason[256];
    snprintf(reason, sizeof(reason), "%s", extatus_error_last());
    return extatus_entry_error(rc, "reporter '%s': %s", self->name, reason);
}

static int connect_tcp(line_state *self)
{
    int rc = extatus_reporter_connect(&self->fd, self->host, self->port);
    if (rc != EXTATUS_OK)
        return failed(self, rc);
    self->own = true;
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
            rc = append_tag_name(out, item->label_names[i]);
        if (rc == EXTATUS_OK)
            rc = extatus__buf_append(out, "=", 1);
        if (rc == EXTATUS_OK)
            rc = append_tag(out, item->label_values[i], false);
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
    if (self->fd < 0) {
        int rc = connect_tcp(self);
        if (rc != EXTATUS_OK)
            return rc;
    }
    int rc = extatus_reporter_send(self->fd, self->out.ptr, self->out.size);
    if (rc == EXTATUS_ERR_STATE && self->own) {
        /* The receiver closed the connection since the last delivery: nothing was sent. */
        disconnect(self);
        if ((rc = connect_tcp(self)) == EXTATUS_OK)
            rc = extatus_reporter_send(self->fd, self->out.ptr, self->out.size);
    }
    if (rc != EXTATUS_OK) {
        disconnect(self);
        return failed(self, rc == EXTATUS_ERR_STATE ? EXTATUS_ERR_SYSTEM : rc);
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
