/*
 * push_http.c - the push library's HTTP transport over libcurl.
 *
 * A client holds one easy handle inside one multi handle. A request is
 * driven by curl_multi_perform/curl_multi_poll in slices of at most
 * EXTATUS__PUSH_HTTP_SLICE_MS; between slices the stop flag and the
 * caller's `stopping` callback are looked at, and extatus__push_http_stop
 * also wakes the poll at once (curl_multi_wakeup). libcurl's own
 * CURLOPT_CONNECTTIMEOUT_MS and CURLOPT_TIMEOUT_MS bound the request; a
 * guard deadline a little later ends the loop should libcurl not.
 *
 * The easy handle keeps its connection between requests (keep-alive).
 * Options that differ between requests (method, body, headers) are set
 * again on every request.
 */
#include "push_http.h"
#include "push_util.h"

#include "extatus.h"
#include "extatus/sys/entry.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

struct extatus__push_http {
    CURL *easy;                         /* reused for every request: keeps the connection */
    CURLM *multi;                       /* drives the easy handle in slices */
    char **common_header_text;          /* copies of the config's headers */
    size_t common_header_count;         /* entries in common_header_text */
    char *username;                     /* basic auth, or NULL */
    char *password;                     /* basic auth, or NULL */
    char *authorization;                /* "Authorization: Bearer ...", or NULL */
    char *ca_file;                      /* or NULL */
    int64_t connect_timeout_ms;         /* per request */
    int64_t timeout_ms;                 /* per request */
    bool (*stopping)(void *arg);        /* the caller's stop check, or NULL */
    void *stopping_arg;                 /* its argument */
    _Atomic bool stopped;               /* extatus__push_http_stop was called */
    unsigned char *gzip_out;            /* compressed body of the request in progress */
    size_t gzip_capacity;               /* bytes allocated at gzip_out */
    extatus__push_http_result *current; /* result of the request in progress */
    char curl_error[CURL_ERROR_SIZE];   /* libcurl's message of the last failure */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_started = CURLE_FAILED_INIT;

static void curl_start(void)
{
    curl_started = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Keep the first bytes of the answer; read and drop the rest. */
static size_t keep_answer(char *data, size_t size, size_t count, void *arg)
{
    extatus__push_http_result *result = arg;
    size_t bytes = size * count;
    size_t room = EXTATUS__PUSH_HTTP_ANSWER_MAX - result->answer_size;
    size_t take = bytes < room ? bytes : room;
    memcpy(result->answer + result->answer_size, data, take);
    result->answer_size += take;
    result->answer[result->answer_size] = '\0';
    return bytes;
}

void extatus__push_http_free(extatus__push_http *client)
{
    if (!client)
        return;
    if (client->multi && client->easy)
        curl_multi_remove_handle(client->multi, client->easy);
    if (client->easy)
        curl_easy_cleanup(client->easy);
    if (client->multi)
        curl_multi_cleanup(client->multi);
    for (size_t i = 0; i < client->common_header_count; i++)
        extatus_free(client->common_header_text[i]);
    extatus_free(client->common_header_text);
    extatus_free(client->username);
    extatus_free(client->password);
    extatus_free(client->authorization);
    extatus_free(client->ca_file);
    extatus_free(client->gzip_out);
    extatus_free(client);
}

/* A header line "Name: value" with a non-empty name of visible characters. */
static bool valid_header(const char *header)
{
    const char *colon = header ? strchr(header, ':') : NULL;
    if (!colon || colon == header)
        return false;
    for (const char *p = header; p < colon; p++)
        if (*p <= ' ' || *p == 127)
            return false;
    for (const char *p = colon; *p; p++)
        if (*p == '\r' || *p == '\n')
            return false;
    return true;
}

int extatus__push_http_new(extatus__push_http **out, const extatus__push_http_config *config)
{
    if (!out || !config)
        return extatus_entry_error(EXTATUS_ERR_INVALID, "push: NULL argument");
    *out = NULL;
    if (config->password && !config->username)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "push: a password needs a user name");
    if (config->connect_timeout_ms < 0 || config->timeout_ms < 0)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "push: timeouts must not be negative");
    for (size_t i = 0; i < config->header_count; i++)
        if (!valid_header(config->headers[i]))
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "push: header '%s' is not \"Name: value\" on one line",
                                       config->headers[i] ? config->headers[i] : "(null)");
    pthread_once(&curl_once, curl_start);
    if (curl_started != CURLE_OK)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "push: libcurl could not start: %s",
                                   curl_easy_strerror(curl_started));

    extatus__push_http *client = extatus_malloc(sizeof(*client));
    if (!client)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory");
    memset(client, 0, sizeof(*client));
    atomic_init(&client->stopped, false);
    client->connect_timeout_ms = config->connect_timeout_ms ? config->connect_timeout_ms
                                                            : EXTATUS__PUSH_HTTP_CONNECT_TIMEOUT_MS;
    client->timeout_ms = config->timeout_ms ? config->timeout_ms : EXTATUS__PUSH_HTTP_TIMEOUT_MS;
    client->stopping = config->stopping;
    client->stopping_arg = config->stopping_arg;
    bool ok =
        (client->easy = curl_easy_init()) != NULL && (client->multi = curl_multi_init()) != NULL;
    ok = ok && (!config->username || (client->username = extatus__push_strdup(config->username)));
    ok = ok && (!config->password || (client->password = extatus__push_strdup(config->password)));
    ok = ok && (!config->ca_file || (client->ca_file = extatus__push_strdup(config->ca_file)));
    if (ok && config->bearer_token) {
        size_t size = strlen(config->bearer_token) + sizeof("Authorization: Bearer ");
        client->authorization = extatus_malloc(size);
        ok = client->authorization != NULL;
        if (ok)
            snprintf(client->authorization, size, "Authorization: Bearer %s", config->bearer_token);
    }
    if (ok && config->header_count) {
        client->common_header_text = extatus_malloc(config->header_count * sizeof(char *));
        ok = client->common_header_text != NULL;
        for (size_t i = 0; ok && i < config->header_count; i++) {
            ok = (client->common_header_text[i] = extatus__push_strdup(config->headers[i])) != NULL;
            if (ok)
                client->common_header_count++;
        }
    }
    if (!ok) {
        extatus__push_http_free(client);
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory");
    }
    *out = client;
    return EXTATUS_OK;
}

