/*
 * pushgateway.c - the Pushgateway client: extatus_push_once,
 * extatus_push_delete and the pushgateway reporter, on the public API
 * and the transport of push_http.h.
 *
 * A pusher holds what every push of one reporter (or one call) shares:
 * the group's URL (job and grouping labels in the path, @base64 where a
 * value needs it), the method, and an HTTP client. A push renders the
 * registries with extatus_expose (text 0.0.4), keeps the families asked
 * for, refuses a series that carries the job or a grouping label, and
 * sends the body. Every request is counted in the default registry:
 * extatus_push_{sent,failed,retried}_total, extatus_push_bytes_total,
 * extatus_push_last_success_timestamp_seconds and
 * extatus_push_request_duration_seconds, each with the label `reporter`
 * (the reporter's name, or "push_once" for the one-call pushes).
 */
#include "push_http.h"
#include "push_util.h"

#include "extatus.h"
#include "extatus/push.h"
#include "extatus/sys/entry.h"
#include "extatus/sys/reporter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ONCE_NAME "push_once"

/* ---- text ------------------------------------------------------------------------ */

/* A growing string on the library's allocator. */
typedef struct text {
    char *ptr;
    size_t size;
    size_t capacity;
    bool failed; /* an allocation failed; ptr holds what was appended before */
} text;

static void text_append(text *t, const char *bytes, size_t size)
{
    if (t->failed)
        return;
    if (t->size + size + 1 > t->capacity) {
        size_t capacity = t->capacity ? t->capacity : 128;
        while (capacity < t->size + size + 1)
            capacity *= 2;
        char *bigger = extatus_malloc(capacity);
        if (!bigger) {
            t->failed = true;
            return;
        }
        if (t->size)
            memcpy(bigger, t->ptr, t->size);
        extatus_free(t->ptr);
        t->ptr = bigger;
        t->capacity = capacity;
    }
    memcpy(t->ptr + t->size, bytes, size);
    t->size += size;
    t->ptr[t->size] = '\0';
}

static void text_add(text *t, const char *string)
{
    text_append(t, string, strlen(string));
}

/* ---- the group's path ------------------------------------------------------------ */

/* Append `value` percent-encoded for one path segment (unreserved characters kept). */
static void add_escaped(text *t, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        char escaped[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        text_append(t, keep ? (const char *)p : escaped, keep ? 1 : 3);
    }
}

/* Append `value` in URL-safe base64 without padding (RFC 4648 section 5); "=" when empty. */
static void add_base64(text *t, const char *value)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = (const unsigned char *)value;
    size_t n = strlen(value);
    if (n == 0) {
        text_add(t, "=");
        return;
    }
    for (size_t i = 0; i < n; i += 3) {
        unsigned long chunk = (unsigned long)p[i] << 16;
        if (i + 1 < n)
            chunk |= (unsigned long)p[i + 1] << 8;
        if (i + 2 < n)
            chunk |= p[i + 2];
        char out[4] = {alphabet[(chunk >> 18) & 63], alphabet[(chunk >> 12) & 63],
                       alphabet[(chunk >> 6) & 63], alphabet[chunk & 63]};
        text_append(t, out, i + 2 < n ? 4 : i + 1 < n ? 3 : 2);
    }
}

/* Append "/name/value", or "/name@base64/..." when the value is empty or holds a '/'. */
static void add_pair(text *t, const char *name, const char *value)
{
    text_add(t, "/");
    text_add(t, name);
    if (!*value || strchr(value, '/')) {
        text_add(t, "@base64/");
        add_base64(t, value);
    } else {
        text_add(t, "/");
        add_escaped(t, value);
    }
}

