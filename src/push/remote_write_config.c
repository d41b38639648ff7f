/*
 * remote_write_config.c - the remote write reporter from the environment
 * (extatus_remote_write_add) and its counters as metrics
 * (extatus_remote_write_register_metrics).
 */
#include "extatus.h"
#include "extatus/remote_write.h"
#include "extatus/sys/entry.h"

#include <stdlib.h>
#include <string.h>

#define RW_ENV_LIST_MAX 16 /* entries of an environment list (external labels, headers) */

/* A list from the environment: `text` split at `separator` into at most RW_ENV_LIST_MAX items. */
typedef struct env_list {
    char *copy;                         /* the split copy of the text */
    const char *items[RW_ENV_LIST_MAX]; /* the pieces */
    size_t count;                       /* pieces */
} env_list;

static int env_list_split(env_list *list, const char *variable, const char *text, char separator)
{
    size_t size = strlen(text) + 1;
    list->copy = extatus_malloc(size);
    if (!list->copy)
        return EXTATUS_ERR_NOMEM;
    memcpy(list->copy, text, size);
    for (char *piece = list->copy; piece;) {
        char *next = strchr(piece, separator);
        if (next)
            *next++ = '\0';
        while (*piece == ' ')
            piece++;
        if (*piece) {
            if (list->count == RW_ENV_LIST_MAX)
                return extatus_entry_error(EXTATUS_ERR_OPTION, "%s: more than %d entries", variable,
                                           RW_ENV_LIST_MAX);
            list->items[list->count++] = piece;
        }
        piece = next;
    }
    return EXTATUS_OK;
}

int extatus_remote_write_add(const char *name, const extatus_option *options, size_t option_count)
{
    static const struct {
        const char *key;
        const char *variable;
        extatus_option_kind kind;
        char separator; /* lists */
    } from_env[] = {
        {"url", "EXTATUS_REMOTE_WRITE_URL", EXTATUS_OPTION_STRING, 0},
        {"protocol", "EXTATUS_REMOTE_WRITE_PROTOCOL", EXTATUS_OPTION_STRING, 0},
        {"external_labels", "EXTATUS_REMOTE_WRITE_EXTERNAL_LABELS", EXTATUS_OPTION_STRINGS, ','},
        {"headers", "EXTATUS_REMOTE_WRITE_HEADERS", EXTATUS_OPTION_STRINGS, '\n'},
        {"username", "EXTATUS_REMOTE_WRITE_USERNAME", EXTATUS_OPTION_STRING, 0},
        {"password", "EXTATUS_REMOTE_WRITE_PASSWORD", EXTATUS_OPTION_STRING, 0},
        {"bearer_token", "EXTATUS_REMOTE_WRITE_BEARER_TOKEN", EXTATUS_OPTION_STRING, 0},
        {"ca_file", "EXTATUS_REMOTE_WRITE_CA_FILE", EXTATUS_OPTION_STRING, 0},
        {"timeout_ms", "EXTATUS_REMOTE_WRITE_TIMEOUT_MS", EXTATUS_OPTION_NUMBER, 0},
        {"shards", "EXTATUS_REMOTE_WRITE_SHARDS", EXTATUS_OPTION_NUMBER, 0},
    };
    enum { FROM_ENV = sizeof(from_env) / sizeof(from_env[0]) };
    if (!name || (option_count && !options))
        return extatus_entry_error(EXTATUS_ERR_INVALID, "remote write: NULL argument");
    extatus_option *all = extatus_malloc((option_count + FROM_ENV) * sizeof(*all));
    env_list lists[FROM_ENV];
    memset(lists, 0, sizeof(lists));
    if (!all)
        return EXTATUS_ERR_NOMEM;
    size_t count = 0;
    int rc = EXTATUS_OK;
    /* The environment first, so that the caller's options (later) win. */
    for (size_t i = 0; rc == EXTATUS_OK && i < FROM_ENV; i++) {
        const char *text = getenv(from_env[i].variable);
        if (!text || !*text || extatus_option_find(options, option_count, from_env[i].key))
            continue;
        extatus_option *o = &all[count];
        memset(o, 0, sizeof(*o));
        o->key = from_env[i].key;
        o->kind = from_env[i].kind;
        if (o->kind == EXTATUS_OPTION_STRING) {
            o->string = text;
        } else if (o->kind == EXTATUS_OPTION_NUMBER) {
            char *end = NULL;
            o->number = strtod(text, &end);
            if (end == text || *end)
                rc = extatus_entry_error(EXTATUS_ERR_OPTION, "%s: not a number: \"%s\"",
                                         from_env[i].variable, text);
        } else {
            rc = env_list_split(&lists[i], from_env[i].variable, text, from_env[i].separator);
            o->list = lists[i].items;
            o->count = lists[i].count;
        }
        count++;
    }
    if (option_count)
        memcpy(&all[count], options, option_count * sizeof(*options));
    count += option_count;
    if (rc == EXTATUS_OK && !extatus_option_find(all, count, "url"))
        rc = extatus_entry_error(EXTATUS_ERR_OPTION,
                                 "remote write: no URL (option 'url' or EXTATUS_REMOTE_WRITE_URL)");
    if (rc == EXTATUS_OK)
        rc = extatus_reporter_add(name, extatus_reporter_remote_write(), all, count);
    for (size_t i = 0; i < FROM_ENV; i++)
        extatus_free(lists[i].copy);
    extatus_free(all);
    return rc;
}

