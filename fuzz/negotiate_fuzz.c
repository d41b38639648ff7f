/*
 * negotiate_fuzz.c - arbitrary Accept and Accept-Encoding values through
 * the negotiation (src/http/negotiate.c) and a whole scrape render.
 *
 * Input: the Accept value, '\n', the Accept-Encoding value (either may be
 * empty; a missing '\n' means no Accept-Encoding header). Each value is
 * copied into a buffer of exactly its size, so a read past its end is a
 * sanitizer report. The answers must be one of the two formats, the
 * scrape's Content-Type must be that format's, and a gzip body must be a
 * gzip member.
 */
#include <string.h>

#include "fuzz.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *newline = memchr(data, '\n', size);
    size_t accept_size = newline ? (size_t)(newline - data) : size;
    char *accept = malloc(accept_size + 1);
    char *encoding = NULL;
    static int ready;

    if (!accept)
        return 0;
    memcpy(accept, data, accept_size);
    accept[accept_size] = '\0';
    if (newline) {
        size_t encoding_size = size - accept_size - 1;
        encoding = malloc(encoding_size + 1);
        if (!encoding) {
            free(accept);
            return 0;
        }
        memcpy(encoding, newline + 1, encoding_size);
        encoding[encoding_size] = '\0';
    }
    if (!ready) {
        extatus_counter *counter;
        if (extatus_counter_new(&counter, NULL, "fuzz_requests", "Requests.") == EXTATUS_OK)
            extatus_counter_add(counter, 3);
        ready = 1;
    }

    extatus_format format = extatus__http_negotiate_format(accept);
    FUZZ_CHECK(format == EXTATUS_FORMAT_TEXT || format == EXTATUS_FORMAT_OPENMETRICS);
    bool gzip = extatus__http_accepts_gzip(encoding);

    extatus_scrape scrape = EXTATUS_SCRAPE_INIT;
    FUZZ_CHECK(extatus_scrape_render(&scrape, accept, encoding, NULL) == EXTATUS_OK);
    FUZZ_CHECK(scrape.format == format);
    FUZZ_CHECK(strcmp(scrape.content_type, extatus_format_content_type(format)) == 0);
    if (gzip) {
        FUZZ_CHECK(scrape.content_encoding && strcmp(scrape.content_encoding, "gzip") == 0);
        /* A gzip member: magic, deflate method, and the uncompressed size at its end. */
        const unsigned char *z = (const unsigned char *)scrape.body.ptr;
        FUZZ_CHECK(scrape.body.size >= 18 && z[0] == 0x1f && z[1] == 0x8b && z[2] == 8);
        size_t n = scrape.body.size;
        uint32_t isize = (uint32_t)z[n - 4] | (uint32_t)z[n - 3] << 8 | (uint32_t)z[n - 2] << 16 |
                         (uint32_t)z[n - 1] << 24;
        FUZZ_CHECK(isize == (uint32_t)scrape.uncompressed_size);
    } else {
        FUZZ_CHECK(scrape.content_encoding == NULL);
        FUZZ_CHECK(scrape.body.size == scrape.uncompressed_size);
    }
    extatus_scrape_dispose(&scrape);
    free(accept);
    free(encoding);
    return 0;
}