static bool label_name_ok(const char *name)
{
    if (!name ||
        !((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') || *name == '_'))
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return strncmp(name, "__", 2) != 0;
}

/* ---- settings: options, environment ----------------------------------------------- */

/* Everything a pusher is made from; strings are borrowed. */
typedef struct settings {
    const char *name; /* reporter name, or ONCE_NAME */
    const char *url;
    const char *job;
    const char *const *grouping; /* "name=value" each */
    size_t grouping_count;
    const char *grouping_env; /* "name=value,name=value" from the environment */
    extatus_push_method method;
    bool gzip;
    bool delete_on_stop;
    extatus__push_http_config http;
} settings;

/* Fill what is unset from EXTATUS_PUSHGATEWAY_*; an empty variable counts as unset. */
static void settings_from_env(settings *s)
{
    static const struct {
        const char *variable;
        size_t offset;
    } strings[] = {
        {"EXTATUS_PUSHGATEWAY_URL", offsetof(settings, url)},
        {"EXTATUS_PUSHGATEWAY_JOB", offsetof(settings, job)},
        {"EXTATUS_PUSHGATEWAY_USERNAME", offsetof(settings, http.username)},
        {"EXTATUS_PUSHGATEWAY_PASSWORD", offsetof(settings, http.password)},
    };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        const char **field = (const char **)(void *)((char *)s + strings[i].offset);
        const char *value = getenv(strings[i].variable);
        if (!*field && value && *value)
            *field = value;
    }
    const char *grouping = getenv("EXTATUS_PUSHGATEWAY_GROUPING");
    if (!s->grouping && grouping && *grouping)
        s->grouping_env = grouping;
}

/* ---- the pusher ------------------------------------------------------------------ */

typedef struct family_ref {
    char *registry; /* registry name */
    char *metric;   /* family name */
} family_ref;

typedef struct pusher {
    char *name;         /* reporter name, or ONCE_NAME */
    char *url;          /* the group's URL */
    char **label_names; /* "job" and the grouping label names */
    size_t label_count; /* entries in label_names */
    extatus_push_method method;
    bool gzip;
    bool delete_on_stop;
    bool terminating;         /* the final DELETE runs: not abandoned */
    bool last_failed;         /* the previous push failed: the next one is a retry */
    extatus__push_http *http; /* the HTTP client */
    family_ref *families;     /* the reporter's subscribed families */
    size_t family_count;
    extatus_buf body; /* the rendered registries */
} pusher;

static void pusher_free(pusher *p)
{
    if (!p)
        return;
    extatus__push_http_free(p->http);
    for (size_t i = 0; i < p->label_count; i++)
        extatus_free(p->label_names[i]);
    extatus_free(p->label_names);
    for (size_t i = 0; i < p->family_count; i++) {
        extatus_free(p->families[i].registry);
        extatus_free(p->families[i].metric);
    }
    extatus_free(p->families);
    extatus_buf_dispose(&p->body);
    extatus_free(p->name);
    extatus_free(p->url);
    extatus_free(p);
}

/* The reporter is being removed (or the library shuts down): no longer listed by name. */
static bool reporter_gone(void *arg)
{
    pusher *p = arg;
    if (p->terminating)
        return false;
    extatus_reporter_status status;
    return extatus_reporter_get_status(p->name, &status) == EXTATUS_ERR_NOT_FOUND;
}

/* Add one grouping label "name=value" (length name_size) to the URL and the label list. */
static int add_grouping(pusher *p, text *url, const char *pair, size_t pair_size)
{
    const char *equals = memchr(pair, '=', pair_size);
    char name[128];
    char value_stack[256];
    size_t name_size = equals ? (size_t)(equals - pair) : 0;
    if (!equals || name_size == 0 || name_size >= sizeof(name))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "push: grouping label '%.*s' is not \"name=value\" (with a "
                                   "name of 1 to 127 bytes)",
                                   (int)pair_size, pair);
    memcpy(name, pair, name_size);
    name[name_size] = '\0';
    if (!label_name_ok(name) || strcmp(name, "job") == 0)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "push: grouping label name '%s' is not a valid label name "
                                   "(or is 'job', which the job option sets)",
                                   name);
    for (size_t i = 0; i < p->label_count; i++)
        if (strcmp(p->label_names[i], name) == 0)
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "push: grouping label '%s' is given twice", name);
    size_t value_size = pair_size - name_size - 1;
    char *value = value_size < sizeof(value_stack) ? value_stack : extatus_malloc(value_size + 1);
    char *copy = extatus__push_strdup(name);
    char **names = extatus_malloc((p->label_count + 1) * sizeof(char *));
    if (!value || !copy || !names) {
        if (value != value_stack)
            extatus_free(value);
        extatus_free(copy);
        extatus_free(names);
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory");
    }
    memcpy(value, equals + 1, value_size);
    value[value_size] = '\0';
    add_pair(url, name, value);
    if (value != value_stack)
        extatus_free(value);
    if (p->label_count)
        memcpy(names, p->label_names, p->label_count * sizeof(char *));
    names[p->label_count++] = copy;
    extatus_free(p->label_names);
    p->label_names = names;
    return EXTATUS_OK;
}