bool extatus__push_http_header(extatus__push_http *client, const char *name, char *out, size_t size)
{
    struct curl_header *header = NULL;
    if (!client || !name || !out || !size ||
        curl_easy_header(client->easy, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK || !header)
        return false;
    /* header->amount: how many times it came; the last one counts. */
    size_t amount = header->amount;
    if (amount > 1 &&
        curl_easy_header(client->easy, name, amount - 1, CURLH_HEADER, -1, &header) != CURLHE_OK)
        return false;
    snprintf(out, size, "%s", header->value);
    return true;
}

void extatus__push_http_stop(extatus__push_http *client)
{
    if (!client)
        return;
    atomic_store(&client->stopped, true);
    if (client->multi)
        curl_multi_wakeup(client->multi);
}

void extatus__push_http_resume(extatus__push_http *client)
{
    if (client)
        atomic_store(&client->stopped, false);
}

static bool stop_requested(extatus__push_http *client)
{
    return atomic_load(&client->stopped) ||
           (client->stopping && client->stopping(client->stopping_arg));
}

/* Compress body into client->gzip_out (a gzip member); *size gets its length. */
static int gzip_body(extatus__push_http *client, const void *body, size_t body_size, size_t *size)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "push: cannot start gzip");
    size_t need = deflateBound(&z, (uLong)body_size);
    if (need > client->gzip_capacity) {
        unsigned char *bigger = extatus_malloc(need);
        if (!bigger) {
            deflateEnd(&z);
            return extatus_entry_error(EXTATUS_ERR_NOMEM, "push: out of memory for gzip");
        }
        extatus_free(client->gzip_out);
        client->gzip_out = bigger;
        client->gzip_capacity = need;
    }
    z.next_in = (Bytef *)(uintptr_t)body;
    z.avail_in = (uInt)body_size;
    z.next_out = client->gzip_out;
    z.avail_out = (uInt)client->gzip_capacity;
    int zrc = deflate(&z, Z_FINISH);
    *size = z.total_out;
    deflateEnd(&z);
    if (zrc != Z_STREAM_END)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "push: gzip failed (%d)", zrc);
    return EXTATUS_OK;
}

/* The answer's first bytes for a message: control characters become spaces. */
static const char *printable_answer(extatus__push_http_result *result)
{
    for (size_t i = 0; i < result->answer_size; i++)
        if ((unsigned char)result->answer[i] < ' ' || result->answer[i] == 127)
            result->answer[i] = ' ';
    return result->answer;
}

/* Append one header line to *list (left as it was on failure). */
static bool append_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (!grown)
        return false;
    *list = grown;
    return true;
}

