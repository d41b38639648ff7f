/*
 * family_options.h - the options core reads itself when a family is
 * registered or changed (core/family_options.c). Core only.
 */
#ifndef EXTATUS_FAMILY_OPTIONS_H
#define EXTATUS_FAMILY_OPTIONS_H

#include "core/internal.h"

/* The library's own options of a family, as given at registration. */
typedef struct extatus__common_options {
    const char *help;          /* option help; NULL when absent */
    const char *unit;          /* option unit; NULL when absent */
    const char *const *labels; /* option labels: label names */
    size_t label_count;        /* entries in labels */
    size_t max_series;         /* option max_series; 0 when absent */
    int64_t cache_ms;          /* option cache; 0: none */
} extatus__common_options;

/*
 * Read and check the library's options among options[0..count) for a
 * family `name` of `type` into *common (which starts zeroed); the entry's
 * options are skipped. EXTATUS_ERR_OPTION or EXTATUS_ERR_LABEL with a
 * message naming the family otherwise.
 */
int extatus__common_options_parse(extatus__common_options *common, const char *name,
                                  const extatus__type *type, const extatus_option *options,
                                  size_t count);

/*
 * Check options given to setopts after registration: each has a key, none
 * is the library's own (fixed at registration), and the type takes
 * options at all.
 */
int extatus__setopts_check(const extatus_family *family, const extatus_option *options,
                           size_t count);

#endif /* EXTATUS_FAMILY_OPTIONS_H */