static int pusher_new(pusher **out, settings *s)
{
    *out = NULL;
    settings_from_env(s);
    if (!s->url || !*s->url)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "push: no Pushgateway URL (option url or "
                                                       "EXTATUS_PUSHGATEWAY_URL)");
    if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "push: URL '%s' must start with http:// or https://", s->url);
    /* user:password@host would show in every error message: credentials go in their options. */
    const char *authority = strstr(s->url, "://") + 3;
    const char *credentials_end = strchr(authority, '@');
    if (credentials_end && credentials_end < authority + strcspn(authority, "/?#"))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "push: the URL holds credentials (user@host); give them as "
                                   "username and password instead, which error messages never "
                                   "show");
    if (!s->job || !*s->job)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "push: no job name (option job or EXTATUS_PUSHGATEWAY_JOB)");
    if (s->method != EXTATUS_PUSH_PUT && s->method != EXTATUS_PUSH_POST)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "push: unknown method %d", (int)s->method);

    pusher *p = extatus_malloc(sizeof(*p));
    if (!p)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory");
    memset(p, 0, sizeof(*p));
    p->body = (extatus_buf)EXTATUS_BUF_INIT;
    p->method = s->method;
    p->gzip = s->gzip;
    p->delete_on_stop = s->delete_on_stop;
    p->name = extatus__push_strdup(s->name);
    p->label_names = extatus_malloc(sizeof(char *));
    int rc = p->name && p->label_names && (p->label_names[0] = extatus__push_strdup("job"))
                 ? EXTATUS_OK
                 : extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory");
    if (rc == EXTATUS_OK)
        p->label_count = 1;

    /* The URL: base (without trailing '/'), /metrics, the job, the grouping labels. */
    text url = {0};
    size_t base = strlen(s->url);
    while (base > 0 && s->url[base - 1] == '/')
        base--;
    text_append(&url, s->url, base);
    text_add(&url, "/metrics");
    add_pair(&url, "job", s->job);
    for (size_t i = 0; rc == EXTATUS_OK && i < s->grouping_count; i++) {
        const char *pair = s->grouping[i] ? s->grouping[i] : "";
        rc = add_grouping(p, &url, pair, strlen(pair));
    }
    for (const char *at = s->grouping_env; rc == EXTATUS_OK && at && *at;) {
        size_t length = strcspn(at, ",");
        rc = add_grouping(p, &url, at, length);
        at += length + (at[length] == ',');
    }
    if (rc == EXTATUS_OK && url.failed)
        rc = extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory");
    p->url = url.ptr;
    s->http.stopping_arg = p;
    if (rc == EXTATUS_OK)
        rc = extatus__push_http_new(&p->http, &s->http);
    if (rc != EXTATUS_OK) {
        pusher_free(p);
        return rc;
    }
    *out = p;
    return EXTATUS_OK;
}

