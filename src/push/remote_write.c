/*
 * remote_write.c - the remote write reporter (see extatus/remote_write.h).
 *
 * The scheduler's thread calls report_bulk with every value of one
 * interval. It turns each value into one sample of a series (labels
 * completed, sorted and checked), remembers the series for the stale
 * markers, and appends the sample to the queue of the series' shard; it
 * never waits for the network. A full queue drops the sample (counted).
 *
 * Each shard has a sender thread with its own HTTP client: it takes up to
 * max_samples_per_send samples once that many are queued or the oldest
 * has waited batch_deadline_ms, encodes them (remote_write_encode.c),
 * compresses them with snappy and POSTs them, retrying 5xx and network
 * failures with exponential backoff and jitter and 429 after Retry-After,
 * giving up on other 4xx. A series always goes to the same shard, so its
 * samples leave in order.
 *
 * Stale markers: a series seen before and absent from a delivery that
 * carried its family, or not seen for three intervals of its family
 * (the family was deleted), or whose subscription was removed, gets one
 * sample with the stale NaN.
 *
 * Counters live in a stats block per reporter name, kept across restarts
 * of the reporter, so extatus_remote_write_get_stats and the self-metrics
 * see one history.
 */
#include "proto_encode.h"
#include "push_http.h"
#include "push_util.h"
#include "remote_write_encode.h"

#include "extatus.h"
#include "extatus/remote_write.h"
#include "extatus/sys/entry.h"
#include "extatus/sys/reporter.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <snappy-c.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RW_USER_AGENT   "extatus/" EXTATUS_VERSION_STRING
#define RW_MAX_LABELS   64 /* labels of one series, external ones and __name__ included */
#define RW_STALE_ROUNDS 3  /* intervals unseen before a vanished family's series go stale */
/*
 * A family still registered but unseen (emptied, or the deliveries are
 * late because the machine is loaded) goes stale only after this long:
 * the library delivers nothing for an empty family, so only time tells
 * the two apart, and a loaded machine must not end live series.
 */
#define RW_EMPTY_STALE_MS 10000
#define RW_MAX_SHARDS     64  /* the "shards" option's bound */
#define RW_SWEEP_MS       250 /* how often the first sender looks for vanished families */

/* ---------------------------------------------------------------- stats */

typedef struct rw_stats {
    struct rw_stats *next; /* in the list of every reporter name */
    char name[64];         /* reporter name */
    pthread_mutex_t lock;  /* guards every field below */
    extatus_remote_write_stats s;
} rw_stats;

static pthread_mutex_t stats_list_lock = PTHREAD_MUTEX_INITIALIZER;
static rw_stats *stats_list; /* kept for the life of the process: counters outlive restarts */

static rw_stats *stats_find(const char *name, bool create)
{
    pthread_mutex_lock(&stats_list_lock);
    rw_stats *found = stats_list;
    while (found && strcmp(found->name, name) != 0)
        found = found->next;
    if (!found && create && (found = calloc(1, sizeof(*found))) != NULL) {
        snprintf(found->name, sizeof(found->name), "%s", name);
        pthread_mutex_init(&found->lock, NULL);
        found->s.protocol = 1;
        found->next = stats_list;
        stats_list = found;
    }
    pthread_mutex_unlock(&stats_list_lock);
    return found;
}

#define STATS_ADD(stats, field, n)                                                                 \
    do {                                                                                           \
        pthread_mutex_lock(&(stats)->lock);                                                        \
        (stats)->s.field += (n);                                                                   \
        pthread_mutex_unlock(&(stats)->lock);                                                      \
    } while (0)

static void stats_error(rw_stats *stats, const char *message)
{
    pthread_mutex_lock(&stats->lock);
    snprintf(stats->s.last_error, sizeof(stats->s.last_error), "%s", message);
    pthread_mutex_unlock(&stats->lock);
}

/* ---------------------------------------------------------------- clocks */

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t epoch_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct timespec deadline_in(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

/* ---------------------------------------------------------------- queue entries */

/*
 * Queue entries of one delivery are cut from shared blocks instead of one
 * malloc each: a block counts the entries still queued in it (plus one
 * while the delivery still cuts from it) and is freed by whoever drops
 * the last, on any thread.
 */
typedef struct rw_block {
    atomic_size_t refs; /* entries alive in it, + 1 while it is the current block */
    size_t used;        /* bytes cut so far */
    size_t room;        /* bytes at data */
    _Alignas(max_align_t) char data[];
} rw_block;

#define RW_BLOCK_BYTES ((size_t)64 * 1024)

static void block_release(rw_block *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        extatus_free(b);
}

/* One queued sample of one series; the key holds its sorted labels as "name\0value\0...". */
typedef struct rw_entry {
    struct rw_entry *next;
    rw_block *block;      /* the block it was cut from */
    uint64_t hash;        /* of the key: picks the shard and finds the series */
    size_t key_size;      /* bytes of key */
    uint32_t label_count; /* pairs in key */
    int metric_type;      /* EXTATUS_RW_TYPE_* (2.0 metadata) */
    int64_t created_ms;   /* 2.0 created timestamp; 0: unknown */
    extatus__rw_sample sample;
    char key[];
} rw_entry;

static size_t entry_bytes(const rw_entry *e)
{
    return sizeof(*e) + e->key_size;
}

/* Give an entry back; its block goes when its last entry does. */
static void entry_free(rw_entry *e)
{
    block_release(e->block);
}

static uint64_t key_hash(const char *key, size_t size)
{
    uint64_t hash = UINT64_C(1469598103934665603);
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ (unsigned char)key[i]) * UINT64_C(1099511628211);
    /* FNV-1a's low bits mix poorly and pick the bucket and the shard: mix the high bits down. */
    hash ^= hash >> 32;
    hash *= UINT64_C(0xd6e8feb86659fd93);
    hash ^= hash >> 32;
    return hash;
}

/* ---------------------------------------------------------------- series memory (stale markers) */

/* A series sent before: its key, the family it belongs to and when it was last seen. */
typedef struct rw_known {
    struct rw_known *next;    /* in its hash bucket */
    uint64_t hash;            /* of the key */
    struct rw_family *family; /* its family (families live as long as the state) */
    int64_t seen_ms;          /* monotonic ms of the last delivery that carried it */
    uint64_t seen_round;      /* delivery number that last carried it */
    int metric_type;          /* kept for its stale marker */
    size_t key_size;          /* bytes of key */
    uint32_t label_count;     /* pairs in key */
    /*
     * Where the labels of the report item it was built from sit in key, so
     * that the next delivery's item can be checked against key in place
     * instead of building, sorting, checking and hashing its key again.
     */
    uint32_t item_labels;    /* labels of that item */
    uint32_t *item_label_at; /* per item label: offset of its name in key; RW_NO_LABEL: empty */
    const char *datapoint;   /* copy of the item's datapoint name */
    char key[];              /* then the datapoint's copy and item_label_at */
} rw_known;

#define RW_NO_LABEL UINT32_MAX

/* What the reporter knows of one family: its type, datapoint roles, interval. */
typedef struct rw_family {
    struct rw_family *next;
    uint64_t hash;                    /* of "registry\0metric" */
    char *registry;                   /* registry name */
    char *metric;                     /* family name */
    extatus_metric_type type;         /* exposed type */
    size_t point_count;               /* datapoints */
    char **point_names;               /* their names */
    extatus_sample_role *point_roles; /* and roles */
    int64_t interval_ms;              /* shortest interval subscribed; 0 when unknown */
    uint64_t seen_round;              /* delivery number that last carried it */
    int64_t seen_ms;                  /* monotonic ms of that delivery */
    int64_t swept_seen_ms;            /* seen_ms when the idle sweep last ended its series */
    bool registered;                  /* at the last idle sweep, still in its registry */
} rw_family;

/* ---------------------------------------------------------------- shards and state */

typedef struct rw_state rw_state;