/* ---------------------------------------------------------------- self-metrics */

/* Which counter a series reads; user_data of the function metrics. */
typedef enum rw_field {
    F_SAMPLES_SENT,
    F_BYTES_SENT,
    F_SAMPLES_RETRIED,
    F_REQUESTS_FAILED,
    F_QUEUE_SAMPLES,
    F_LAST_SUCCESS,
    F_DURATION,
    F_DROPPED
} rw_field;

static const char *const dropped_reasons[] = {"invalid", "queue_full", "rejected", "retry_limit",
                                              "shutdown"};

static int read_field(double *value, const char *const *label_values, void *user_data)
{
    extatus_remote_write_stats s;
    if (extatus_remote_write_get_stats(label_values[0], &s) != EXTATUS_OK)
        return -1;
    switch ((rw_field)(intptr_t)user_data) {
    case F_SAMPLES_SENT:
        *value = (double)s.samples_sent;
        return 0;
    case F_BYTES_SENT:
        *value = (double)s.bytes_sent;
        return 0;
    case F_SAMPLES_RETRIED:
        *value = (double)s.samples_retried;
        return 0;
    case F_REQUESTS_FAILED:
        *value = (double)s.requests_failed;
        return 0;
    case F_QUEUE_SAMPLES:
        *value = (double)s.queue_samples;
        return 0;
    case F_LAST_SUCCESS:
        *value = (double)s.last_success_ms / 1000.0;
        return 0;
    case F_DURATION:
        *value = (double)s.duration_ns_total / 1e9;
        return 0;
    case F_DROPPED: {
        const char *reason = label_values[1];
        const uint64_t counts[] = {s.dropped_invalid, s.dropped_queue_full, s.dropped_rejected,
                                   s.dropped_retry_limit, s.dropped_shutdown};
        for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
            if (strcmp(reason, dropped_reasons[i]) == 0) {
                *value = (double)counts[i];
                return 0;
            }
        return -1;
    }
    }
    return -1;
}

int extatus_remote_write_register_metrics(extatus_registry *registry, const char *name)
{
    static const struct {
        const char *name;
        const char *type;
        const char *help;
        rw_field field;
    } metrics[] = {
        {"extatus_remote_write_samples_sent_total", "function_counter",
         "Samples the remote write receiver accepted.", F_SAMPLES_SENT},
        {"extatus_remote_write_bytes_sent_total", "function_counter",
         "Compressed body bytes of accepted remote write requests.", F_BYTES_SENT},
        {"extatus_remote_write_samples_retried_total", "function_counter",
         "Samples sent again after a 5xx, 429 or network failure.", F_SAMPLES_RETRIED},
        {"extatus_remote_write_requests_failed_total", "function_counter",
         "Remote write requests that failed.", F_REQUESTS_FAILED},
        {"extatus_remote_write_queue_samples", "function_gauge",
         "Samples waiting in the remote write queue.", F_QUEUE_SAMPLES},
        {"extatus_remote_write_last_success_timestamp_seconds", "function_gauge",
         "When the receiver last accepted a request (0: never).", F_LAST_SUCCESS},
        {"extatus_remote_write_request_duration_seconds_total", "function_counter",
         "Time spent in remote write requests.", F_DURATION},
        {"extatus_remote_write_samples_dropped_total", "function_counter",
         "Samples lost, by reason.", F_DROPPED},
    };
    extatus_remote_write_stats probe;
    int rc = extatus_remote_write_get_stats(name, &probe);
    if (rc != EXTATUS_OK)
        return rc;
    if (!registry)
        registry = extatus_registry_default();
    static const char *const one_label[] = {"reporter"};
    static const char *const two_labels[] = {"reporter", "reason"};
    for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
        bool dropped = metrics[i].field == F_DROPPED;
        extatus_option options[] = {
            EXTATUS_OPT_STRING("help", metrics[i].help),
            EXTATUS_OPT_STRINGS("labels", dropped ? two_labels : one_label, dropped ? 2u : 1u),
            EXTATUS_OPT_FUNCTION("function", read_field),
            EXTATUS_OPT_POINTER("user_data", (void *)(intptr_t)metrics[i].field),
        };
        rc = extatus_new(registry, metrics[i].name, metrics[i].type, options, 4);
        extatus_family *family = NULL;
        if (rc == EXTATUS_OK)
            rc = extatus_family_lookup(&family, registry, metrics[i].name);
        size_t series = dropped ? sizeof(dropped_reasons) / sizeof(dropped_reasons[0]) : 1;
        for (size_t k = 0; rc == EXTATUS_OK && k < series; k++) {
            const char *values[] = {name, dropped_reasons[k]};
            extatus_series *ignored = NULL;
            rc = extatus_family_series(&ignored, family,
                                       extatus_labels_of(values, dropped ? 2u : 1u));
        }
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}