/* ---- self-metrics ---------------------------------------------------------------- */

static const char *const self_label[] = {"reporter"};

enum { SELF_SENT, SELF_FAILED, SELF_RETRIED, SELF_BYTES, SELF_LAST, SELF_DURATION, SELF_COUNT };
static const struct {
    const char *name;
    const char *type;
    const char *help;
} self_metrics[SELF_COUNT] = {
    {"extatus_push_sent_total", "counter", "Pushes the Pushgateway accepted."},
    {"extatus_push_failed_total", "counter",
     "Pushes that failed: no connection, timeout, or an answer that is not 2xx."},
    {"extatus_push_retried_total", "counter", "Pushes sent again after a failed push."},
    {"extatus_push_bytes_total", "counter", "Request body bytes sent (after compression)."},
    {"extatus_push_last_success_timestamp_seconds", "gauge",
     "When the last push was accepted (seconds since the epoch)."},
    {"extatus_push_request_duration_seconds", "histogram", "Time each push request took."},
};

/* Create the self-metric families (outside a delivery: creating metrics there is not allowed). */
static void self_metrics_create(void)
{
    for (int i = 0; i < SELF_COUNT; i++) {
        extatus_option options[] = {
            EXTATUS_OPT_STRING("help", self_metrics[i].help),
            EXTATUS_OPT_STRINGS("labels", self_label, 1),
        };
        extatus_family *family = NULL;
        /* A program's own metric of that name wins; then this one is not counted. */
        (void)extatus_family_new(&family, NULL, self_metrics[i].name, self_metrics[i].type, options,
                                 2);
    }
    extatus_error_clear();
}

/* The series of self-metric i for this pusher, or NULL (a lookup: never creates a family). */
static extatus_family *self_family(int i)
{
    extatus_family *family = NULL;
    if (extatus_family_lookup(&family, NULL, self_metrics[i].name) != EXTATUS_OK ||
        strcmp(extatus_family_type(family), self_metrics[i].type) != 0 ||
        extatus_family_label_count(family) != 1)
        return NULL;
    return family;
}

static void self_count(const pusher *p, const extatus__push_http_result *result, bool ok)
{
    extatus_labels labels = EXTATUS_LABELS(p->name);
    extatus_family *family;
    extatus_counter *counter = NULL;
    int counted = ok ? SELF_SENT : SELF_FAILED;
    if ((family = self_family(counted)) && extatus_counter_get(&counter, family, labels) == 0)
        extatus_counter_inc(counter);
    if (p->last_failed && (family = self_family(SELF_RETRIED)) &&
        extatus_counter_get(&counter, family, labels) == 0)
        extatus_counter_inc(counter);
    if ((family = self_family(SELF_BYTES)) && extatus_counter_get(&counter, family, labels) == 0)
        extatus_counter_add(counter, result->bytes_sent);
    extatus_gauge *gauge = NULL;
    if (ok && (family = self_family(SELF_LAST)) && extatus_gauge_get(&gauge, family, labels) == 0)
        extatus_gauge_set_to_current_time(gauge);
    extatus_histogram *histogram = NULL;
    if (result->duration_ns > 0 && (family = self_family(SELF_DURATION)) &&
        extatus_histogram_get(&histogram, family, labels) == 0)
        extatus_histogram_observe(histogram, (double)result->duration_ns / 1e9);
    extatus_error_clear();
}

/* ---- the body -------------------------------------------------------------------- */

/* The name of a family block's "# HELP name" / "# TYPE name" line, or NULL. */
static const char *comment_family(const char *line, size_t size, size_t *name_size)
{
    if (size < 8 || (strncmp(line, "# HELP ", 7) != 0 && strncmp(line, "# TYPE ", 7) != 0))
        return NULL;
    const char *name = line + 7;
    const char *end = memchr(name, ' ', size - 7);
    *name_size = end ? (size_t)(end - name) : size - 7;
    return name;
}