typedef struct rw_shard {
    rw_state *owner;
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    rw_entry *head;    /* oldest queued sample */
    rw_entry *tail;    /* newest */
    size_t count;      /* samples queued */
    size_t bytes;      /* bytes queued */
    int64_t oldest_ms; /* monotonic ms the oldest queued sample was queued */
    extatus__push_http *http;
    extatus__proto_writer body; /* the encoded request, reused */
    char *compressed;           /* the snappy body, reused */
    size_t compressed_room;     /* bytes at compressed */
    uint64_t random;            /* jitter state */
} rw_shard;

struct rw_state {
    rw_stats *stats;
    char *url;
    bool want_v2;                   /* "protocol" was "2.0" */
    atomic_int use_v2;              /* 2.0 still in use (cleared by the fallback) */
    size_t external_count;          /* external labels */
    extatus__rw_label external[16]; /* their names and values (copies) */
    char *external_text;            /* the memory of those copies */
    size_t max_per_send;
    int64_t batch_deadline_ms;
    size_t shard_max_samples;
    size_t shard_max_bytes;
    int64_t min_backoff_ms;
    int64_t max_backoff_ms;
    int64_t retry_limit_ms;
    int64_t flush_timeout_ms;
    atomic_bool closing;     /* terminate began: send what is left, then stop */
    atomic_llong give_up_ms; /* monotonic ms after which senders stop for good */
    size_t shard_count;
    rw_shard *shards;
    /*
     * Series memory: report_bulk, subscribe, unsubscribe, new_entry and
     * the first shard's sender (which sweeps for series of families that
     * stopped coming: the library makes no delivery without values) use
     * it under memory_lock, taken before any shard's lock.
     */
    pthread_mutex_t memory_lock;
    rw_known **known;
    size_t known_buckets;
    size_t known_count;
    /*
     * The known series in the order the last delivery carried them, and
     * this delivery's order being built: reads come in the same order
     * each time, so the next series is nearly always the one after the
     * last, found without a hash lookup (and its cache misses).
     */
    rw_known **order;
    size_t order_count;
    size_t order_capacity;
    size_t cursor;
    rw_known **next_order;
    size_t next_count;
    size_t next_capacity;
    rw_family *families;
    uint64_t round;  /* deliveries so far */
    rw_block *block; /* entries of this delivery are cut from it (under memory_lock) */
};

/* A zeroed entry with `key_size` bytes of key, cut from the current block (under memory_lock). */
static rw_entry *entry_alloc(rw_state *st, size_t key_size)
{
    size_t size = (sizeof(rw_entry) + key_size + _Alignof(max_align_t) - 1) &
                  ~(size_t)(_Alignof(max_align_t) - 1);
    rw_block *b = st->block;
    if (!b || b->room - b->used < size) {
        size_t room = size > RW_BLOCK_BYTES ? size : RW_BLOCK_BYTES;
        rw_block *fresh = extatus_malloc(sizeof(*fresh) + room);
        if (!fresh)
            return NULL;
        atomic_init(&fresh->refs, 1);
        fresh->used = 0;
        fresh->room = room;
        block_release(b);
        st->block = b = fresh;
    }
    rw_entry *e = (rw_entry *)(void *)(b->data + b->used);
    b->used += size;
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    memset(e, 0, sizeof(*e));
    e->block = b;
    return e;
}

/* The delivery is over: its block goes once its entries are sent (under memory_lock). */
static void block_finish(rw_state *st)
{
    block_release(st->block);
    st->block = NULL;
}

/* ---------------------------------------------------------------- options */

static const extatus_option *find_option(const extatus_option *options, size_t count,
                                         const char *key, extatus_option_kind kind, int *rc)
{
    const extatus_option *o = extatus_option_find(options, count, key);
    if (o && o->kind != kind) {
        *rc = extatus_entry_error(EXTATUS_ERR_OPTION,
                                  "remote write: option '%s' has the wrong kind", key);
        return NULL;
    }
    return o;
}

static int number_option(const extatus_option *options, size_t count, const char *key, double low,
                         double high, int64_t fallback, int64_t *out)
{
    int rc = EXTATUS_OK;
    const extatus_option *o = find_option(options, count, key, EXTATUS_OPTION_NUMBER, &rc);
    *out = fallback;
    if (rc != EXTATUS_OK || !o)
        return rc;
    if (!(o->number >= low && o->number <= high) || o->number != floor(o->number))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "remote write: option '%s' must be a whole number from %.0f to "
                                   "%.0f, got %g",
                                   key, low, high, o->number);
    *out = (int64_t)o->number;
    return EXTATUS_OK;
}

static const char *string_option(const extatus_option *options, size_t count, const char *key,
                                 int *rc)
{
    const extatus_option *o = find_option(options, count, key, EXTATUS_OPTION_STRING, rc);
    return o ? o->string : NULL;
}

static bool valid_label_name(const char *name, size_t size)
{
    if (size == 0)
        return false;
    for (size_t i = 0; i < size; i++) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

/* external_labels: "name=value" strings, copied into one block. */
static int parse_external(rw_state *st, const extatus_option *options, size_t count)
{
    int rc = EXTATUS_OK;
    const extatus_option *o =
        find_option(options, count, "external_labels", EXTATUS_OPTION_STRINGS, &rc);
    if (rc != EXTATUS_OK || !o)
        return rc;
    const char *const *pairs = o->list;
    if (o->count > sizeof(st->external) / sizeof(st->external[0]))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "remote write: at most %zu external labels, got %zu",
                                   sizeof(st->external) / sizeof(st->external[0]), o->count);
    size_t total = 0;
    for (size_t i = 0; i < o->count; i++)
        total += (pairs[i] ? strlen(pairs[i]) : 0) + 1;
    st->external_text = extatus_malloc(total ? total : 1);
    if (!st->external_text)
        return EXTATUS_ERR_NOMEM;
    char *at = st->external_text;
    for (size_t i = 0; i < o->count; i++) {
        const char *pair = pairs[i] ? pairs[i] : "";
        const char *equals = strchr(pair, '=');
        if (!equals || !valid_label_name(pair, (size_t)(equals - pair)) || !equals[1] ||
            strncmp(pair, "__", 2) == 0)
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "remote write: external label \"%s\" is not name=value "
                                       "with a valid name and a non-empty value",
                                       pair);
        size_t size = strlen(pair) + 1;
        memcpy(at, pair, size);
        at[equals - pair] = '\0';
        st->external[st->external_count].name = at;
        st->external[st->external_count].value = at + (equals - pair) + 1;
        for (size_t j = 0; j < st->external_count; j++)
            if (strcmp(st->external[j].name, at) == 0)
                return extatus_entry_error(EXTATUS_ERR_OPTION,
                                           "remote write: external label \"%s\" given twice", at);
        st->external_count++;
        at += size;
    }
    return EXTATUS_OK;
}

/* ---------------------------------------------------------------- sending */

static bool sender_stopping(void *arg)
{
    rw_state *st = arg;
    return atomic_load(&st->closing) && mono_ms() >= atomic_load(&st->give_up_ms);
}

static uint64_t next_random(rw_shard *shard)
{
    /* xorshift64: jitter only, no need for quality. */
    uint64_t x = shard->random;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    shard->random = x;
    return x;
}

/*
 * Wait `ms` on the shard (unlocked on entry), or less when the reporter is
 * closing and its flush deadline comes first; false when the reporter stops.
 */
static bool backoff_wait(rw_shard *shard, int64_t ms)
{
    rw_state *st = shard->owner;
    int64_t end = mono_ms() + ms;
    pthread_mutex_lock(&shard->lock);
    for (;;) {
        int64_t now = mono_ms();
        int64_t until = end;
        if (atomic_load(&st->closing) && atomic_load(&st->give_up_ms) < until)
            until = atomic_load(&st->give_up_ms);
        if (sender_stopping(st) || now >= until)
            break;
        struct timespec at = deadline_in(until - now);
        pthread_cond_timedwait(&shard->wake, &shard->lock, &at);
    }
    bool go_on = !sender_stopping(st);
    pthread_mutex_unlock(&shard->lock);
    return go_on;
}

