/*
 * common.c - helpers shared by the built-in entries' typed APIs.
 */
#include "entries/common.h"

#define MAX_EXTRA_OPTIONS 8

int extatus__new_unlabelled(void **ref, extatus_registry *registry, const char *name,
                            const char *type, const char *help, const extatus_option *extra,
                            size_t extra_count)
{
    extatus_option options[MAX_EXTRA_OPTIONS + 1] = {
        EXTATUS_OPT_STRING("help", help ? help : ""),
    };
    if (!ref)
        return extatus__error(EXTATUS_ERR_INVALID, "metric '%s': out pointer is NULL",
                              name ? name : "(null)");
    *ref = NULL;
    if (extra_count > MAX_EXTRA_OPTIONS)
        return extatus__error(EXTATUS_ERR_INVALID, "too many options");
    for (size_t i = 0; i < extra_count; i++)
        options[i + 1] = extra[i];
    extatus_family *family = NULL;
    int rc = extatus_family_new(&family, registry, name, type, options, extra_count + 1);
    if (rc != EXTATUS_OK)
        return rc;
    if (extatus_family_label_count(family))
        return extatus__error(EXTATUS_ERR_EXISTS, "metric '%s' is already registered with labels",
                              name);
    extatus_series *series = NULL;
    rc = extatus_family_series(&series, family, EXTATUS_NO_LABELS);
    if (rc == EXTATUS_OK)
        *ref = extatus__series_ref(series);
    return rc;
}

int extatus__option_fixed(const extatus_option *options, size_t count, const char *key,
                          bool changed, const char *why)
{
    if (changed && extatus_option_find(options, count, key) != NULL)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "option '%s' cannot change after creation: %s", key, why);
    return EXTATUS_OK;
}