static bool subscribed(const pusher *p, const char *name, size_t size)
{
    for (size_t i = 0; i < p->family_count; i++)
        if (strlen(p->families[i].metric) == size && memcmp(p->families[i].metric, name, size) == 0)
            return true;
    return false;
}

/* Keep only the blocks of the subscribed families in p->body (in place). */
static void keep_subscribed(pusher *p)
{
    char *read = p->body.ptr;
    char *end = p->body.ptr + p->body.size;
    char *write = p->body.ptr;
    bool keep = false;
    while (read < end) {
        char *newline = memchr(read, '\n', (size_t)(end - read));
        size_t size = newline ? (size_t)(newline - read) + 1 : (size_t)(end - read);
        size_t name_size = 0;
        const char *name = comment_family(read, size, &name_size);
        if (name)
            keep = subscribed(p, name, name_size);
        if (keep) {
            memmove(write, read, size);
            write += size;
        }
        read += size;
    }
    p->body.size = (size_t)(write - p->body.ptr);
    if (p->body.capacity > p->body.size)
        p->body.ptr[p->body.size] = '\0';
}

/*
 * Refuse a series that carries the job or a grouping label (the
 * Pushgateway would overwrite it). Reads the sample lines of the text
 * body: name{label="value",...} value.
 */
static int check_labels(const pusher *p)
{
    const char *at = p->body.ptr;
    const char *end = at + p->body.size;
    while (at && at < end) {
        const char *line = at;
        const char *newline = memchr(at, '\n', (size_t)(end - at));
        at = newline ? newline + 1 : NULL;
        if (*line == '#')
            continue;
        const char *brace = line;
        while (brace < end && *brace != '{' && *brace != ' ' && *brace != '\n')
            brace++;
        if (brace >= end || *brace != '{')
            continue;
        const char *q = brace + 1;
        while (q < end && *q != '}') {
            const char *label = q;
            while (q < end && *q != '=')
                q++;
            size_t label_size = (size_t)(q - label);
            for (size_t i = 0; i < p->label_count; i++)
                if (strlen(p->label_names[i]) == label_size &&
                    memcmp(p->label_names[i], label, label_size) == 0)
                    return extatus_entry_error(
                        EXTATUS_ERR_LABEL,
                        "push to %s refused: the series %.*s already has the label '%s', "
                        "which the %s sets",
                        p->url, (int)(brace - line), line, p->label_names[i],
                        i == 0 ? "job" : "grouping");
            q += 2; /* =" */
            while (q < end && *q != '"')
                q += *q == '\\' ? 2 : 1;
            q++; /* closing quote */
            if (q < end && *q == ',')
                q++;
        }
    }
    return EXTATUS_OK;
}

/* Send the body (or a DELETE), count it, and remember whether it failed. */
static int send_request(pusher *p, const char *method, bool with_body, bool count)
{
    extatus__push_http_request request = {0};
    request.method = method;
    request.url = p->url;
    if (with_body) {
        request.content_type = extatus_format_content_type(EXTATUS_FORMAT_TEXT);
        request.body = p->body.ptr ? p->body.ptr : "";
        request.body_size = p->body.size;
        request.gzip = p->gzip;
    }
    extatus__push_http_result result;
    int rc = extatus__push_http_send(p->http, &request, &result);
    if (count) {
        /* Counting runs public calls that may reset the thread's message: keep it. */
        char message[768];
        snprintf(message, sizeof(message), "%s", extatus_error_last());
        self_count(p, &result, rc == EXTATUS_OK);
        if (rc != EXTATUS_OK)
            extatus_entry_error(rc, "%s", message);
    }
    p->last_failed = rc != EXTATUS_OK;
    return rc;
}