/* Encode `count` entries as version 2 (true) or 1 and compress into shard->compressed. */
static int encode_batch(rw_shard *shard, rw_entry *const *entries, size_t count, bool v2,
                        size_t *compressed_size)
{
    size_t labels_total = 0;
    for (size_t i = 0; i < count; i++)
        labels_total += entries[i]->label_count;
    extatus__rw_series *series = extatus_malloc(count * sizeof(*series) + 1);
    extatus__rw_label *labels = extatus_malloc(labels_total * sizeof(*labels) + 1);
    int rc = series && labels ? EXTATUS_OK : EXTATUS_ERR_NOMEM;
    size_t l = 0;
    for (size_t i = 0; rc == EXTATUS_OK && i < count; i++) {
        const rw_entry *e = entries[i];
        const char *at = e->key;
        series[i] = (extatus__rw_series){&labels[l],     e->label_count, &e->sample, 1,
                                         e->metric_type, NULL,           NULL,       e->created_ms};
        for (uint32_t k = 0; k < e->label_count; k++) {
            labels[l].name = at;
            labels[l].name_size = strlen(at);
            at += labels[l].name_size + 1;
            labels[l].value = at;
            labels[l].value_size = strlen(at);
            at += labels[l].value_size + 1;
            l++;
        }
    }
    if (rc == EXTATUS_OK) {
        extatus__proto_reset(&shard->body);
        rc = v2 ? extatus__rw_encode_v2(&shard->body, series, count)
                : extatus__rw_encode_v1(&shard->body, series, count);
    }
    extatus_free(series);
    extatus_free(labels);
    if (rc != EXTATUS_OK)
        return rc;
    size_t room = snappy_max_compressed_length(shard->body.size);
    if (room > shard->compressed_room) {
        extatus_free(shard->compressed);
        shard->compressed = extatus_malloc(room);
        shard->compressed_room = shard->compressed ? room : 0;
        if (!shard->compressed)
            return EXTATUS_ERR_NOMEM;
    }
    *compressed_size = room;
    if (snappy_compress((const char *)shard->body.data, shard->body.size, shard->compressed,
                        compressed_size) != SNAPPY_OK)
        return EXTATUS_ERR_SYSTEM;
    return EXTATUS_OK;
}

/* Whether a 2xx answer carried one of the 2.0 X-Prometheus-Remote-Write-*-Written headers. */
static bool written_headers(extatus__push_http *http)
{
    static const char *const names[] = {"X-Prometheus-Remote-Write-Samples-Written",
                                        "X-Prometheus-Remote-Write-Histograms-Written",
                                        "X-Prometheus-Remote-Write-Exemplars-Written"};
    char value[32];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (extatus__push_http_header(http, names[i], value, sizeof(value)))
            return true;
    return false;
}

/* Send one batch with its retries; every sample ends counted as sent or under one drop reason. */
static void send_batch(rw_shard *shard, rw_entry *const *entries, size_t count)
{
    rw_state *st = shard->owner;
    rw_stats *stats = st->stats;
    static const char *const v1_headers[] = {"X-Prometheus-Remote-Write-Version: 0.1.0",
                                             "User-Agent: " RW_USER_AGENT};
    static const char *const v2_headers[] = {"X-Prometheus-Remote-Write-Version: 2.0.0",
                                             "User-Agent: " RW_USER_AGENT};
    bool v2 = atomic_load(&st->use_v2);
    size_t size = 0;
    int encoded = encode_batch(shard, entries, count, v2, &size);
    int64_t started = mono_ms();
    int64_t backoff = st->min_backoff_ms;
    for (;;) {
        if (encoded != EXTATUS_OK) {
            char message[200];
            snprintf(message, sizeof(message), "remote write: cannot encode %zu samples: %s", count,
                     extatus_strerror(encoded));
            stats_error(stats, message);
            STATS_ADD(stats, dropped_rejected, count);
            return;
        }
        extatus__push_http_request request = {
            .method = "POST",
            .url = st->url,
            .content_type = v2 ? "application/x-protobuf;proto=io.prometheus.write.v2.Request"
                               : "application/x-protobuf",
            .body = shard->compressed,
            .body_size = size,
            .headers = v2 ? v2_headers : v1_headers,
            .header_count = 2,
        };
        /* Content-Encoding: snappy travels with the request's own headers. */
        const char *headers[3] = {request.headers[0], request.headers[1],
                                  "Content-Encoding: snappy"};
        request.headers = headers;
        request.header_count = 3;
        extatus__push_http_result result;
        int rc = extatus__push_http_send(shard->http, &request, &result);
        pthread_mutex_lock(&stats->lock);
        stats->s.last_status = result.status;
        stats->s.last_duration_ns = result.duration_ns;
        stats->s.duration_ns_total += (uint64_t)(result.duration_ns > 0 ? result.duration_ns : 0);
        if (rc != EXTATUS_OK) {
            stats->s.requests_failed++;
            snprintf(stats->s.last_error, sizeof(stats->s.last_error), "%s", extatus_error_last());
        }
        pthread_mutex_unlock(&stats->lock);

        /* 2.0 answered by a 1.x receiver: 415, or a 2xx without the written-headers. */
        bool fallback = v2 && ((rc == EXTATUS_OK && !written_headers(shard->http)) ||
                               (rc != EXTATUS_OK && result.status == 415));
        if (fallback) {
            atomic_store(&st->use_v2, 0);
            pthread_mutex_lock(&stats->lock);
            stats->s.protocol = 1;
            pthread_mutex_unlock(&stats->lock);
            v2 = false;
            encoded = encode_batch(shard, entries, count, false, &size);
            continue;
        }
        if (rc == EXTATUS_OK) {
            pthread_mutex_lock(&stats->lock);
            stats->s.samples_sent += count;
            stats->s.bytes_sent += size;
            stats->s.requests_sent++;
            stats->s.last_success_ms = epoch_ms();
            pthread_mutex_unlock(&stats->lock);
            return;
        }
        if (result.failure == EXTATUS__PUSH_HTTP_STOPPED) {
            STATS_ADD(stats, dropped_shutdown, count);
            return;
        }
        bool retry = result.failure != EXTATUS__PUSH_HTTP_STATUS || result.status >= 500 ||
                     result.status == 429;
        if (!retry) {
            /* A 4xx other than 429 will never succeed: the answer is in last_error. */
            STATS_ADD(stats, dropped_rejected, count);
            return;
        }
        int64_t wait = backoff / 2 + (int64_t)(next_random(shard) % (uint64_t)(backoff / 2 + 1));
        if (result.status == 429 && result.retry_after_ms >= 0)
            wait = result.retry_after_ms;
        if (mono_ms() + wait - started > st->retry_limit_ms) {
            STATS_ADD(stats, dropped_retry_limit, count);
            return;
        }
        if (!backoff_wait(shard, wait)) {
            STATS_ADD(stats, dropped_shutdown, count);
            return;
        }
        STATS_ADD(stats, samples_retried, count);
        backoff = backoff * 2 > st->max_backoff_ms ? st->max_backoff_ms : backoff * 2;
    }
}

static void free_entries(rw_entry *e)
{
    while (e) {
        rw_entry *next = e->next;
        entry_free(e);
        e = next;
    }
}

static void idle_sweep(rw_state *st);

