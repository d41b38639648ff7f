/*
 * options.c - option lists: lookup and deep copies.
 */
#include "core/internal.h"

#include <string.h>

/* Keys core takes for itself; the entry never sees them. */
static const char *const common_keys[] = {"help", "unit", "labels", "max_series", "cache"};

bool extatus__option_is_common(const char *key)
{
    for (size_t i = 0; i < sizeof(common_keys) / sizeof(common_keys[0]); i++)
        if (strcmp(key, common_keys[i]) == 0)
            return true;
    return extatus__layers_take_option(key); /* such as the probes' sample_interval */
}

const extatus_option *extatus_option_find(const extatus_option *opts, size_t count, const char *key)
{
    const extatus_option *found = NULL;
    if (!opts || !key)
        return NULL;
    for (size_t i = 0; i < count; i++)
        if (opts[i].key && strcmp(opts[i].key, key) == 0)
            found = &opts[i];
    return found;
}

/* Free what one copied option owns (not the option itself). */
static void free_one(extatus_option *option)
{
    extatus__free((void *)(uintptr_t)option->key);
    extatus__free((void *)(uintptr_t)option->string);
    if (option->kind == EXTATUS_OPTION_STRINGS && option->list) {
        char **strings = (char **)(uintptr_t)option->list;
        for (size_t j = 0; j < option->count; j++)
            extatus__free(strings[j]);
    }
    extatus__free((void *)(uintptr_t)option->list);
}

void extatus__options_free(extatus_option *options, size_t count)
{
    if (!options)
        return;
    for (size_t i = 0; i < count; i++)
        free_one(&options[i]);
    extatus__free(options);
}

static int copy_one(extatus_option *to, const extatus_option *from)
{
    *to = *from;
    to->key = NULL;
    to->string = NULL;
    to->list = NULL;
    to->count = 0;
    if (!(to->key = extatus__strdup(from->key)))
        return EXTATUS_ERR_NOMEM;
    if (from->kind == EXTATUS_OPTION_STRING && from->string &&
        !(to->string = extatus__strdup(from->string)))
        return EXTATUS_ERR_NOMEM;
    if (from->kind == EXTATUS_OPTION_DOUBLES && from->list && from->count) {
        double *values = extatus__calloc(from->count, sizeof(double));
        if (!values)
            return EXTATUS_ERR_NOMEM;
        memcpy(values, from->list, from->count * sizeof(double));
        to->list = values;
        to->count = from->count;
    }
    if (from->kind == EXTATUS_OPTION_STRINGS && from->list && from->count) {
        const char *const *source = from->list;
        char **strings = extatus__calloc(from->count, sizeof(char *));
        if (!strings)
            return EXTATUS_ERR_NOMEM;
        to->list = strings;
        to->count = from->count;
        for (size_t j = 0; j < from->count; j++)
            if (source[j] && !(strings[j] = extatus__strdup(source[j])))
                return EXTATUS_ERR_NOMEM;
    }
    return EXTATUS_OK;
}

int extatus__options_copy(extatus_option **out, const extatus_option *options, size_t count)
{
    *out = NULL;
    if (count == 0)
        return EXTATUS_OK;
    extatus_option *copy = extatus__calloc(count, sizeof(*copy));
    if (!copy)
        return extatus__error(EXTATUS_ERR_NOMEM, "cannot copy %zu options", count);
    for (size_t i = 0; i < count; i++) {
        if (copy_one(&copy[i], &options[i]) != EXTATUS_OK) {
            extatus__options_free(copy, i + 1);
            return extatus__error(EXTATUS_ERR_NOMEM, "cannot copy option '%s'",
                                  options[i].key ? options[i].key : "");
        }
    }
    *out = copy;
    return EXTATUS_OK;
}

/* Index of the option `key` in list[0..count), or count. */
static size_t index_of(const extatus_option *list, size_t count, const char *key)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i].key, key) == 0)
            return i;
    return count;
}

int extatus__options_merge(extatus_option **list, size_t *count, const extatus_option *options,
                           size_t add)
{
    extatus_option *copy;
    int rc = extatus__options_copy(&copy, options, add);
    if (rc != EXTATUS_OK)
        return rc;
    /* Room for the keys the list lacks, allocated before anything changes. */
    size_t new_keys = 0;
    for (size_t i = 0; i < add; i++)
        new_keys +=
            index_of(*list, *count, copy[i].key) == *count && index_of(copy, i, copy[i].key) == i;
    extatus_option *grown = *list;
    if (new_keys) {
        grown = extatus__realloc(*list, (*count + new_keys) * sizeof(*grown));
        if (!grown) {
            extatus__options_free(copy, add);
            return extatus__error(EXTATUS_ERR_NOMEM, "cannot store %zu options", add);
        }
    }
    size_t used = *count;
    for (size_t i = 0; i < add; i++) {
        size_t at = index_of(grown, used, copy[i].key);
        if (at == used)
            used++;
        else
            free_one(&grown[at]);
        grown[at] = copy[i];
    }
    extatus__free(copy);
    *list = grown;
    *count = used;
    return EXTATUS_OK;
}

int extatus__option_ms(int64_t *out, const extatus_option *opt, int64_t min, int64_t max,
                       const char *owner_kind, const char *owner)
{
    if (opt->kind != EXTATUS_OPTION_NUMBER ||
        !extatus__is_whole(opt->number, (double)min, (double)max))
        return extatus__error(EXTATUS_ERR_OPTION,
                              "%s '%s': option '%s' must be a whole number of milliseconds from "
                              "%lld to %lld",
                              owner_kind, owner, opt->key, (long long)min, (long long)max);
    *out = (int64_t)opt->number;
    return EXTATUS_OK;
}