/* Render `registries` (NULL/0: default) into p->body, filter, check and push. */
static int push_registries(pusher *p, extatus_registry *const *registries, size_t count,
                           bool filter)
{
    p->body.size = 0;
    int rc = extatus_expose(&p->body, registries, count, NULL);
    if (rc != EXTATUS_OK)
        return rc;
    if (filter)
        keep_subscribed(p);
    rc = check_labels(p);
    if (rc != EXTATUS_OK)
        return rc;
    return send_request(p, p->method == EXTATUS_PUSH_POST ? "POST" : "PUT", true, true);
}

/* ---- one-call pushes ------------------------------------------------------------- */

static int settings_from_options(settings *s, const extatus_push_options *o)
{
    memset(s, 0, sizeof(*s));
    if (!o)
        return extatus_entry_error(EXTATUS_ERR_INVALID, "push: options are NULL");
    if (o->version != EXTATUS_PUSH_OPTIONS_VERSION)
        return extatus_entry_error(EXTATUS_ERR_INVALID, "push: options version %u is not %d",
                                   o->version, EXTATUS_PUSH_OPTIONS_VERSION);
    if ((o->grouping_count && !o->grouping) || (o->registry_count && !o->registries) ||
        (o->header_count && !o->headers))
        return extatus_entry_error(EXTATUS_ERR_INVALID, "push: a count without its array");
    s->name = ONCE_NAME;
    s->url = o->url;
    s->job = o->job;
    s->grouping = o->grouping;
    s->grouping_count = o->grouping_count;
    s->method = o->method;
    s->gzip = o->gzip != 0;
    s->http.username = o->username;
    s->http.password = o->password;
    s->http.bearer_token = o->bearer_token;
    s->http.ca_file = o->ca_file;
    s->http.headers = o->headers;
    s->http.header_count = o->header_count;
    s->http.connect_timeout_ms = o->connect_timeout_ms;
    s->http.timeout_ms = o->timeout_ms;
    return EXTATUS_OK;
}

int extatus_push_once(const extatus_push_options *options)
{
    settings s;
    int rc = settings_from_options(&s, options);
    if (rc != EXTATUS_OK)
        return rc;
    extatus_registry *chosen = NULL;
    extatus_registry *const *registries = options->registries;
    size_t count = options->registry_count;
    if (!count) {
        extatus_config config = EXTATUS_CONFIG_INIT;
        bool found = false;
        rc = extatus_config_from_env_setting(&config, "registry", &found);
        if (rc != EXTATUS_OK)
            return rc;
        if (found && (rc = extatus_registry_lookup(&chosen, config.registry)) != EXTATUS_OK)
            return extatus_entry_error(rc, "push: EXTATUS_REGISTRY names '%s', no such registry",
                                       config.registry);
        registries = found ? &chosen : NULL;
        count = found ? 1 : 0;
    }
    pusher *p = NULL;
    rc = pusher_new(&p, &s);
    if (rc != EXTATUS_OK)
        return rc;
    self_metrics_create();
    rc = push_registries(p, registries, count, false);
    pusher_free(p);
    return rc;
}

int extatus_push_delete(const extatus_push_options *options)
{
    settings s;
    int rc = settings_from_options(&s, options);
    pusher *p = NULL;
    if (rc == EXTATUS_OK)
        rc = pusher_new(&p, &s);
    if (rc != EXTATUS_OK)
        return rc;
    rc = send_request(p, "DELETE", false, false);
    pusher_free(p);
    return rc;
}

/* ---- the reporter ---------------------------------------------------------------- */

static int number_option(const extatus_option *o, const char *reporter, double low, double high,
                         double *out)
{
    if (o->kind != EXTATUS_OPTION_NUMBER || !(o->number >= low && o->number <= high) ||
        o->number != (double)(long long)o->number)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "reporter '%s': option '%s' must be a whole number from %g "
                                   "to %g",
                                   reporter, o->key, low, high);
    *out = o->number;
    return EXTATUS_OK;
}

static int string_option(const extatus_option *o, const char *reporter, const char **out)
{
    if (o->kind != EXTATUS_OPTION_STRING || !o->string)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "reporter '%s': option '%s' must be a string", reporter, o->key);
    *out = o->string;
    return EXTATUS_OK;
}

