/*
 * request_fuzz.c - whole HTTP requests through the embedding render
 * function, the way a program with its own server would use it: the
 * request head is split into lines, the Accept and Accept-Encoding values
 * are taken from it (several lines of one header joined with ", "), and
 * extatus_scrape_render() produces the answer. Whatever the request, the
 * answer must carry one of the two exact content types, an uncompressed
 * body that is valid for its format, and a gzip body that inflates to
 * exactly the uncompressed size.
 *
 * The same header lines go through the exporter's framing rules
 * (src/http/request.c): the verdict is 0, 400 or 501, and a head that
 * an independent count finds ambiguous (Content-Length with
 * Transfer-Encoding, several Content-Length or Host lines, whitespace
 * before a colon) is never served.
 */
#include <libdeflate.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "extatus/exporter.h"
#include "../src/http/http.h"

#define MAX_HEADER 8192

/* Append a header value to `list` (comma-joined), keeping it NUL-terminated. */
static void join(char *list, const char *value, size_t length)
{
    size_t used = strlen(list);
    if (used && used + 2 < MAX_HEADER) {
        memcpy(list + used, ", ", 2);
        used += 2;
    }
    if (length > MAX_HEADER - 1 - used)
        length = MAX_HEADER - 1 - used;
    memcpy(list + used, value, length);
    list[used + length] = '\0';
}

static void check_answer(const extatus_scrape *scrape)
{
    const char *text = extatus_format_content_type(EXTATUS_FORMAT_TEXT);
    const char *om = extatus_format_content_type(EXTATUS_FORMAT_OPENMETRICS);
    FUZZ_CHECK(scrape->content_type != NULL);
    FUZZ_CHECK(strcmp(scrape->content_type, text) == 0 || strcmp(scrape->content_type, om) == 0);
    bool openmetrics = strcmp(scrape->content_type, om) == 0;
    FUZZ_CHECK(openmetrics == (scrape->format == EXTATUS_FORMAT_OPENMETRICS));
    char *plain = NULL;
    if (scrape->content_encoding) {
        FUZZ_CHECK(strcmp(scrape->content_encoding, "gzip") == 0);
        plain = malloc(scrape->uncompressed_size + 1);
        FUZZ_CHECK(plain != NULL);
        struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
        FUZZ_CHECK(inflater != NULL);
        size_t got = 0;
        FUZZ_CHECK(libdeflate_gzip_decompress(inflater, scrape->body.ptr, scrape->body.size, plain,
                                              scrape->uncompressed_size,
                                              &got) == LIBDEFLATE_SUCCESS);
        libdeflate_free_decompressor(inflater);
        FUZZ_CHECK(got == scrape->uncompressed_size);
    } else {
        FUZZ_CHECK(scrape->body.size == scrape->uncompressed_size);
        plain = malloc(scrape->body.size + 1);
        FUZZ_CHECK(plain != NULL);
        memcpy(plain, scrape->body.ptr, scrape->body.size);
    }
    plain[scrape->uncompressed_size] = '\0';
    if (openmetrics) {
        if (!om_check_buffer("request", plain, scrape->uncompressed_size)) {
            fprintf(stderr, "invalid OpenMetrics answer\n");
            abort();
        }
    } else {
        fuzz_check_text(plain, scrape->uncompressed_size);
    }
    free(plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static extatus_counter *counter;
    static char accept[MAX_HEADER], encoding[MAX_HEADER];
    if (!counter) {
        const char *labels[] = {"path"};
        extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
        extatus_family *family;
        FUZZ_CHECK(extatus_family_new(&family, NULL, "fuzz_requests_total", "counter", options,
                                      1) == EXTATUS_OK);
        const char *values[] = {"/metrics"};
        FUZZ_CHECK(extatus_counter_get(&counter, family, extatus_labels_of(values, 1)) ==
                   EXTATUS_OK);
    }
    extatus_counter_inc(counter);

    accept[0] = encoding[0] = '\0';
    bool have_accept = false, have_encoding = false;
    extatus__http_framing framing;
    extatus__http_framing_init(&framing, false);
    unsigned lengths = 0, hosts = 0, encodings = 0, spaced = 0;
    const char *end = (const char *)data + size;
    const char *line = (const char *)data;
    /* Skip the request line, then read header lines until an empty one. */
    const char *next = memchr(line, '\n', size);
    line = next ? next + 1 : end;
    while (line < end) {
        next = memchr(line, '\n', (size_t)(end - line));
        const char *stop = next ? next : end;
        size_t length = (size_t)(stop - line);
        if (length && line[length - 1] == '\r')
            length--;
        if (length == 0)
            break;
        const char *colon = memchr(line, ':', length);
        if (colon) {
            size_t name_length = (size_t)(colon - line);
            const char *value = colon + 1;
            size_t value_length = length - name_length - 1;
            while (value_length && (*value == ' ' || *value == '\t'))
                value++, value_length--;
            extatus__http_framing_add(&framing, line, name_length, value, value_length);
            lengths += name_length == 14 && strncasecmp(line, "content-length", 14) == 0;
            hosts += name_length == 4 && strncasecmp(line, "host", 4) == 0;
            encodings += name_length == 17 && strncasecmp(line, "transfer-encoding", 17) == 0;
            spaced += memchr(line, ' ', name_length) || memchr(line, '\t', name_length);
            if (name_length == 6 && strncasecmp(line, "accept", 6) == 0) {
                join(accept, value, value_length);
                have_accept = true;
            } else if (name_length == 15 && strncasecmp(line, "accept-encoding", 15) == 0) {
                join(encoding, value, value_length);
                have_encoding = true;
            }
        }
        line = next ? next + 1 : end;
    }

    const char *reason = NULL;
    unsigned verdict = extatus__http_framing_verdict(&framing, &reason);
    FUZZ_CHECK(verdict == 0 || verdict == 400 || verdict == 501);
    FUZZ_CHECK(verdict == 0 || (reason && reason[0]));
    if (lengths > 1 || hosts > 1 || (lengths && encodings) || spaced)
        FUZZ_CHECK(verdict != 0);

    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;
    int rc = extatus_scrape_render(&scrape, have_accept ? accept : NULL,
                                   have_encoding ? encoding : NULL, NULL);
    FUZZ_CHECK(rc == EXTATUS_OK);
    check_answer(&scrape);
    extatus_scrape_dispose(&scrape);
    return 0;
}