/* Set the options of this request on the reused easy handle. */
static int prepare(extatus__push_http *client, const extatus__push_http_request *request,
                   const void *body, size_t body_size, struct curl_slist **headers)
{
    CURL *e = client->easy;
    CURLcode c = CURLE_OK;
    /* Requests are bounded and thread-friendly: no signals, no redirects, http(s) only. */
    c = c ? c : curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    c = c ? c : curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    c = c ? c : curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    c = c ? c : curl_easy_setopt(e, CURLOPT_URL, request->url);
    c = c ? c : curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)client->connect_timeout_ms);
    c = c ? c : curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)client->timeout_ms);
    c = c ? c : curl_easy_setopt(e, CURLOPT_ERRORBUFFER, client->curl_error);
    c = c ? c : curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_answer);
    c = c ? c : curl_easy_setopt(e, CURLOPT_WRITEDATA, client->current);
    if (client->username) {
        c = c ? c : curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        c = c ? c : curl_easy_setopt(e, CURLOPT_USERNAME, client->username);
        c = c ? c : curl_easy_setopt(e, CURLOPT_PASSWORD, client->password ? client->password : "");
    }
    if (client->ca_file)
        c = c ? c : curl_easy_setopt(e, CURLOPT_CAINFO, client->ca_file);
    /* The method: a body goes out as POST data under the request's own method name. */
    if (body_size || strcmp(request->method, "GET") != 0) {
        c = c ? c : curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_size);
        c = c ? c : curl_easy_setopt(e, CURLOPT_POSTFIELDS, body_size ? body : "");
    } else {
        c = c ? c : curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    c = c ? c : curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, request->method);
    if (c != CURLE_OK)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "%s %s: %s", request->method, request->url,
                                   curl_easy_strerror(c));

    /* Headers: no "Expect: 100-continue" wait; then content, auth, the client's, the request's. */
    char content_type[256];
    struct curl_slist *list = NULL;
    bool ok = append_header(&list, "Expect:");
    /* Without a content type, none is sent (not libcurl's default form type for POST data). */
    snprintf(content_type, sizeof(content_type), "Content-Type:%s%s",
             request->content_type ? " " : "", request->content_type ? request->content_type : "");
    ok = ok && append_header(&list, content_type);
    if (ok && request->gzip)
        ok = append_header(&list, "Content-Encoding: gzip");
    if (ok && client->authorization)
        ok = append_header(&list, client->authorization);
    for (size_t i = 0; ok && i < client->common_header_count; i++)
        ok = append_header(&list, client->common_header_text[i]);
    for (size_t i = 0; ok && i < request->header_count; i++)
        ok = valid_header(request->headers[i]) && append_header(&list, request->headers[i]);
    *headers = list;
    if (!ok)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "%s %s: cannot build the headers",
                                   request->method, request->url);
    if (curl_easy_setopt(e, CURLOPT_HTTPHEADER, list) != CURLE_OK)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "%s %s: cannot set the headers",
                                   request->method, request->url);
    return EXTATUS_OK;
}

/*
 * A write to a connection the peer has reset raises SIGPIPE, which would
 * end the program; libcurl is told not to touch signals (CURLOPT_NOSIGNAL,
 * for threads), and a TLS library may write with plain write(). So the
 * request runs with SIGPIPE blocked in the calling thread, and one raised
 * meanwhile is taken off the thread's pending set before the mask is put
 * back.
 */
static void sigpipe_block(sigset_t *saved)
{
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, saved);
}