static void *sender_main(void *arg)
{
    rw_shard *shard = arg;
    rw_state *st = shard->owner;
    rw_entry **batch = extatus_malloc(st->max_per_send * sizeof(*batch));
    int64_t swept_ms = mono_ms();
    pthread_mutex_lock(&shard->lock);
    for (;;) {
        bool closing = atomic_load(&st->closing);
        if (shard == &st->shards[0] && !closing && mono_ms() - swept_ms >= RW_SWEEP_MS) {
            pthread_mutex_unlock(&shard->lock); /* memory_lock comes before a shard's lock */
            idle_sweep(st);
            swept_ms = mono_ms();
            pthread_mutex_lock(&shard->lock);
            continue;
        }
        if (sender_stopping(st) || (closing && shard->count == 0) || !batch)
            break;
        if (shard->count == 0) {
            struct timespec until = deadline_in(RW_SWEEP_MS);
            pthread_cond_timedwait(&shard->wake, &shard->lock, &until);
            continue;
        }
        int64_t due = shard->oldest_ms + st->batch_deadline_ms;
        if (!closing && shard->count < st->max_per_send && mono_ms() < due) {
            struct timespec until = deadline_in(due - mono_ms());
            pthread_cond_timedwait(&shard->wake, &shard->lock, &until);
            continue;
        }
        size_t n = 0;
        size_t bytes = 0;
        while (shard->head && n < st->max_per_send) {
            rw_entry *e = shard->head;
            shard->head = e->next;
            e->next = NULL;
            bytes += entry_bytes(e);
            batch[n++] = e;
        }
        if (!shard->head)
            shard->tail = NULL;
        shard->count -= n;
        shard->bytes -= bytes;
        shard->oldest_ms = mono_ms();
        pthread_mutex_lock(&st->stats->lock);
        st->stats->s.queue_samples -= n;
        st->stats->s.queue_bytes -= bytes;
        pthread_mutex_unlock(&st->stats->lock);
        pthread_mutex_unlock(&shard->lock);
        send_batch(shard, batch, n);
        for (size_t i = 0; i < n; i++)
            entry_free(batch[i]);
        pthread_mutex_lock(&shard->lock);
    }
    /* Whatever is left was not sent in time. */
    size_t left = shard->count;
    size_t left_bytes = shard->bytes;
    free_entries(shard->head);
    shard->head = shard->tail = NULL;
    shard->count = shard->bytes = 0;
    pthread_mutex_unlock(&shard->lock);
    pthread_mutex_lock(&st->stats->lock);
    st->stats->s.dropped_shutdown += left;
    st->stats->s.queue_samples -= left;
    st->stats->s.queue_bytes -= left_bytes;
    pthread_mutex_unlock(&st->stats->lock);
    extatus_free(batch);
    return NULL;
}

/*
 * Samples of one delivery on their way to the shards' queues: gathered
 * here without a lock, then appended with one lock per shard.
 */
typedef struct rw_pending {
    rw_entry *head[RW_MAX_SHARDS]; /* per shard, in order */
    rw_entry *tail[RW_MAX_SHARDS];
} rw_pending;

static void pending_add(rw_state *st, rw_pending *p, rw_entry *e)
{
    size_t s = e->hash % st->shard_count;
    if (p->tail[s])
        p->tail[s]->next = e;
    else
        p->head[s] = e;
    p->tail[s] = e;
}

/* Append the pending samples to their shards' queues; those that do not fit are dropped (counted).
 */
static void pending_flush(rw_state *st, rw_pending *p)
{
    size_t queued = 0;
    size_t queued_bytes = 0;
    size_t dropped = 0;
    for (size_t s = 0; s < st->shard_count; s++) {
        rw_entry *e = p->head[s];
        if (!e)
            continue;
        rw_shard *shard = &st->shards[s];
        pthread_mutex_lock(&shard->lock);
        while (e) {
            rw_entry *next = e->next;
            size_t bytes = entry_bytes(e);
            if (shard->count + 1 > st->shard_max_samples ||
                shard->bytes + bytes > st->shard_max_bytes) {
                entry_free(e);
                dropped++;
            } else {
                if (shard->count == 0)
                    shard->oldest_ms = mono_ms();
                e->next = NULL;
                if (shard->tail)
                    shard->tail->next = e;
                else
                    shard->head = e;
                shard->tail = e;
                shard->count++;
                shard->bytes += bytes;
                queued++;
                queued_bytes += bytes;
            }
            e = next;
        }
        if (shard->count >= st->max_per_send)
            pthread_cond_signal(&shard->wake);
        pthread_mutex_unlock(&shard->lock);
        p->head[s] = p->tail[s] = NULL;
    }
    pthread_mutex_lock(&st->stats->lock);
    st->stats->s.queue_samples += queued;
    st->stats->s.queue_bytes += queued_bytes;
    st->stats->s.dropped_queue_full += dropped;
    pthread_mutex_unlock(&st->stats->lock);
}

/* ---------------------------------------------------------------- families */

static uint64_t family_hash(const char *registry, const char *metric)
{
    uint64_t a = key_hash(registry, strlen(registry) + 1);
    return a ^ (key_hash(metric, strlen(metric)) * UINT64_C(0x9e3779b97f4a7c15));
}

static void family_free(rw_family *f)
{
    for (size_t i = 0; i < f->point_count; i++)
        extatus_free(f->point_names[i]);
    extatus_free(f->point_names);
    extatus_free(f->point_roles);
    extatus_free(f->registry);
    extatus_free(f->metric);
    extatus_free(f);
}

static rw_family *family_find(rw_state *st, const char *registry, const char *metric)
{
    uint64_t hash = family_hash(registry, metric);
    for (rw_family *f = st->families; f; f = f->next)
        if (f->hash == hash && strcmp(f->metric, metric) == 0 && strcmp(f->registry, registry) == 0)
            return f;
    return NULL;
}

/* A new family record, types and datapoints not yet known; NULL when memory ran out. */
static rw_family *family_add(rw_state *st, const char *registry, const char *metric)
{
    rw_family *f = extatus_malloc(sizeof(*f));
    if (!f)
        return NULL;
    memset(f, 0, sizeof(*f));
    f->hash = family_hash(registry, metric);
    f->registry = extatus__push_strdup(registry);
    f->metric = extatus__push_strdup(metric);
    if (!f->registry || !f->metric) {
        family_free(f);
        return NULL;
    }
    f->next = st->families;
    st->families = f;
    return f;
}

/* The family of an item, learnt on first sight (type and datapoint roles). */
static rw_family *family_of(rw_state *st, const extatus_report_item *item)
{
    rw_family *f = family_find(st, item->registry, item->metric);
    if (f && f->point_count)
        return f;
    if (!f && (f = family_add(st, item->registry, item->metric)) == NULL)
        return NULL;
    extatus_registry *registry = NULL;
    extatus_family *family = NULL;
    const extatus_datapoint *points = NULL;
    size_t count = 0;
    f->type = EXTATUS_METRIC_UNKNOWN;
    if (extatus_registry_lookup(&registry, item->registry) != EXTATUS_OK ||
        extatus_family_lookup(&family, registry, item->metric) != EXTATUS_OK)
        return f;
    extatus_entry_ops ops = EXTATUS_ENTRY_OPS_INIT;
    if (extatus_type_lookup(extatus_family_type(family), &ops) == EXTATUS_OK)
        f->type = ops.metric_type;
    if (extatus_get_datapoints(registry, item->metric,
                               extatus_labels_of(item->label_values, item->label_count), &points,
                               &count) != EXTATUS_OK ||
        count == 0)
        return f;
    f->point_names = extatus_malloc(count * sizeof(*f->point_names));
    f->point_roles = extatus_malloc(count * sizeof(*f->point_roles));
    if (!f->point_names || !f->point_roles)
        return f;
    memset(f->point_names, 0, count * sizeof(*f->point_names));
    for (size_t i = 0; i < count; i++) {
        f->point_names[i] = extatus__push_strdup(points[i].name);
        f->point_roles[i] = points[i].role;
        if (!f->point_names[i]) {
            f->point_count = i + 1;
            return f;
        }
    }
    f->point_count = count;
    return f;
}

static extatus_sample_role role_of(const rw_family *f, const char *datapoint)
{
    for (size_t i = 0; i < f->point_count; i++)
        if (f->point_names[i] && strcmp(f->point_names[i], datapoint) == 0)
            return f->point_roles[i];
    /* Unknown to the entry's list: a value of its own name. */
    return strcmp(datapoint, "value") == 0 ? EXTATUS_SAMPLE_VALUE : EXTATUS_SAMPLE_NONE;
}