static int strings_option(const extatus_option *o, const char *reporter, const char *const **out,
                          size_t *count)
{
    if (o->kind != EXTATUS_OPTION_STRINGS || (o->count && !o->list))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "reporter '%s': option '%s' must be a list of strings", reporter,
                                   o->key);
    *out = o->list;
    *count = o->count;
    return EXTATUS_OK;
}

/* Read one reporter option into the settings. */
static int reporter_option(settings *s, const char *name, const extatus_option *o)
{
    const char *string = NULL;
    double number = 0;
    const char *key = o->key;
    if (strcmp(key, "url") == 0)
        return string_option(o, name, &s->url);
    if (strcmp(key, "job") == 0)
        return string_option(o, name, &s->job);
    if (strcmp(key, "username") == 0)
        return string_option(o, name, &s->http.username);
    if (strcmp(key, "password") == 0)
        return string_option(o, name, &s->http.password);
    if (strcmp(key, "bearer_token") == 0)
        return string_option(o, name, &s->http.bearer_token);
    if (strcmp(key, "ca_file") == 0)
        return string_option(o, name, &s->http.ca_file);
    if (strcmp(key, "grouping") == 0)
        return strings_option(o, name, &s->grouping, &s->grouping_count);
    if (strcmp(key, "headers") == 0)
        return strings_option(o, name, &s->http.headers, &s->http.header_count);
    if (strcmp(key, "method") == 0) {
        if (string_option(o, name, &string) != EXTATUS_OK || !string)
            return EXTATUS_ERR_OPTION; /* the message is set */
        if (strcmp(string, "put") != 0 && strcmp(string, "post") != 0)
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "reporter '%s': method '%s' is neither 'put' nor 'post'",
                                       name, string);
        s->method = strcmp(string, "post") == 0 ? EXTATUS_PUSH_POST : EXTATUS_PUSH_PUT;
        return EXTATUS_OK;
    }
    if (strcmp(key, "gzip") == 0 || strcmp(key, "delete_on_stop") == 0) {
        int rc = number_option(o, name, 0, 1, &number);
        *(strcmp(key, "gzip") == 0 ? &s->gzip : &s->delete_on_stop) = number != 0;
        return rc;
    }
    if (strcmp(key, "request_timeout") == 0 || strcmp(key, "request_connect_timeout") == 0) {
        int rc = number_option(o, name, 1, 3600000, &number);
        *(strcmp(key, "request_timeout") == 0 ? &s->http.timeout_ms : &s->http.connect_timeout_ms) =
            (int64_t)number;
        return rc;
    }
    return extatus_entry_error(EXTATUS_ERR_OPTION,
                               "reporter '%s': unknown option '%s' (pushgateway reporters take "
                               "url, job, grouping, method, gzip, username, password, "
                               "bearer_token, ca_file, headers, request_timeout, "
                               "request_connect_timeout, delete_on_stop)",
                               name, key);
}

static int reporter_init(void **state, const char *name, const extatus_option *options,
                         size_t option_count)
{
    settings s;
    memset(&s, 0, sizeof(s));
    s.name = name;
    for (size_t i = 0; i < option_count; i++) {
        int rc = reporter_option(&s, name, &options[i]);
        if (rc != EXTATUS_OK)
            return rc;
    }
    pusher *p = NULL;
    /* Marked before the client is made, so that its stop check looks the reporter up by name. */
    s.http.stopping = reporter_gone;
    int rc = pusher_new(&p, &s);
    if (rc != EXTATUS_OK || !p)
        return rc != EXTATUS_OK ? rc : EXTATUS_ERR_NOMEM;
    /* Started again after a failure: the first push is a retry. */
    extatus_reporter_status status;
    p->last_failed =
        extatus_reporter_get_status(name, &status) == EXTATUS_OK && status.last_error != EXTATUS_OK;
    extatus_error_clear();
    self_metrics_create();
    *state = p;
    return EXTATUS_OK;
}