static void sigpipe_restore(const sigset_t *saved)
{
    sigset_t pending;
    sigemptyset(&pending);
    if (!sigismember(saved, SIGPIPE) && sigpending(&pending) == 0 &&
        sigismember(&pending, SIGPIPE)) {
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        struct timespec now = {0, 0};
        (void)sigtimedwait(&pipe_only, NULL, &now);
    }
    pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* Drive the transfer until it ends, the guard deadline passes or the client is stopped. */
static CURLcode run(extatus__push_http *client, bool *stopped)
{
    int64_t guard_ns = now_ns() + (client->timeout_ms + 1000) * 1000000;
    *stopped = false;
    if (curl_multi_add_handle(client->multi, client->easy) != CURLM_OK)
        return CURLE_FAILED_INIT;
    CURLcode result = CURLE_OK;
    for (;;) {
        int running = 0;
        if (curl_multi_perform(client->multi, &running) != CURLM_OK) {
            result = CURLE_FAILED_INIT;
            break;
        }
        if (!running) {
            int left = 0;
            CURLMsg *message = curl_multi_info_read(client->multi, &left);
            result =
                message && message->msg == CURLMSG_DONE ? message->data.result : CURLE_FAILED_INIT;
            break;
        }
        if (stop_requested(client)) {
            *stopped = true;
            result = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (now_ns() >= guard_ns) {
            result = CURLE_OPERATION_TIMEDOUT;
            break;
        }
        if (curl_multi_poll(client->multi, NULL, 0, EXTATUS__PUSH_HTTP_SLICE_MS, NULL) !=
            CURLM_OK) {
            result = CURLE_FAILED_INIT;
            break;
        }
    }
    curl_multi_remove_handle(client->multi, client->easy);
    return result;
}

static extatus__push_http_failure failure_of(CURLcode code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return EXTATUS__PUSH_HTTP_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        return EXTATUS__PUSH_HTTP_CONNECT;
    default:
        return EXTATUS__PUSH_HTTP_ERROR;
    }
}

int extatus__push_http_send(extatus__push_http *client, const extatus__push_http_request *request,
                            extatus__push_http_result *result)
{
    if (!client || !request || !result || !request->method || !request->url ||
        (!request->body && request->body_size))
        return extatus_entry_error(EXTATUS_ERR_INVALID, "push: NULL argument");
    memset(result, 0, sizeof(*result));
    result->retry_after_ms = -1;
    result->failure = EXTATUS__PUSH_HTTP_ERROR;
    int64_t start_ns = now_ns();
    client->current = result;
    client->curl_error[0] = '\0';

    const void *body = request->body;
    size_t body_size = request->body_size;
    int rc = EXTATUS_OK;
    if (request->gzip) {
        rc = gzip_body(client, request->body, request->body_size, &body_size);
        body = client->gzip_out;
    }
    struct curl_slist *headers = NULL;
    if (rc == EXTATUS_OK)
        rc = prepare(client, request, body, body_size, &headers);
    if (rc != EXTATUS_OK) {
        curl_slist_free_all(headers);
        client->current = NULL;
        return rc;
    }

    bool stopped = false;
    sigset_t saved;
    sigpipe_block(&saved);
    CURLcode code = run(client, &stopped);
    sigpipe_restore(&saved);
    result->duration_ns = now_ns() - start_ns;
    curl_easy_getinfo(client->easy, CURLINFO_RESPONSE_CODE, &result->status);
    curl_off_t retry_after = 0;
    if (curl_easy_getinfo(client->easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
        retry_after > 0)
        result->retry_after_ms = (int64_t)retry_after * 1000;
    curl_off_t uploaded = 0;
    if (curl_easy_getinfo(client->easy, CURLINFO_SIZE_UPLOAD_T, &uploaded) == CURLE_OK)
        result->bytes_sent = (uint64_t)uploaded;
    /* Forget the per-request pointers before they go out of scope. */
    curl_easy_setopt(client->easy, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(client->easy, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(client->easy, CURLOPT_WRITEDATA, NULL);
    curl_slist_free_all(headers);
    client->current = NULL;

    const char *method = request->method;
    const char *url = request->url;
    if (stopped) {
        result->failure = EXTATUS__PUSH_HTTP_STOPPED;
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "%s %s: abandoned: the push is stopping",
                                   method, url);
    }
    if (code != CURLE_OK) {
        result->failure = failure_of(code);
        if (result->failure == EXTATUS__PUSH_HTTP_TIMEOUT)
            return extatus_entry_error(
                EXTATUS_ERR_SYSTEM, "%s %s: no answer within %lld ms (connect timeout %lld ms): %s",
                method, url, (long long)client->timeout_ms, (long long)client->connect_timeout_ms,
                client->curl_error[0] ? client->curl_error : curl_easy_strerror(code));
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "%s %s: %s", method, url,
                                   client->curl_error[0] ? client->curl_error
                                                         : curl_easy_strerror(code));
    }
    if (result->status < 200 || result->status > 299) {
        result->failure = EXTATUS__PUSH_HTTP_STATUS;
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "%s %s: status %ld: %s%s", method, url,
                                   result->status, printable_answer(result),
                                   result->answer_size == EXTATUS__PUSH_HTTP_ANSWER_MAX ? "..."
                                                                                        : "");
    }
    result->failure = EXTATUS__PUSH_HTTP_OK;
    return EXTATUS_OK;
}