static int rw_type(extatus_metric_type type)
{
    switch (type) {
    case EXTATUS_METRIC_COUNTER:
        return EXTATUS_RW_TYPE_COUNTER;
    case EXTATUS_METRIC_GAUGE:
        return EXTATUS_RW_TYPE_GAUGE;
    case EXTATUS_METRIC_HISTOGRAM:
        return EXTATUS_RW_TYPE_HISTOGRAM;
    case EXTATUS_METRIC_SUMMARY:
        return EXTATUS_RW_TYPE_SUMMARY;
    default:
        return EXTATUS_RW_TYPE_UNSPECIFIED;
    }
}

/* ---------------------------------------------------------------- series memory */

static int known_grow(rw_state *st)
{
    size_t buckets = st->known_buckets ? st->known_buckets * 2 : 1024;
    rw_known **table = extatus_malloc(buckets * sizeof(*table));
    if (!table)
        return EXTATUS_ERR_NOMEM;
    memset(table, 0, buckets * sizeof(*table));
    for (size_t b = 0; b < st->known_buckets; b++) {
        rw_known *k = st->known[b];
        while (k) {
            rw_known *next = k->next;
            k->next = table[k->hash & (buckets - 1)];
            table[k->hash & (buckets - 1)] = k;
            k = next;
        }
    }
    extatus_free(st->known);
    st->known = table;
    st->known_buckets = buckets;
    return EXTATUS_OK;
}

/* Remember that the series of `e` was carried by this delivery. */
static bool known_is(const rw_known *k, const rw_entry *e)
{
    return k->hash == e->hash && k->key_size == e->key_size &&
           memcmp(k->key, e->key, e->key_size) == 0;
}

/*
 * Find or add the known series of `e` and set e->hash; NULL when memory
 * ran out. The series after the last one found is compared by its key
 * alone and lends its hash: a delivery in the last one's order hashes no key.
 */
static rw_known *known_find(rw_state *st, rw_entry *e, rw_family *f,
                            const extatus_report_item *item)
{
    if (st->cursor < st->order_count) {
        rw_known *next = st->order[st->cursor];
        if (next->key_size == e->key_size && memcmp(next->key, e->key, e->key_size) == 0) {
            e->hash = next->hash;
            st->cursor++;
            return next;
        }
    }
    e->hash = key_hash(e->key, e->key_size);
    if (st->known_count >= st->known_buckets && known_grow(st) != EXTATUS_OK && !st->known)
        return NULL;
    rw_known **bucket = &st->known[e->hash & (st->known_buckets - 1)];
    for (rw_known *k = *bucket; k; k = k->next)
        if (known_is(k, e))
            return k;
    size_t datapoint_size = strlen(item->datapoint) + 1;
    size_t label_at =
        (e->key_size + datapoint_size + _Alignof(uint32_t) - 1) & ~(size_t)(_Alignof(uint32_t) - 1);
    rw_known *k = extatus_malloc(sizeof(*k) + label_at + item->label_count * sizeof(uint32_t));
    if (!k)
        return NULL;
    memcpy(k->key + e->key_size, item->datapoint, datapoint_size);
    k->datapoint = k->key + e->key_size;
    k->item_labels = (uint32_t)item->label_count;
    k->item_label_at = (uint32_t *)(void *)(k->key + label_at);
    for (size_t i = 0; i < item->label_count; i++) {
        /* Empty values are no label; names are unique in key (checked). */
        k->item_label_at[i] = RW_NO_LABEL;
        for (size_t at = 0;
             item->label_values[i] && item->label_values[i][0] && at < e->key_size;) {
            size_t name = strlen(e->key + at) + 1;
            if (strcmp(e->key + at, item->label_names[i]) == 0) {
                k->item_label_at[i] = (uint32_t)at;
                break;
            }
            at += name + strlen(e->key + at + name) + 1;
        }
    }
    k->hash = e->hash;
    k->family = f;
    k->seen_round = 0;
    k->metric_type = e->metric_type;
    k->key_size = e->key_size;
    k->label_count = e->label_count;
    memcpy(k->key, e->key, e->key_size);
    k->next = *bucket;
    *bucket = k;
    st->known_count++;
    return k;
}

/* Remember that known series `k` was carried by this delivery. */
static void known_seen(rw_state *st, rw_known *k, int64_t now)
{
    if (k->seen_round == st->round)
        return; /* a second sample of it in this delivery */
    k->seen_round = st->round;
    k->seen_ms = now;
    if (st->next_count == st->next_capacity) {
        size_t capacity = st->next_capacity ? 2 * st->next_capacity : 1024;
        rw_known **grown = extatus_malloc(capacity * sizeof(*grown));
        if (!grown)
            return; /* the next delivery looks this one up by hash */
        if (st->next_count)
            memcpy(grown, st->next_order, st->next_count * sizeof(*grown));
        extatus_free(st->next_order);
        st->next_order = grown;
        st->next_capacity = capacity;
    }
    st->next_order[st->next_count++] = k;
}

/* Remember that the series of `e` (built from `item`) was carried by this delivery. */
static void known_touch(rw_state *st, rw_entry *e, rw_family *f, const extatus_report_item *item,
                        int64_t now)
{
    rw_known *k = known_find(st, e, f, item);
    if (k) /* else no stale marker for this series: nothing else is lost */
        known_seen(st, k, now);
}

/*
 * The series the last delivery carried next, when `item` of family `f` is
 * that series again: same family (families live as long as the state, so
 * its type and datapoint roles are those the key was built with), same
 * datapoint and every label name and value equal to the key's, compared
 * in place. NULL otherwise: the caller builds the key.
 */
static rw_known *known_next_is(rw_state *st, const extatus_report_item *item, const rw_family *f)
{
    if (st->cursor >= st->order_count)
        return NULL;
    rw_known *k = st->order[st->cursor];
    if (k->family != f || k->item_labels != item->label_count ||
        strcmp(k->datapoint, item->datapoint) != 0)
        return NULL;
    for (size_t i = 0; i < item->label_count; i++) {
        const char *value = item->label_values[i];
        uint32_t at = k->item_label_at[i];
        if (at == RW_NO_LABEL) {
            if (value && value[0])
                return NULL;
            continue;
        }
        if (!value)
            return NULL;
        const char *name = k->key + at;
        if (strcmp(name, item->label_names[i]) != 0 || strcmp(name + strlen(name) + 1, value) != 0)
            return NULL;
    }
    st->cursor++;
    return k;
}

/* The delivery is over: its order is the one the next delivery expects. */
static void order_swap(rw_state *st)
{
    rw_known **order = st->order;
    size_t capacity = st->order_capacity;
    st->order = st->next_order;
    st->order_count = st->next_count;
    st->order_capacity = st->next_capacity;
    st->next_order = order;
    st->next_capacity = capacity;
    st->next_count = 0;
    st->cursor = 0;
}

/* Queue a stale marker for a known series. */
static void queue_stale(rw_state *st, rw_pending *pending, const rw_known *k)
{
    rw_entry *e = entry_alloc(st, k->key_size);
    if (!e) {
        STATS_ADD(st->stats, dropped_queue_full, 1);
        return;
    }
    e->hash = k->hash;
    e->key_size = k->key_size;
    e->label_count = k->label_count;
    e->metric_type = k->metric_type;
    uint64_t bits = EXTATUS_RW_STALE_NAN_BITS;
    memcpy(&e->sample.value, &bits, sizeof(bits));
    e->sample.timestamp_ms = epoch_ms();
    memcpy(e->key, k->key, k->key_size);
    STATS_ADD(st->stats, stale_markers, 1);
    pending_add(st, pending, e);
}

/*
 * After a delivery: series whose family this delivery carried but that it
 * did not carry, and series of families unseen for RW_STALE_ROUNDS of
 * their interval, are stale; `only` set: every series of that family.
 * `idle` (no delivery now): only the families unseen for that long.
 */
