/*
 * check.h - render the default registry in both formats and check the
 * output: OpenMetrics with the strict checker, text 0.0.4 line by line.
 */
#ifndef EXTATUS_FUZZ_CHECK_H
#define EXTATUS_FUZZ_CHECK_H

#include <string.h>

#include "extatus.h"
#include "fuzz.h"

/* Text 0.0.4: every line is a comment or starts with a metric name and ends in '\n'. */
static inline void fuzz_check_text(const char *text, size_t size)
{
    FUZZ_CHECK(strlen(text) == size);
    FUZZ_CHECK(size == 0 || text[size - 1] == '\n');
    for (const char *line = text; line < text + size;) {
        const char *end = strchr(line, '\n');
        FUZZ_CHECK(end != NULL);
        char first = line[0];
        FUZZ_CHECK(first == '#' || first == '_' || first == ':' || (first >= 'a' && first <= 'z') ||
                   (first >= 'A' && first <= 'Z'));
        /* A carriage return may only stand inside a label value, before the last '}'. */
        const char *cr = memchr(line, '\r', (size_t)(end - line));
        if (cr) {
            const char *brace = end;
            while (brace > line && *brace != '}')
                brace--;
            FUZZ_CHECK(first != '#' && *brace == '}' && cr < brace);
        }
        line = end + 1;
    }
}

static inline void fuzz_expose_and_check(void)
{
    for (int format = 0; format < 2; format++) {
        extatus_buf text = EXTATUS_BUF_INIT;
        extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
        options.format = format ? EXTATUS_FORMAT_OPENMETRICS : EXTATUS_FORMAT_TEXT;
        options.omit_created = 0;
        FUZZ_CHECK(extatus_expose(&text, NULL, 0, &options) == EXTATUS_OK);
        if (format) {
            if (!om_check_buffer("fuzz", text.ptr, text.size)) {
                fprintf(stderr, "invalid OpenMetrics output\n");
                abort();
            }
        } else {
            fuzz_check_text(text.ptr, text.size);
        }
        extatus_buf_dispose(&text);
    }
}

#endif /* EXTATUS_FUZZ_CHECK_H */
