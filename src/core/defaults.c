/*
 * defaults.c - type defaults by name pattern (exometer's set_default).
 *
 * A default is (pattern, type, options). When a family of `type` is
 * created with a name the pattern matches, the default's options are put
 * in front of the caller's, so the caller's win (the last option of a key
 * wins everywhere). A pattern is a name prefix in which '*' stands for any
 * run of characters: "http_*" matches every name starting "http_",
 * "*_seconds" every name containing "_seconds". When several patterns
 * match, the one with the most literal characters is used; on a tie, the
 * one set last.
 */
#include "core/internal.h"

#include <string.h>

typedef struct type_default {
    char *pattern;             /* name prefix with '*' wildcards */
    char *type;                /* type name it applies to */
    size_t literal;            /* characters other than '*' (specificity) */
    extatus_option *options;   /* deep copy */
    size_t option_count;       /* entries in options */
    struct type_default *next; /* newest first */
} type_default;

static pthread_mutex_t defaults_lock = PTHREAD_MUTEX_INITIALIZER;
static type_default *defaults;

/* Does `pattern` match a prefix of `name`? ('*' = any run, possibly empty) */
static bool prefix_match(const char *pattern, const char *name)
{
    if (*pattern == '\0')
        return true;
    if (*pattern == '*') {
        for (const char *at = name;; at++) {
            if (prefix_match(pattern + 1, at))
                return true;
            if (*at == '\0')
                return false;
        }
    }
    return *name == *pattern && prefix_match(pattern + 1, name + 1);
}

static bool valid_pattern(const char *pattern)
{
    size_t length = 0;
    for (const char *p = pattern; *p; p++, length++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == ':' || c == '*';
        if (!ok)
            return false;
    }
    return length > 0 && length <= 255;
}

static void default_free(type_default *entry)
{
    extatus__free(entry->pattern);
    extatus__free(entry->type);
    extatus__options_free(entry->options, entry->option_count);
    extatus__free(entry);
}

int extatus_type_set_default(const char *pattern, const char *type, const extatus_option *options,
                             size_t option_count)
{
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if (!pattern || !valid_pattern(pattern))
        return extatus__error(EXTATUS_ERR_INVALID,
                              "type default: invalid pattern '%s': use metric-name characters "
                              "and '*', at most 255 bytes",
                              pattern ? pattern : "(null)");
    if (!type)
        return extatus__error(EXTATUS_ERR_INVALID, "type default '%s': type is NULL", pattern);
    if (!extatus__type_find(type))
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "type default '%s': unknown type '%s'",
                              pattern, type);
    if (option_count && !options)
        return extatus__error(EXTATUS_ERR_INVALID, "type default '%s': options are NULL", pattern);
    for (size_t i = 0; i < option_count; i++) {
        if (!options[i].key)
            return extatus__error(EXTATUS_ERR_OPTION, "type default '%s': option %zu has no key",
                                  pattern, i);
        if (strcmp(options[i].key, "labels") == 0)
            return extatus__error(EXTATUS_ERR_OPTION,
                                  "type default '%s': 'labels' cannot be a default (a family's "
                                  "labels are part of its identity)",
                                  pattern);
    }

    type_default *entry = NULL;
    if (option_count) {
        entry = extatus__calloc(1, sizeof(*entry));
        if (!entry || !(entry->pattern = extatus__strdup(pattern)) ||
            !(entry->type = extatus__strdup(type)) ||
            extatus__options_copy(&entry->options, options, option_count) != EXTATUS_OK) {
            if (entry)
                default_free(entry);
            return extatus__error(EXTATUS_ERR_NOMEM, "type default '%s': out of memory", pattern);
        }
        entry->option_count = option_count;
        for (const char *p = pattern; *p; p++)
            entry->literal += *p != '*';
    }

    /* Replace the default for (pattern, type), or remove it when no options are given. */
    type_default *old = NULL;
    pthread_mutex_lock(&defaults_lock);
    for (type_default **link = &defaults; *link; link = &(*link)->next) {
        if (strcmp((*link)->pattern, pattern) == 0 && strcmp((*link)->type, type) == 0) {
            old = *link;
            *link = old->next;
            break;
        }
    }
    if (entry) {
        entry->next = defaults;
        defaults = entry;
    }
    pthread_mutex_unlock(&defaults_lock);
    if (old)
        default_free(old);
    return EXTATUS_OK;
}

int extatus__defaults_merge(extatus_option **merged, size_t *merged_count, const char *name,
                            const char *type, const extatus_option *options, size_t count)
{
    *merged = NULL;
    *merged_count = 0;
    for (size_t i = 0; i < count; i++)
        if (!options[i].key)
            return EXTATUS_OK; /* no merge: the caller's list is refused with its own error */
    pthread_mutex_lock(&defaults_lock);
    const type_default *best = NULL;
    for (const type_default *d = defaults; d; d = d->next)
        if (strcmp(d->type, type) == 0 && (!best || d->literal > best->literal) &&
            prefix_match(d->pattern, name))
            best = d;
    extatus_option *copy = NULL;
    size_t default_count = best ? best->option_count : 0;
    /* Deep copies: the default may be replaced by another thread once the lock is dropped. */
    int rc = best ? extatus__options_copy(&copy, best->options, default_count) : EXTATUS_OK;
    pthread_mutex_unlock(&defaults_lock);
    if (!best || rc != EXTATUS_OK)
        return rc;
    extatus_option *mine = NULL;
    if ((rc = extatus__options_copy(&mine, options, count)) != EXTATUS_OK) {
        extatus__options_free(copy, default_count);
        return rc;
    }
    extatus_option *all = extatus__realloc(copy, (default_count + count) * sizeof(*all));
    if (!all) {
        extatus__options_free(copy, default_count);
        extatus__options_free(mine, count);
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", name);
    }
    if (count)
        memcpy(all + default_count, mine, count * sizeof(*all));
    extatus__free(mine);
    *merged = all;
    *merged_count = default_count + count;
    return EXTATUS_OK;
}

void extatus__defaults_free(void)
{
    pthread_mutex_lock(&defaults_lock);
    while (defaults) {
        type_default *next = defaults->next;
        default_free(defaults);
        defaults = next;
    }
    pthread_mutex_unlock(&defaults_lock);
}
