/*
 * render_support.h - what the programs that render registries for the
 * external checks share: CHECK (exit on any failed call, with the error)
 * and write_both (the registry in text 0.0.4 to PREFIX.prom and in
 * OpenMetrics to PREFIX.om).
 */
#ifndef EXTATUS_TESTS_RENDER_SUPPORT_H
#define EXTATUS_TESTS_RENDER_SUPPORT_H

#include <stdio.h>
#include <stdlib.h>

#include "extatus.h"

#define CHECK(call)                                                                                \
    do {                                                                                           \
        int check_rc_ = (call);                                                                    \
        if (check_rc_ != EXTATUS_OK) {                                                             \
            fprintf(stderr, "%s:%d: %s failed: %s (%s)\n", __FILE__, __LINE__, #call,              \
                    extatus_strerror(check_rc_), extatus_error_last());                            \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static inline void write_file(const char *prefix, const char *extension, const extatus_buf *buf)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s.%s", prefix, extension);
    FILE *file = fopen(path, "wb");
    if (!file || fwrite(buf->ptr, 1, buf->size, file) != buf->size || fclose(file) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* Render `registry` in both formats to PREFIX.prom and PREFIX.om. */
static inline void write_both(const char *prefix, extatus_registry *registry)
{
    extatus_buf buf = EXTATUS_BUF_INIT;
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    CHECK(extatus_expose(&buf, &registry, 1, &options));
    write_file(prefix, "prom", &buf);
    extatus_buf_dispose(&buf);
    options.format = EXTATUS_FORMAT_OPENMETRICS;
    CHECK(extatus_expose(&buf, &registry, 1, &options));
    write_file(prefix, "om", &buf);
    extatus_buf_dispose(&buf);
}

#endif /* EXTATUS_TESTS_RENDER_SUPPORT_H */