static int reporter_bulk(void *state, const extatus_report_item *items, size_t count)
{
    (void)items;
    (void)count;
    pusher *p = state;
    if (!p->family_count)
        return EXTATUS_OK;
    /* The registries of the subscribed families, each once. */
    extatus_registry *stack[8];
    extatus_registry **registries =
        p->family_count <= 8 ? stack : extatus_malloc(p->family_count * sizeof(*registries));
    if (!registries)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory");
    size_t n = 0;
    for (size_t i = 0; i < p->family_count; i++) {
        extatus_registry *r = NULL;
        if (extatus_registry_lookup(&r, p->families[i].registry) != EXTATUS_OK)
            continue; /* not there yet: its subscription waits for it */
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = registries[k] == r;
        if (!seen)
            registries[n++] = r;
    }
    extatus_error_clear();
    int rc = n ? push_registries(p, registries, n, true) : EXTATUS_OK;
    if (registries != stack)
        extatus_free(registries);
    return rc;
}

static int reporter_one(void *state, const extatus_report_item *item)
{
    return reporter_bulk(state, item, 1);
}

static int reporter_subscribe(void *state, const extatus_subscription *sub)
{
    pusher *p = state;
    if (sub->label_values || sub->datapoint)
        return extatus_entry_error(EXTATUS_ERR_INVALID,
                                   "reporter '%s': a Pushgateway group holds whole families: "
                                   "subscribe to '%s' without a series or datapoint",
                                   p->name, sub->metric);
    const char *registry = sub->registry ? sub->registry : "default";
    for (size_t i = 0; i < p->family_count; i++)
        if (strcmp(p->families[i].registry, registry) == 0 &&
            strcmp(p->families[i].metric, sub->metric) == 0)
            return EXTATUS_OK;
    family_ref *grown = extatus_malloc((p->family_count + 1) * sizeof(*grown));
    char *registry_copy = extatus__push_strdup(registry);
    char *metric_copy = extatus__push_strdup(sub->metric);
    if (!grown || !registry_copy || !metric_copy) {
        extatus_free(grown);
        extatus_free(registry_copy);
        extatus_free(metric_copy);
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory");
    }
    if (p->family_count)
        memcpy(grown, p->families, p->family_count * sizeof(*grown));
    grown[p->family_count++] = (family_ref){registry_copy, metric_copy};
    extatus_free(p->families);
    p->families = grown;
    return EXTATUS_OK;
}

static void reporter_unsubscribe(void *state, const extatus_subscription *sub)
{
    pusher *p = state;
    const char *registry = sub->registry ? sub->registry : "default";
    for (size_t i = 0; i < p->family_count; i++) {
        if (strcmp(p->families[i].registry, registry) == 0 &&
            strcmp(p->families[i].metric, sub->metric) == 0) {
            extatus_free(p->families[i].registry);
            extatus_free(p->families[i].metric);
            p->families[i] = p->families[--p->family_count];
            return;
        }
    }
}

static void reporter_terminate(void *state, int reason)
{
    pusher *p = state;
    if (p && reason == EXTATUS_OK && p->delete_on_stop) {
        p->terminating = true; /* the final DELETE is bounded by the timeouts, not abandoned */
        (void)send_request(p, "DELETE", false, false);
    }
    pusher_free(p);
}

static const extatus_reporter_ops pushgateway_ops = {
    .version = EXTATUS_REPORTER_OPS_VERSION,
    .init = reporter_init,
    .report = reporter_one,
    .report_bulk = reporter_bulk,
    .subscribe = reporter_subscribe,
    .unsubscribe = reporter_unsubscribe,
    .terminate = reporter_terminate,
};

const extatus_reporter_ops *extatus_reporter_pushgateway(void)
{
    return &pushgateway_ops;
}