static size_t sweep_stale(rw_state *st, rw_pending *pending, int64_t now, const rw_family *only,
                          bool idle)
{
    size_t freed = 0;
    for (size_t b = 0; b < st->known_buckets; b++) {
        rw_known **link = &st->known[b];
        while (*link) {
            rw_known *k = *link;
            const rw_family *f = k->family;
            bool stale;
            if (only)
                stale = f == only;
            else if (f->seen_round == st->round && !idle)
                stale = k->seen_round != st->round;
            else
                stale = f->interval_ms > 0 && now - f->seen_ms > RW_STALE_ROUNDS * f->interval_ms &&
                        (!f->registered || now - f->seen_ms > RW_EMPTY_STALE_MS);
            if (stale) {
                queue_stale(st, pending, k);
                *link = k->next;
                extatus_free(k);
                st->known_count--;
                freed++;
            } else {
                link = &k->next;
            }
        }
    }
    return freed;
}

/* ---------------------------------------------------------------- building series */

static void refuse(rw_state *st, const extatus_report_item *item, const char *why)
{
    char message[320];
    snprintf(message, sizeof(message), "remote write: series of %s in registry %s refused: %s",
             item->metric, item->registry, why);
    stats_error(st->stats, message);
    STATS_ADD(st->stats, dropped_invalid, 1);
}

/* The parts of an entry that are not its key. */
static void entry_fill(rw_entry *e, const extatus_report_item *item, const rw_family *f,
                       int64_t created_ms)
{
    e->metric_type = rw_type(f->type);
    e->created_ms = (f->type == EXTATUS_METRIC_COUNTER || f->type == EXTATUS_METRIC_SUMMARY ||
                     f->type == EXTATUS_METRIC_HISTOGRAM)
                        ? created_ms
                        : 0;
    e->sample.value = extatus_value_to_double(&item->value);
    e->sample.timestamp_ms = item->timestamp_ms;
}

/*
 * Turn one item into a queue entry (NULL: refused or not a sample, counted
 * where it is lost); its hash is set by known_touch.
 */
static rw_entry *entry_of(rw_state *st, const extatus_report_item *item, rw_family *f,
                          int64_t created_ms)
{
    extatus_sample_role role = role_of(f, item->datapoint);
    char name[256];
    const char *extra_name = NULL;
    const char *suffix = "";
    size_t base = strlen(item->metric);
    switch (role) {
    case EXTATUS_SAMPLE_VALUE:
        if (f->type == EXTATUS_METRIC_COUNTER) {
            if (base >= 6 && strcmp(item->metric + base - 6, "_total") == 0)
                base -= 6;
            suffix = "_total";
        }
        break;
    case EXTATUS_SAMPLE_BUCKET:
        suffix = "_bucket";
        extra_name = "le";
        break;
    case EXTATUS_SAMPLE_QUANTILE:
        extra_name = "quantile";
        break;
    case EXTATUS_SAMPLE_SUM:
        suffix = "_sum";
        break;
    case EXTATUS_SAMPLE_COUNT:
        suffix = "_count";
        break;
    default:
        return NULL; /* not a sample of its own (created, internal datapoints) */
    }
    if (base + strlen(suffix) >= sizeof(name)) {
        refuse(st, item, "metric name too long");
        return NULL;
    }
    memcpy(name, item->metric, base);
    memcpy(name + base, suffix, strlen(suffix) + 1);

    extatus__rw_label labels[RW_MAX_LABELS];
    size_t n = 0;
    if (item->label_count + st->external_count + 2 > RW_MAX_LABELS) {
        refuse(st, item, "too many labels");
        return NULL;
    }
    labels[n++] = (extatus__rw_label){.name = "__name__", .value = name};
    for (size_t i = 0; i < st->external_count; i++)
        labels[n++] = st->external[i];
    for (size_t i = 0; i < item->label_count; i++)
        if (item->label_values[i] && item->label_values[i][0]) /* empty value: no label */
            labels[n++] =
                (extatus__rw_label){.name = item->label_names[i], .value = item->label_values[i]};
    if (extra_name)
        labels[n++] = (extatus__rw_label){.name = extra_name, .value = item->datapoint};
    extatus__rw_labels_sort(labels, n);
    char why[200];
    if (extatus__rw_labels_check(labels, n, why, sizeof(why)) != EXTATUS_OK) {
        refuse(st, item, why);
        return NULL;
    }
    size_t key_size = 0;
    for (size_t i = 0; i < n; i++)
        key_size += strlen(labels[i].name) + strlen(labels[i].value) + 2;
    rw_entry *e = entry_alloc(st, key_size);
    if (!e) {
        STATS_ADD(st->stats, dropped_queue_full, 1);
        return NULL;
    }
    char *at = e->key;
    for (size_t i = 0; i < n; i++) {
        size_t a = strlen(labels[i].name) + 1;
        size_t b = strlen(labels[i].value) + 1;
        memcpy(at, labels[i].name, a);
        memcpy(at + a, labels[i].value, b);
        at += a + b;
    }
    e->key_size = key_size;
    e->label_count = (uint32_t)n;
    entry_fill(e, item, f, created_ms);
    return e;
}

/* The entry of `item`, whose series is the known `k`: its key copied, not built. */
static rw_entry *entry_of_known(rw_state *st, const extatus_report_item *item, const rw_known *k,
                                int64_t created_ms)
{
    rw_entry *e = entry_alloc(st, k->key_size);
    if (!e) {
        STATS_ADD(st->stats, dropped_queue_full, 1);
        return NULL;
    }
    memcpy(e->key, k->key, k->key_size);
    e->hash = k->hash;
    e->key_size = k->key_size;
    e->label_count = k->label_count;
    entry_fill(e, item, k->family, created_ms);
    return e;
}

static bool same_series(const extatus_report_item *a, const extatus_report_item *b)
{
    if (a->label_values == b->label_values && a->metric == b->metric &&
        a->registry == b->registry && a->label_count == b->label_count)
        return true;
    /* Equal pointers are equal strings: most neighbours share family and registry names. */
    if (a->label_count != b->label_count ||
        (a->metric != b->metric && strcmp(a->metric, b->metric) != 0) ||
        (a->registry != b->registry && strcmp(a->registry, b->registry) != 0))
        return false;
    for (size_t i = 0; i < a->label_count; i++)
        if (a->label_values[i] != b->label_values[i] &&
            strcmp(a->label_values[i], b->label_values[i]) != 0)
            return false;
    return true;
}

static int rw_report_bulk(void *state, const extatus_report_item *items, size_t count)
{
    rw_state *st = state;
    pthread_mutex_lock(&st->memory_lock);
    int64_t now = mono_ms();
    rw_pending pending;
    memset(&pending, 0, sizeof(pending));
    rw_family *f = NULL;
    st->round++;
    for (size_t i = 0; i < count;) {
        /* The datapoints of one series come together: find its created time first. */
        size_t end = i + 1;
        while (end < count && same_series(&items[i], &items[end]))
            end++;
        /* Consecutive series mostly share a family: look it up again only when it changes. */
        if (!f || i == 0 || items[i].metric != items[i - 1].metric ||
            items[i].registry != items[i - 1].registry || !f->point_count)
            f = family_of(st, &items[i]);
        if (!f) {
            STATS_ADD(st->stats, dropped_queue_full, end - i);
            i = end;
            continue;
        }
        f->seen_round = st->round;
        f->seen_ms = now;
        int64_t created_ms = 0;
        for (size_t j = i; j < end; j++)
            if (role_of(f, items[j].datapoint) == EXTATUS_SAMPLE_CREATED)
                created_ms = (int64_t)(extatus_value_to_double(&items[j].value) * 1000.0);
        for (size_t j = i; j < end; j++) {
            rw_known *k = known_next_is(st, &items[j], f);
            rw_entry *e = k ? entry_of_known(st, &items[j], k, created_ms)
                            : entry_of(st, &items[j], f, created_ms);
            if (!e)
                continue;
            if (k)
                known_seen(st, k, now);
            else
                known_touch(st, e, f, &items[j], now);
            pending_add(st, &pending, e);
        }
        i = end;
    }
    /* Every known series carried again: none can be stale, skip the walk. */
    if (st->next_count != st->known_count)
        sweep_stale(st, &pending, now, NULL, false);
    order_swap(st);
    pending_flush(st, &pending);
    block_finish(st);
    pthread_mutex_unlock(&st->memory_lock);
    return EXTATUS_OK;
}

