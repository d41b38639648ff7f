/*
 * family_options.c - the options core takes itself: help, unit, labels,
 * max_series and cache when a family is registered (checked here, kept by
 * family.c), and the check of options given to setopts later. The
 * entry's options pass through untouched; a layer's options are the
 * layer's (core/layer.c).
 */
#include "core/family_options.h"

#include <string.h>

static const char *metric_type_label_reserved(extatus_metric_type type)
{
    if (type == EXTATUS_METRIC_HISTOGRAM)
        return "le";
    if (type == EXTATUS_METRIC_SUMMARY)
        return "quantile";
    return NULL;
}

int extatus__common_options_parse(extatus__common_options *common, const char *name,
                                  const extatus__type *type, const extatus_option *options,
                                  size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const extatus_option *opt = &options[i];
        if (!opt->key)
            return extatus__error(EXTATUS_ERR_OPTION, "metric '%s': option %zu has no key", name,
                                  i);
        if (!extatus__option_is_common(opt->key))
            continue;
        bool help = strcmp(opt->key, "help") == 0;
        if (help || strcmp(opt->key, "unit") == 0) {
            if (opt->kind != EXTATUS_OPTION_STRING || !opt->string)
                return extatus__error(EXTATUS_ERR_OPTION,
                                      "metric '%s': option '%s' must be a string", name, opt->key);
            *(help ? &common->help : &common->unit) = opt->string;
        } else if (strcmp(opt->key, "labels") == 0) {
            if (opt->kind != EXTATUS_OPTION_STRINGS || (opt->count && !opt->list))
                return extatus__error(EXTATUS_ERR_OPTION,
                                      "metric '%s': option 'labels' must be a list of strings",
                                      name);
            common->labels = opt->list;
            common->label_count = opt->count;
        } else if (strcmp(opt->key, "cache") == 0) {
            if (extatus__option_ms(&common->cache_ms, opt, 0, INT32_MAX, "metric", name) !=
                EXTATUS_OK)
                return EXTATUS_ERR_OPTION;
        } else if (strcmp(opt->key, "max_series") == 0) {
            if (opt->kind != EXTATUS_OPTION_NUMBER ||
                !extatus__is_whole(opt->number, 1, 4503599627370496.0 /* 2^52 */))
                return extatus__error(EXTATUS_ERR_OPTION,
                                      "metric '%s': option 'max_series' must be a whole number "
                                      ">= 1",
                                      name);
            common->max_series = (size_t)opt->number;
        }
    }
    size_t bad;
    if (common->help && extatus__check_utf8(common->help, strlen(common->help), &bad))
        return extatus__error(EXTATUS_ERR_OPTION, "metric '%s': help is not valid UTF-8 (byte %zu)",
                              name, bad);
    if (common->help && strchr(common->help, '\r'))
        return extatus__error(EXTATUS_ERR_OPTION, "metric '%s': help contains a carriage return",
                              name);
    if (common->unit) {
        size_t unit_length = strlen(common->unit);
        size_t name_length = strlen(name);
        if (type->metric_type == EXTATUS_METRIC_COUNTER && name_length > 6 &&
            strcmp(name + name_length - 6, "_total") == 0)
            name_length -= 6;
        if (!unit_length || !extatus__valid_label_name(common->unit) ||
            unit_length + 1 > name_length || name[name_length - unit_length - 1] != '_' ||
            strncmp(name + name_length - unit_length, common->unit, unit_length) != 0)
            return extatus__error(EXTATUS_ERR_OPTION,
                                  "metric '%s': unit '%s' must be a name suffix \"_%s\" made of "
                                  "[a-zA-Z0-9_]",
                                  name, common->unit, common->unit);
    }
    const char *reserved = metric_type_label_reserved(type->metric_type);
    for (size_t i = 0; i < common->label_count; i++) {
        const char *label = common->labels[i];
        if (!label || !extatus__valid_label_name(label))
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "metric '%s': invalid label name '%s': must match "
                                  "[a-zA-Z_][a-zA-Z0-9_]*",
                                  name, label ? label : "(null)");
        if (label[0] == '_' && label[1] == '_')
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "metric '%s': label name '%s' is reserved (prefix __)", name,
                                  label);
        if (reserved && strcmp(label, reserved) == 0)
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "metric '%s': label name '%s' is reserved for this type", name,
                                  label);
        for (size_t j = 0; j < i; j++)
            if (strcmp(common->labels[j], label) == 0)
                return extatus__error(EXTATUS_ERR_LABEL,
                                      "metric '%s': label name '%s' is given twice", name, label);
    }
    return EXTATUS_OK;
}

int extatus__setopts_check(const extatus_family *family, const extatus_option *options,
                           size_t count)
{
    if (count && !options)
        return extatus__error(EXTATUS_ERR_INVALID, "metric '%s': options are NULL", family->name);
    for (size_t i = 0; i < count; i++) {
        if (!options[i].key)
            return extatus__error(EXTATUS_ERR_OPTION, "metric '%s': option %zu has no key",
                                  family->name, i);
        if (extatus__option_is_common(options[i].key))
            return extatus__error(EXTATUS_ERR_OPTION,
                                  "metric '%s': option '%s' is fixed at registration", family->name,
                                  options[i].key);
    }
    if (!family->type->ops.setopts && count)
        return extatus__error(EXTATUS_ERR_OPTION, "metric '%s': type '%s' takes no options",
                              family->name, family->type_name);
    return EXTATUS_OK;
}