static int rw_report(void *state, const extatus_report_item *item)
{
    return rw_report_bulk(state, item, 1);
}

static int rw_subscribe(void *state, const extatus_subscription *sub)
{
    rw_state *st = state;
    const char *registry = sub->registry ? sub->registry : "default";
    pthread_mutex_lock(&st->memory_lock);
    rw_family *f = family_find(st, registry, sub->metric);
    if (!f)
        f = family_add(st, registry, sub->metric);
    if (f && (f->interval_ms == 0 || sub->interval_ms < f->interval_ms))
        f->interval_ms = sub->interval_ms;
    pthread_mutex_unlock(&st->memory_lock);
    return f ? EXTATUS_OK : EXTATUS_ERR_NOMEM;
}

static void rw_unsubscribe(void *state, const extatus_subscription *sub)
{
    rw_state *st = state;
    pthread_mutex_lock(&st->memory_lock);
    rw_family *f = family_find(st, sub->registry ? sub->registry : "default", sub->metric);
    if (f && !sub->label_values && !sub->datapoint) {
        /* The whole family leaves: end its series now. */
        rw_pending pending;
        memset(&pending, 0, sizeof(pending));
        sweep_stale(st, &pending, mono_ms(), f, false);
        st->order_count = st->cursor = st->next_count = 0; /* they may name freed series */
        pending_flush(st, &pending);
        block_finish(st);
    }
    pthread_mutex_unlock(&st->memory_lock);
}

/*
 * The first shard's sender, now and then: series of families that no
 * delivery carries any more (the library delivers nothing for an empty
 * family) go stale after RW_STALE_ROUNDS of their interval.
 */
static void idle_sweep(rw_state *st)
{
    pthread_mutex_lock(&st->memory_lock);
    /* Walk the series only when a family became overdue since the last walk (cheap check). */
    int64_t now = mono_ms();
    bool overdue = false;
    for (rw_family *f = st->families; f; f = f->next) {
        if (f->interval_ms <= 0 || now - f->seen_ms <= RW_STALE_ROUNDS * f->interval_ms ||
            f->swept_seen_ms == f->seen_ms)
            continue;
        /* Deleted: end its series now. Still there: only after RW_EMPTY_STALE_MS. */
        extatus_registry *registry = NULL;
        extatus_family *family = NULL;
        f->registered = extatus_registry_lookup(&registry, f->registry) == EXTATUS_OK &&
                        extatus_family_lookup(&family, registry, f->metric) == EXTATUS_OK;
        if (f->registered && now - f->seen_ms <= RW_EMPTY_STALE_MS)
            continue; /* looked at again at the next sweep */
        f->swept_seen_ms = f->seen_ms;
        overdue = true;
    }
    if (!overdue) {
        pthread_mutex_unlock(&st->memory_lock);
        return;
    }
    rw_pending pending;
    memset(&pending, 0, sizeof(pending));
    if (sweep_stale(st, &pending, now, NULL, true) > 0)
        st->order_count = st->cursor = 0; /* it may name freed series */
    pending_flush(st, &pending);
    block_finish(st);
    pthread_mutex_unlock(&st->memory_lock);
}

static void rw_new_entry(void *state, const char *registry, const char *metric, const char *type)
{
    (void)type;
    rw_state *st = state;
    /* A family created again may have other datapoints: learn them anew. */
    pthread_mutex_lock(&st->memory_lock);
    rw_family *f = family_find(st, registry, metric);
    if (f) {
        for (size_t i = 0; i < f->point_count; i++)
            extatus_free(f->point_names[i]);
        extatus_free(f->point_names);
        extatus_free(f->point_roles);
        f->point_names = NULL;
        f->point_roles = NULL;
        f->point_count = 0;
    }
    pthread_mutex_unlock(&st->memory_lock);
}

/* ---------------------------------------------------------------- life cycle */

static void rw_terminate(void *state, int reason);

/* The numeric options: name, bounds, default. */
typedef struct rw_numbers {
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
    int64_t max_per_send;
    int64_t batch_deadline_ms;
    int64_t queue_max_samples;
    int64_t queue_max_bytes;
    int64_t shards;
    int64_t min_backoff_ms;
    int64_t max_backoff_ms;
    int64_t retry_limit_ms;
    int64_t flush_timeout_ms;
} rw_numbers;

static int parse_numbers(rw_numbers *n, const extatus_option *options, size_t count)
{
    const struct {
        const char *key;
        double low;
        double high;
        int64_t fallback;
        int64_t *out;
    } table[] = {
        {"timeout_ms", 1, 3600000, 5000, &n->timeout_ms},
        {"connect_timeout_ms", 1, 3600000, 2000, &n->connect_timeout_ms},
        {"max_samples_per_send", 1, 1000000, 5000, &n->max_per_send},
        {"batch_deadline_ms", 0, 3600000, 1000, &n->batch_deadline_ms},
        {"queue_max_samples", 1, 1e9, 1000000, &n->queue_max_samples},
        {"queue_max_bytes", 1024, 1e12, 256 << 20, &n->queue_max_bytes},
        {"shards", 1, RW_MAX_SHARDS, 1, &n->shards},
        {"min_backoff_ms", 1, 3600000, 30, &n->min_backoff_ms},
        {"max_backoff_ms", 1, 3600000, 5000, &n->max_backoff_ms},
        {"retry_limit_ms", 0, 86400000, 60000, &n->retry_limit_ms},
        {"flush_timeout_ms", 0, 3600000, 1000, &n->flush_timeout_ms},
    };
    int rc = EXTATUS_OK;
    for (size_t i = 0; rc == EXTATUS_OK && i < sizeof(table) / sizeof(table[0]); i++)
        rc = number_option(options, count, table[i].key, table[i].low, table[i].high,
                           table[i].fallback, table[i].out);
    return rc;
}

static int check_keys(const extatus_option *options, size_t count)
{
    static const char *const known_keys[] = {"url",
                                             "protocol",
                                             "external_labels",
                                             "headers",
                                             "username",
                                             "password",
                                             "bearer_token",
                                             "ca_file",
                                             "timeout_ms",
                                             "connect_timeout_ms",
                                             "max_samples_per_send",
                                             "batch_deadline_ms",
                                             "queue_max_samples",
                                             "queue_max_bytes",
                                             "shards",
                                             "min_backoff_ms",
                                             "max_backoff_ms",
                                             "retry_limit_ms",
                                             "flush_timeout_ms"};
    for (size_t i = 0; i < count; i++) {
        bool known = false;
        for (size_t k = 0; k < sizeof(known_keys) / sizeof(known_keys[0]); k++)
            known = known || strcmp(options[i].key, known_keys[k]) == 0;
        if (!known)
            return extatus_entry_error(EXTATUS_ERR_OPTION, "remote write: unknown option '%s'",
                                       options[i].key);
    }
    return EXTATUS_OK;
}

/* The four reserved headers are the sender's own: refuse them in "headers". */
static int check_headers(const extatus_option *headers)
{
    static const char *const reserved[] = {"content-encoding", "content-type",
                                           "x-prometheus-remote-write-version", "user-agent"};
    for (size_t i = 0; headers && i < headers->count; i++) {
        const char *h = ((const char *const *)headers->list)[i];
        for (size_t r = 0; h && r < sizeof(reserved) / sizeof(reserved[0]); r++)
            if (strncasecmp(h, reserved[r], strlen(reserved[r])) == 0 &&
                h[strlen(reserved[r])] == ':')
                return extatus_entry_error(
                    EXTATUS_ERR_OPTION, "remote write: header \"%s\" is reserved to the sender", h);
    }
    return EXTATUS_OK;
}

static int check_url_protocol(const char *url, const char *protocol)
{
    if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "remote write: option 'url' must be an http:// or https:// "
                                   "URL, got %s",
                                   url ? url : "none");
    if (protocol && strcmp(protocol, "1.0") != 0 && strcmp(protocol, "2.0") != 0)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "remote write: option 'protocol' must be \"1.0\" or \"2.0\", "
                                   "got \"%s\"",
                                   protocol);
    return EXTATUS_OK;
}

/* Make each shard's lock, HTTP client and sender thread. */
static int start_shards(rw_state *st, const extatus__push_http_config *http)
{
    int rc = EXTATUS_OK;
    for (size_t i = 0; rc == EXTATUS_OK && i < st->shard_count; i++) {
        rw_shard *shard = &st->shards[i];
        shard->owner = st;
        shard->random = UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t)epoch_ms() << 8) ^ i;
        pthread_mutex_init(&shard->lock, NULL);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&shard->wake, &attr);
        pthread_condattr_destroy(&attr);
        extatus__proto_init(&shard->body);
        rc = extatus__push_http_new(&shard->http, http);
        if (rc == EXTATUS_OK) {
            if (pthread_create(&shard->thread, NULL, sender_main, shard) != 0)
                rc = extatus_entry_error(EXTATUS_ERR_SYSTEM,
                                         "remote write: cannot start a sender thread");
            else
                shard->thread_started = true;
        }
    }
    return rc;
}

static int rw_init(void **state, const char *name, const extatus_option *options, size_t count)
{
    int rc = check_keys(options, count);
    if (rc != EXTATUS_OK)
        return rc;
    rw_state *st = extatus_malloc(sizeof(*st));
    if (!st)
        return EXTATUS_ERR_NOMEM;
    memset(st, 0, sizeof(*st));
    pthread_mutex_init(&st->memory_lock, NULL);
    st->stats = stats_find(name, true);
    const char *url = string_option(options, count, "url", &rc);
    const char *protocol = string_option(options, count, "protocol", &rc);
    rw_numbers n;
    const extatus_option *headers = NULL;
    if (rc == EXTATUS_OK && !st->stats)
        rc = EXTATUS_ERR_NOMEM;
    if (rc == EXTATUS_OK)
        rc = check_url_protocol(url, protocol);
    if (rc == EXTATUS_OK)
        rc = parse_numbers(&n, options, count);
    if (rc == EXTATUS_OK)
        rc = parse_external(st, options, count);
    if (rc == EXTATUS_OK)
        headers = find_option(options, count, "headers", EXTATUS_OPTION_STRINGS, &rc);
    if (rc == EXTATUS_OK)
        rc = check_headers(headers);
    if (rc != EXTATUS_OK) {
        rw_terminate(st, rc);
        return rc;
    }
    st->url = extatus__push_strdup(url);
    st->want_v2 = protocol && strcmp(protocol, "2.0") == 0;
    atomic_store(&st->use_v2, st->want_v2);
    pthread_mutex_lock(&st->stats->lock);
    st->stats->s.protocol = st->want_v2 ? 2 : 1;
    pthread_mutex_unlock(&st->stats->lock);
    st->max_per_send = (size_t)n.max_per_send;
    st->batch_deadline_ms = n.batch_deadline_ms;
    st->min_backoff_ms = n.min_backoff_ms;
    st->max_backoff_ms = n.max_backoff_ms;
    st->retry_limit_ms = n.retry_limit_ms;
    st->flush_timeout_ms = n.flush_timeout_ms;
    st->shard_count = (size_t)n.shards;
    st->shard_max_samples = (size_t)n.queue_max_samples / st->shard_count + 1;
    st->shard_max_bytes = (size_t)n.queue_max_bytes / st->shard_count + 1;
    st->shards = extatus_malloc(st->shard_count * sizeof(*st->shards));
    if (!st->url || !st->shards) {
        rw_terminate(st, EXTATUS_ERR_NOMEM);
        return EXTATUS_ERR_NOMEM;
    }
    memset(st->shards, 0, st->shard_count * sizeof(*st->shards));
    extatus__push_http_config http = {
        .connect_timeout_ms = n.connect_timeout_ms,
        .timeout_ms = n.timeout_ms,
        .username = string_option(options, count, "username", &rc),
        .password = string_option(options, count, "password", &rc),
        .bearer_token = string_option(options, count, "bearer_token", &rc),
        .ca_file = string_option(options, count, "ca_file", &rc),
        .headers = headers ? headers->list : NULL,
        .header_count = headers ? headers->count : 0,
        .stopping = sender_stopping,
        .stopping_arg = st,
    };
    if (rc == EXTATUS_OK)
        rc = start_shards(st, &http);
    if (rc != EXTATUS_OK) {
        rw_terminate(st, rc);
        return rc;
    }
    *state = st;
    return EXTATUS_OK;
}

static void rw_terminate(void *state, int reason)
{
    (void)reason;
    rw_state *st = state;
    /* Senders get flush_timeout_ms to send what is queued, then every request is abandoned. */
    atomic_store(&st->give_up_ms, mono_ms() + st->flush_timeout_ms);
    atomic_store(&st->closing, true);
    for (size_t i = 0; st->shards && i < st->shard_count; i++) {
        rw_shard *shard = &st->shards[i];
        if (!shard->thread_started)
            continue;
        pthread_mutex_lock(&shard->lock);
        pthread_cond_broadcast(&shard->wake);
        pthread_mutex_unlock(&shard->lock);
    }
    for (size_t i = 0; st->shards && i < st->shard_count; i++) {
        rw_shard *shard = &st->shards[i];
        if (shard->thread_started)
            pthread_join(shard->thread, NULL);
        if (shard->owner) {
            extatus__push_http_free(shard->http);
            extatus__proto_dispose(&shard->body);
            extatus_free(shard->compressed);
            pthread_mutex_destroy(&shard->lock);
            pthread_cond_destroy(&shard->wake);
        }
    }
    extatus_free(st->shards);
    for (size_t b = 0; b < st->known_buckets; b++) {
        rw_known *k = st->known[b];
        while (k) {
            rw_known *next = k->next;
            extatus_free(k);
            k = next;
        }
    }
    extatus_free(st->known);
    extatus_free(st->order);
    extatus_free(st->next_order);
    while (st->families) {
        rw_family *next = st->families->next;
        family_free(st->families);
        st->families = next;
    }
    extatus_free(st->external_text);
    extatus_free(st->url);
    pthread_mutex_destroy(&st->memory_lock);
    extatus_free(st);
}

static const extatus_reporter_ops remote_write_ops = {
    .version = EXTATUS_REPORTER_OPS_VERSION,
    .init = rw_init,
    .report = rw_report,
    .report_bulk = rw_report_bulk,
    .subscribe = rw_subscribe,
    .unsubscribe = rw_unsubscribe,
    .new_entry = rw_new_entry,
    .terminate = rw_terminate,
};

const extatus_reporter_ops *extatus_reporter_remote_write(void)
{
    return &remote_write_ops;
}

int extatus_remote_write_get_stats(const char *name, extatus_remote_write_stats *stats)
{
    if (!name || !stats)
        return extatus_entry_error(EXTATUS_ERR_INVALID, "remote write: NULL argument");
    rw_stats *found = stats_find(name, false);
    if (!found)
        return extatus_entry_error(EXTATUS_ERR_NOT_FOUND,
                                   "remote write: no remote write reporter '%s'", name);
    pthread_mutex_lock(&found->lock);
    *stats = found->s;
    pthread_mutex_unlock(&found->lock);
    return EXTATUS_OK;
}
