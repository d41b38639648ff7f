/*
 * family.c - metric families and their series.
 *
 * Each family keeps its series in an open-addressed hash table keyed by
 * the label values (for lookups) and in a doubly linked list in creation
 * order (for the exposition). Both change only under the family lock.
 *
 * Lifetime: a scrape pins the series it reads (pins, under the lock) and
 * holds a reference on the family (refs, atomic). Removing a series that
 * is pinned only unlinks it and marks it removed; the last unpin frees it.
 * A family is freed when its registry's reference and every scrape's
 * reference are gone.
 */
#include "internal.h"

#include "format.h"

#include <math.h>
#include <string.h>

#define INITIAL_SLOTS 8

/* ---- small helpers ----------------------------------------------------- */

void extatus__entry_ctx(extatus_entry_ctx *ctx, const extatus_family *family,
                        const extatus_series *series)
{
    ctx->name = family->name;
    ctx->type = family->type_name;
    ctx->type_data = family->type->type_data;
    ctx->label_names = (const char *const *)family->label_names;
    ctx->label_values = series ? series->label_values : NULL;
    ctx->label_count = family->label_count;
}

/* The hash of the values, 0xff between them (a byte UTF-8 never contains). */
static uint32_t hash_values(const char *const *values, size_t count)
{
    uint32_t hash = EXTATUS__HASH_INIT;
    for (size_t i = 0; i < count; i++)
        hash = extatus__hash_byte(extatus__hash_text(hash, values[i]), 0xffu);
    return hash;
}

static bool values_equal(const extatus_series *series, const char *const *values, size_t count)
{
    /* count > 0 means label_values holds count strings. */
    for (size_t i = 0; i < count; i++) {
        // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
        if (strcmp(series->label_values[i], values[i]) != 0)
            return false;
    }
    return true;
}

static const char *metric_type_label_reserved(extatus_metric_type type)
{
    if (type == EXTATUS_METRIC_HISTOGRAM)
        return "le";
    if (type == EXTATUS_METRIC_SUMMARY)
        return "quantile";
    return NULL;
}

/* ---- series table ------------------------------------------------------ */

static extatus_series **find_slot(extatus_family *family, uint32_t hash, const char *const *values)
{
    size_t mask = family->slot_mask;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        extatus_series *series = family->slots[i];
        if (!series || (series->hash == hash && values_equal(series, values, family->label_count)))
            return &family->slots[i];
    }
}

static int grow_table(extatus_family *family)
{
    size_t slot_count = (family->slot_mask + 1) * 2;
    extatus_series **slots = extatus__calloc(slot_count, sizeof(*slots));
    if (!slots)
        return EXTATUS_ERR_NOMEM;
    size_t mask = slot_count - 1;
    for (extatus_series *series = family->first; series; series = series->next) {
        size_t i = series->hash & mask;
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = series;
    }
    extatus__free(family->slots);
    family->slots = slots;
    family->slot_mask = mask;
    return EXTATUS_OK;
}

/* Delete from linear probing by shifting later members of the cluster back. */
static void table_remove(extatus_family *family, extatus_series *series)
{
    size_t mask = family->slot_mask;
    size_t hole = series->hash & mask;
    while (family->slots[hole] != series)
        hole = (hole + 1) & mask;
    family->slots[hole] = NULL;
    for (size_t i = (hole + 1) & mask; family->slots[i]; i = (i + 1) & mask) {
        size_t home = family->slots[i]->hash & mask;
        /* Move it if its home is not in (hole, i] cyclically. */
        bool between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!between) {
            family->slots[hole] = family->slots[i];
            family->slots[i] = NULL;
            hole = i;
        }
    }
}

static void list_unlink(extatus_family *family, extatus_series *series)
{
    if (series->prev)
        series->prev->next = series->next;
    else
        family->first = series->next;
    if (series->next)
        series->next->prev = series->prev;
    else
        family->last = series->prev;
    series->next = series->prev = NULL;
}

/* ---- series life --------------------------------------------------------- */

static void series_destroy(extatus_family *family, extatus_series *series)
{
    extatus__layers_series_removed(series); /* no layer uses the ref after this */
    extatus__cache_detach(series);
    if (family->type->ops.destroy) {
        extatus_entry_ctx ctx;
        extatus__entry_ctx(&ctx, family, series);
        family->type->ops.destroy(series->ref, &ctx);
    }
    extatus__free(series);
}

/* Validate the values and build an unlinked series with its entry. */
static int series_build(extatus_series **out, extatus_family *family, const char *const *values,
                        uint32_t hash)
{
    size_t count = family->label_count;
    size_t values_bytes = 0;
    size_t text_bytes = 0;
    for (size_t i = 0; i < count; i++) {
        /* series_get refused NULL values before we get here. */
        size_t length = strlen(values[i]); // NOLINT(clang-analyzer-core.NonNullParamChecker)
        size_t bad;
        if (extatus__check_utf8(values[i], length, &bad) != EXTATUS_OK)
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "metric '%s': value of label '%s' is not valid UTF-8 (byte %zu)",
                                  family->name, family->label_names[i], bad);
        values_bytes += length + 1;
        text_bytes += (i ? 1 : 0) + strlen(family->label_names[i]) + 2 +
                      extatus__escape_size(values[i], length, true) + 1;
    }
    if (text_bytes > UINT32_MAX)
        return extatus__error(EXTATUS_ERR_LABEL, "metric '%s': label values too long",
                              family->name);
    size_t size = sizeof(extatus_series) + count * sizeof(char *) + values_bytes + text_bytes + 1;
    extatus_series *series = extatus__calloc(1, size);
    if (!series)
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': cannot allocate a series",
                              family->name);
    series->family = family;
    series->hash = hash;
    const char **pointers = (const char **)(series + 1);
    char *strings = (char *)(pointers + count);
    for (size_t i = 0; i < count; i++) {
        size_t length = strlen(values[i]) + 1;
        memcpy(strings, values[i], length);
        pointers[i] = strings;
        strings += length;
    }
    series->label_values = count ? pointers : NULL;
    char *text = strings;
    char *to = text;
    for (size_t i = 0; i < count; i++) {
        if (i)
            *to++ = ',';
        size_t name_length = strlen(family->label_names[i]);
        memcpy(to, family->label_names[i], name_length);
        to += name_length;
        *to++ = '=';
        *to++ = '"';
        to = extatus__escape(to, values[i], strlen(values[i]), true);
        *to++ = '"';
    }
    *to = '\0';
    series->labels_text = text;
    series->labels_text_len = (uint32_t)(to - text);

    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    uint64_t mark = extatus__error_mark();
    pthread_mutex_lock(&family->options_lock);
    int rc = family->type->ops.create(&series->ref, &ctx, family->options, family->option_count);
    pthread_mutex_unlock(&family->options_lock);
    if (rc != EXTATUS_OK) {
        extatus__free(series);
        (void)extatus__error_unless_since(
            mark, rc, "metric '%s': entry of type '%s' refused to create a series (%s)",
            family->name, family->type_name, extatus_strerror(rc));
        return rc;
    }
    if ((rc = extatus__cache_attach(series)) != EXTATUS_OK ||
        (rc = extatus__layers_series_created(series)) != EXTATUS_OK) {
        series_destroy(family, series);
        return rc;
    }
    *out = series;
    return EXTATUS_OK;
}

/*
 * Check that `labels` holds one non-NULL value per label name of the family
 * and return the values to hash (a one-element dummy for a family without
 * labels). EXTATUS_ERR_LABEL names the family and both counts otherwise.
 */
static int labels_check(const char *const **out, const extatus_family *family,
                        extatus_labels labels)
{
    static const char *const no_values[1] = {NULL};
    size_t count = family->label_count;
    if (labels.count == count && count && !labels.values)
        return extatus__error(EXTATUS_ERR_LABEL,
                              "metric '%s': %zu label values announced but the array is NULL",
                              family->name, count);
    if (labels.count != count) {
        if (labels.count == EXTATUS_LABELS_COUNT_ALL)
            return extatus__error(EXTATUS_ERR_LABEL,
                                  "metric '%s': every series (EXTATUS_ALL_SERIES) is only "
                                  "accepted by reset and setopts",
                                  family->name);
        return extatus__error(EXTATUS_ERR_LABEL,
                              "metric '%s' has %zu label%s but %zu label value%s %s given",
                              family->name, count, count == 1 ? "" : "s", labels.count,
                              labels.count == 1 ? "" : "s", labels.count == 1 ? "was" : "were");
    }
    for (size_t i = 0; i < count; i++)
        if (!labels.values[i])
            return extatus__error(EXTATUS_ERR_LABEL, "metric '%s': value of label '%s' is NULL",
                                  family->name, family->label_names[i]);
    *out = count ? labels.values : no_values;
    return EXTATUS_OK;
}

/* Find (or create) a series; with `pin` it is returned pinned (see extatus__series_unpin). */
static int series_get(extatus_series **out, extatus_family *family, extatus_labels labels,
                      bool create, bool pin)
{
    const char *const *values = NULL;
    int rc = labels_check(&values, family, labels);
    if (rc != EXTATUS_OK)
        return rc;
    size_t count = family->label_count;
    uint32_t hash = hash_values(values, count);

    pthread_mutex_lock(&family->lock);
    extatus_series *found = *find_slot(family, hash, values);
    if (found && pin)
        found->pins++;
    size_t series_count = family->series_count;
    pthread_mutex_unlock(&family->lock);
    if (found) {
        *out = found;
        return EXTATUS_OK;
    }
    if (!create)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "metric '%s': no such series", family->name);
    if (series_count >= family->max_series)
        goto limit;

    extatus_series *series = NULL;
    rc = series_build(&series, family, values, hash);
    if (rc != EXTATUS_OK)
        return rc;

    pthread_mutex_lock(&family->lock);
    extatus_series **slot = find_slot(family, hash, values);
    if (*slot) { /* another thread created it meanwhile */
        found = *slot;
        if (pin)
            found->pins++;
        pthread_mutex_unlock(&family->lock);
        series_destroy(family, series);
        *out = found;
        return EXTATUS_OK;
    }
    if (family->series_count >= family->max_series) {
        pthread_mutex_unlock(&family->lock);
        series_destroy(family, series);
        goto limit;
    }
    if ((family->series_count + 1) * 4 > (family->slot_mask + 1) * 3) {
        if (grow_table(family) != EXTATUS_OK) {
            pthread_mutex_unlock(&family->lock);
            series_destroy(family, series);
            return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': cannot grow the series table",
                                  family->name);
        }
        slot = find_slot(family, hash, values);
    }
    *slot = series;
    series->pins = pin ? 1 : 0;
    series->prev = family->last;
    if (family->last)
        family->last->next = series;
    else
        family->first = series;
    family->last = series;
    family->series_count++;
    pthread_mutex_unlock(&family->lock);
    *out = series;
    return EXTATUS_OK;

limit:
    return extatus__error(EXTATUS_ERR_LIMIT,
                          "metric '%s': series limit %zu reached (raise it with the max_series "
                          "option)",
                          family->name, family->max_series);
}

/* ---- family life ----------------------------------------------------------- */

static void family_free(extatus_family *family)
{
    extatus_series *series = family->first;
    while (series) {
        extatus_series *next = series->next;
        series_destroy(family, series);
        series = next;
    }
    extatus__free(family->slots);
    for (size_t i = 0; i < family->label_count; i++)
        extatus__free(family->label_names[i]);
    extatus__free(family->label_names);
    extatus__options_free(family->options, family->option_count);
    extatus__free(family->name);
    extatus__free(family->help);
    extatus__free(family->unit);
    extatus__free(family->type_name);
    pthread_mutex_destroy(&family->options_lock);
    pthread_mutex_destroy(&family->lock);
    extatus__free(family);
}

void extatus__family_drop(extatus_family *family)
{
    if (atomic_fetch_sub_explicit(&family->refs, 1, memory_order_acq_rel) == 1)
        family_free(family);
}

/* Unlink every series; returns the list of those nobody pins (to destroy). */
static extatus_series *unlink_all_locked(extatus_family *family)
{
    extatus_series *doomed = NULL;
    extatus_series *series = family->first;
    while (series) {
        extatus_series *next = series->next;
        series->next = series->prev = NULL;
        if (series->pins) {
            series->removed = 1;
        } else {
            series->next = doomed;
            doomed = series;
        }
        series = next;
    }
    family->first = family->last = NULL;
    family->series_count = 0;
    memset(family->slots, 0, (family->slot_mask + 1) * sizeof(*family->slots));
    return doomed;
}

static void destroy_list(extatus_family *family, extatus_series *series)
{
    while (series) {
        extatus_series *next = series->next;
        series_destroy(family, series);
        series = next;
    }
}

/* Called when the family leaves its registry: drop all its series. */
void extatus__family_detach(extatus_family *family)
{
    pthread_mutex_lock(&family->lock);
    family->unregistered = true;
    extatus_series *doomed = unlink_all_locked(family);
    pthread_mutex_unlock(&family->lock);
    destroy_list(family, doomed);
}

/* Parse and check the options the library takes itself. */
typedef struct common_options {
    const char *help;
    const char *unit;
    const char *const *labels;
    size_t label_count;
    size_t max_series;
    int64_t cache_ms; /* option cache; 0: none */
} common_options;

static int parse_common(common_options *common, const char *name, const extatus__type *type,
                        const extatus_option *options, size_t count)
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

/* Is `family` the same definition as (type_name, labels)? Sets the error if not. */
static int same_definition(const extatus_family *family, const char *type_name,
                           const common_options *common)
{
    if (strcmp(family->type_name, type_name) != 0)
        return extatus__error(EXTATUS_ERR_EXISTS,
                              "metric '%s' is already registered with type '%s', not '%s'",
                              family->name, family->type_name, type_name);
    bool same = family->label_count == common->label_count;
    for (size_t i = 0; same && i < common->label_count; i++)
        same = strcmp(family->label_names[i], common->labels[i]) == 0;
    if (!same)
        return extatus__error(EXTATUS_ERR_EXISTS,
                              "metric '%s' is already registered with different label names",
                              family->name);
    return EXTATUS_OK;
}

/*
 * EXTATUS_ERR_EXISTS when a name the family `name` of `type` would expose
 * is one a family of `registry` already exposes (core/names.c); call with
 * registry->lock held.
 */
static int clash_check_locked(const extatus_registry *registry, const char *name,
                              const char *type_name, const extatus__type *type)
{
    extatus_family *clash = NULL;
    const char *suffix = "";
    int rc = extatus__clash_find(&clash, &suffix, registry->families, registry->family_count, name,
                                 type->metric_type);
    if (rc != EXTATUS_OK || !clash)
        return rc;
    return extatus__error(
        EXTATUS_ERR_EXISTS,
        "metric '%s' (type '%s') clashes with metric '%s' (type '%s') in registry '%s': both "
        "would expose the name '%.*s%s'",
        name, type_name, clash->name, clash->type_name, registry->name,
        (int)extatus__exposed_base_length(name, extatus__exposed_type(type->metric_type)), name,
        suffix);
}

static int family_build(extatus_family **out, extatus_registry *registry, const char *name,
                        const char *type_name, const extatus__type *type,
                        const common_options *common, const extatus_option *options,
                        size_t option_count)
{
    extatus_family *family = extatus__calloc(1, sizeof(*family));
    if (!family)
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", name);
    if (pthread_mutex_init(&family->lock, NULL) != 0) {
        extatus__free(family);
        return extatus__error(EXTATUS_ERR_SYSTEM, "metric '%s': cannot create its lock", name);
    }
    if (pthread_mutex_init(&family->options_lock, NULL) != 0) {
        pthread_mutex_destroy(&family->lock);
        extatus__free(family);
        return extatus__error(EXTATUS_ERR_SYSTEM, "metric '%s': cannot create its lock", name);
    }
    atomic_init(&family->refs, 1);
    family->registry = registry;
    family->type = type;
    family->max_series = common->max_series ? common->max_series : registry->max_series;
    family->cache_ms = common->cache_ms;
    family->name = extatus__strdup(name);
    family->help = extatus__strdup(common->help ? common->help : "");
    family->unit = extatus__strdup(common->unit);
    family->type_name = extatus__strdup(type_name);
    family->slots = extatus__calloc(INITIAL_SLOTS, sizeof(*family->slots));
    family->slot_mask = INITIAL_SLOTS - 1;
    family->label_names =
        common->label_count ? extatus__calloc(common->label_count, sizeof(char *)) : NULL;
    bool ok = family->name && family->help && (family->unit || !common->unit) &&
              family->type_name && family->slots && (family->label_names || !common->label_count);
    for (size_t i = 0; ok && i < common->label_count; i++) {
        family->label_names[i] = extatus__strdup(common->labels[i]);
        family->label_count = i + 1;
        ok = family->label_names[i] != NULL;
    }
    /* Keep only the entry's options, for the series created later. */
    size_t entry_count = 0;
    for (size_t i = 0; i < option_count; i++)
        entry_count += !extatus__option_is_common(options[i].key);
    if (ok && entry_count) {
        family->options = extatus__calloc(entry_count, sizeof(extatus_option));
        ok = family->options != NULL;
        for (size_t i = 0, j = 0; ok && i < option_count; i++) {
            if (extatus__option_is_common(options[i].key))
                continue;
            extatus_option *copy;
            ok = extatus__options_copy(&copy, &options[i], 1) == EXTATUS_OK;
            if (ok) {
                family->options[j++] = *copy;
                family->option_count = j;
                extatus__free(copy);
            }
        }
    }
    if (!ok) {
        family_free(family);
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", name);
    }
    *out = family;
    return EXTATUS_OK;
}

/* Check the entry accepts the options: a family without labels gets its series now. */
static int family_prepare_entries(extatus_family *family)
{
    if (family->label_count == 0) {
        extatus_series *series = NULL;
        return series_get(&series, family, EXTATUS_NO_LABELS, true, false);
    }
    extatus_entry_ctx ctx;
    void *ref = NULL;
    extatus__entry_ctx(&ctx, family, NULL);
    uint64_t mark = extatus__error_mark();
    int rc = family->type->ops.create(&ref, &ctx, family->options, family->option_count);
    if (rc != EXTATUS_OK) {
        (void)extatus__error_unless_since(mark, rc,
                                          "metric '%s': type '%s' refused the options (%s)",
                                          family->name, family->type_name, extatus_strerror(rc));
        return rc;
    }
    if (family->type->ops.destroy)
        family->type->ops.destroy(ref, &ctx);
    return EXTATUS_OK;
}

static int family_new(extatus_family **out, extatus_registry *registry, const char *name,
                      const char *type_name, const extatus_option *options, size_t option_count);

int extatus_family_new(extatus_family **out, extatus_registry *registry, const char *name,
                       const char *type_name, const extatus_option *options, size_t option_count)
{
    if (out)
        *out = NULL;
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if (option_count && !options)
        return extatus__error(EXTATUS_ERR_INVALID, "metric '%s': options are NULL",
                              name ? name : "(null)");
    /* Defaults set for the name's pattern go first; the caller's options win. */
    extatus_option *merged = NULL;
    size_t merged_count = 0;
    if (name && type_name &&
        (rc = extatus__defaults_merge(&merged, &merged_count, name, type_name, options,
                                      option_count)) != EXTATUS_OK)
        return rc;
    extatus_family *family = NULL;
    if (merged)
        rc = family_new(&family, registry, name, type_name, merged, merged_count);
    else
        rc = family_new(&family, registry, name, type_name, options, option_count);
    extatus__options_free(merged, merged_count);
    if (out)
        *out = family;
    return rc;
}

/* extatus_family_new once the options are final; *out is set on success only. */
static int family_new(extatus_family **out, extatus_registry *registry, const char *name,
                      const char *type_name, const extatus_option *options, size_t option_count)
{
    int rc;
    registry = extatus__registry_resolve(registry);
    if (!registry)
        return extatus__error(EXTATUS_ERR_NOMEM, "cannot initialise the default registry");
    if (!name || !extatus__valid_metric_name(name))
        return extatus__error(EXTATUS_ERR_NAME,
                              "invalid metric name '%s': must match [a-zA-Z_:][a-zA-Z0-9_:]*",
                              name ? name : "(null)");
    if (!type_name)
        return extatus__error(EXTATUS_ERR_INVALID, "metric '%s': type is NULL", name);
    if (option_count && !options)
        return extatus__error(EXTATUS_ERR_INVALID, "metric '%s': options are NULL", name);
    const extatus__type *type = extatus__type_find(type_name);
    if (!type)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "metric '%s': unknown type '%s'", name,
                              type_name);
    common_options common = {NULL, NULL, NULL, 0, 0, 0};
    if ((rc = parse_common(&common, name, type, options, option_count)) != EXTATUS_OK)
        return rc;

    /* An identical family already there is the answer. */
    extatus_family *existing = extatus__family_acquire(registry, name);
    if (existing) {
        rc = same_definition(existing, type_name, &common);
        extatus__family_drop(existing);
        if (rc == EXTATUS_OK && out)
            *out = existing;
        return rc;
    }

    /* A clash is refused before anything is built (a layer's hooks have effects). */
    pthread_mutex_lock(&registry->lock);
    rc = clash_check_locked(registry, name, type_name, type);
    pthread_mutex_unlock(&registry->lock);
    if (rc != EXTATUS_OK)
        return rc;

    extatus_family *family = NULL;
    if ((rc = family_build(&family, registry, name, type_name, type, &common, options,
                           option_count)) != EXTATUS_OK)
        return rc;
    if ((rc = extatus__layers_family_created(family, options, option_count)) != EXTATUS_OK ||
        (rc = family_prepare_entries(family)) != EXTATUS_OK) {
        family_free(family);
        return rc;
    }

    bool found;
    pthread_mutex_lock(&registry->lock);
    size_t index = extatus__registry_search_locked(registry, name, &found);
    if (found) { /* registered by another thread meanwhile */
        existing = registry->families[index];
        rc = same_definition(existing, type_name, &common);
        pthread_mutex_unlock(&registry->lock);
        family_free(family);
        if (rc == EXTATUS_OK && out)
            *out = existing;
        return rc;
    }
    /* Again under the lock that inserts: another thread may have added a clash. */
    rc = clash_check_locked(registry, name, type_name, type);
    if (rc == EXTATUS_OK &&
        (rc = extatus__registry_insert_locked(registry, index, family)) != EXTATUS_OK)
        rc = extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': cannot add it to registry '%s'", name,
                            registry->name);
    pthread_mutex_unlock(&registry->lock);
    if (rc != EXTATUS_OK) {
        family_free(family);
        return rc;
    }
    extatus__layers_family_changed(family, NULL, 0);
    if (out)
        *out = family;
    return EXTATUS_OK;
}

int extatus_family_lookup(extatus_family **out, extatus_registry *registry, const char *name)
{
    if (!out || !name)
        return extatus__error(EXTATUS_ERR_INVALID, "family lookup: NULL argument");
    *out = NULL;
    registry = extatus__registry_resolve(registry);
    if (!registry)
        return extatus__error(EXTATUS_ERR_NOMEM, "cannot initialise the default registry");
    extatus_family *family = extatus__family_acquire(registry, name);
    if (!family)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no metric '%s' in registry '%s'", name,
                              registry->name);
    *out = family;
    extatus__family_drop(family); /* the registry still holds it */
    return EXTATUS_OK;
}

int extatus_family_series(extatus_series **out, extatus_family *family, extatus_labels labels)
{
    if (!out || !family)
        return extatus__error(EXTATUS_ERR_INVALID, "family series: NULL argument");
    *out = NULL;
    return series_get(out, family, labels, true, false);
}

int extatus__series_acquire(extatus_series **out, extatus_family *family, extatus_labels labels,
                            bool create)
{
    return series_get(out, family, labels, create, true);
}

void extatus__series_unpin(extatus_series *series)
{
    extatus_family *family = series->family;
    bool doomed;
    pthread_mutex_lock(&family->lock);
    doomed = --series->pins == 0 && series->removed;
    pthread_mutex_unlock(&family->lock);
    if (doomed)
        series_destroy(family, series);
}

int extatus_family_remove(extatus_family *family, extatus_labels labels)
{
    if (!family)
        return extatus__error(EXTATUS_ERR_INVALID, "family remove: NULL family");
    const char *const *values = NULL;
    int rc = labels_check(&values, family, labels);
    if (rc != EXTATUS_OK)
        return rc;
    uint32_t hash = hash_values(values, family->label_count);
    pthread_mutex_lock(&family->lock);
    extatus_series *series = *find_slot(family, hash, values);
    bool found = series != NULL;
    if (series) {
        table_remove(family, series);
        list_unlink(family, series);
        family->series_count--;
        if (series->pins) {
            series->removed = 1;
            series = NULL; /* the last reader frees it */
        }
    }
    pthread_mutex_unlock(&family->lock);
    if (!found)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "metric '%s': no such series", family->name);
    if (series)
        series_destroy(family, series);
    return EXTATUS_OK;
}

int extatus_family_clear(extatus_family *family)
{
    if (!family)
        return extatus__error(EXTATUS_ERR_INVALID, "family clear: NULL family");
    pthread_mutex_lock(&family->lock);
    extatus_series *doomed = unlink_all_locked(family);
    pthread_mutex_unlock(&family->lock);
    destroy_list(family, doomed);
    if (family->label_count == 0) {
        extatus_series *series = NULL;
        return series_get(&series, family, EXTATUS_NO_LABELS, true, false);
    }
    return EXTATUS_OK;
}

int extatus_family_unregister(extatus_family *family)
{
    if (!family)
        return extatus__error(EXTATUS_ERR_INVALID, "family unregister: NULL family");
    extatus_registry *registry = family->registry;
    bool found;
    pthread_mutex_lock(&registry->lock);
    size_t index = extatus__registry_search_locked(registry, family->name, &found);
    found = found && registry->families[index] == family;
    if (found)
        extatus__registry_remove_locked(registry, index);
    pthread_mutex_unlock(&registry->lock);
    if (!found)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "metric '%s' is not registered", family->name);
    extatus__family_detach(family);
    extatus__family_drop(family);
    return EXTATUS_OK;
}

/* Run `op` on every series (reset / setopts), pinning them outside the lock. */
static int for_each_series(extatus_family *family, int (*op)(extatus_series *, const void *),
                           const void *arg)
{
    extatus_series **series;
    size_t count;
    int rc = extatus__family_snapshot(family, &series, &count);
    if (rc != EXTATUS_OK)
        return rc;
    for (size_t i = 0; i < count && rc == EXTATUS_OK; i++)
        rc = op(series[i], arg);
    extatus__series_release(family, series, count);
    return rc;
}

static int reset_one(extatus_series *series, const void *unused)
{
    (void)unused;
    return extatus_series_reset(series);
}

int extatus_family_reset(extatus_family *family)
{
    if (!family)
        return extatus__error(EXTATUS_ERR_INVALID, "family reset: NULL family");
    if (!family->type->ops.reset)
        return extatus__error(EXTATUS_ERR_UNSUPPORTED, "metric '%s': type '%s' cannot reset",
                              family->name, family->type_name);
    return for_each_series(family, reset_one, NULL);
}

const char *extatus_family_name(const extatus_family *family)
{
    return family ? family->name : "";
}

const char *extatus_family_type(const extatus_family *family)
{
    return family ? family->type_name : "";
}

size_t extatus_family_label_count(const extatus_family *family)
{
    return family ? family->label_count : 0;
}

size_t extatus_family_series_count(extatus_family *family)
{
    if (!family)
        return 0;
    pthread_mutex_lock(&family->lock);
    size_t count = family->series_count;
    pthread_mutex_unlock(&family->lock);
    return count;
}

/* ---- snapshots for readers ------------------------------------------------- */

int extatus__family_snapshot(extatus_family *family, extatus_series ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    pthread_mutex_lock(&family->lock);
    size_t n = family->series_count;
    extatus_series **series = n ? extatus__malloc(n * sizeof(*series)) : NULL;
    if (n && !series) {
        pthread_mutex_unlock(&family->lock);
        return extatus__error(EXTATUS_ERR_NOMEM, "metric '%s': cannot snapshot %zu series",
                              family->name, n);
    }
    size_t i = 0;
    for (extatus_series *s = family->first; s; s = s->next) {
        s->pins++;
        /* The list holds series_count series, so `series` was allocated. */
        series[i++] = s; // NOLINT(clang-analyzer-core.NullDereference)
    }
    pthread_mutex_unlock(&family->lock);
    *out = series;
    *count = n;
    return EXTATUS_OK;
}

void extatus__series_release(extatus_family *family, extatus_series **series, size_t count)
{
    extatus_series *doomed = NULL;
    pthread_mutex_lock(&family->lock);
    for (size_t i = 0; i < count; i++) {
        if (--series[i]->pins == 0 && series[i]->removed) {
            series[i]->next = doomed;
            doomed = series[i];
        }
    }
    pthread_mutex_unlock(&family->lock);
    destroy_list(family, doomed);
    extatus__free(series);
}

/* ---- per-series calls through the entry ------------------------------------ */

int extatus_series_update(extatus_series *series, double value)
{
    if (!series)
        return extatus__error(EXTATUS_ERR_INVALID, "series update: NULL series");
    const extatus_family *family = series->family;
    if (!family->type->ops.update)
        return extatus__error(EXTATUS_ERR_UNSUPPORTED, "metric '%s': type '%s' takes no updates",
                              family->name, family->type_name);
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    return family->type->ops.update(series->ref, &ctx, value);
}

int extatus_series_get_datapoints(extatus_series *series, const extatus_datapoint **datapoints,
                                  size_t *count)
{
    if (!series || !datapoints || !count)
        return extatus__error(EXTATUS_ERR_INVALID, "series datapoints: NULL argument");
    const extatus_family *family = series->family;
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    return family->type->ops.get_datapoints(series->ref, &ctx, datapoints, count);
}

int extatus_series_get_value(extatus_series *series, const char *const *datapoints, size_t count,
                             extatus_value *values)
{
    if (!series || (count && !values))
        return extatus__error(EXTATUS_ERR_INVALID, "series get_value: NULL argument");
    const extatus_family *family = series->family;
    if (!datapoints) {
        const extatus_datapoint *all;
        size_t all_count;
        int rc = extatus_series_get_datapoints(series, &all, &all_count);
        if (rc != EXTATUS_OK)
            return rc;
        if (count != all_count)
            return extatus__error(EXTATUS_ERR_INVALID,
                                  "metric '%s': reading all datapoints needs room for %zu values, "
                                  "not %zu",
                                  family->name, all_count, count);
    }
    for (size_t i = 0; i < count; i++)
        values[i] = (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0};
    uint64_t mark = extatus__error_mark();
    int rc = extatus__series_read(series, datapoints, count, values);
    if (rc != EXTATUS_OK)
        (void)extatus__error_unless_since(mark, rc, "metric '%s': reading the value failed (%s)",
                                          family->name, extatus_strerror(rc));
    return rc;
}

int extatus_series_reset(extatus_series *series)
{
    if (!series)
        return extatus__error(EXTATUS_ERR_INVALID, "series reset: NULL series");
    const extatus_family *family = series->family;
    if (!family->type->ops.reset)
        return extatus__error(EXTATUS_ERR_UNSUPPORTED, "metric '%s': type '%s' cannot reset",
                              family->name, family->type_name);
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    return family->type->ops.reset(series->ref, &ctx);
}

static int check_setopts(const extatus_family *family, const extatus_option *options, size_t count)
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

typedef struct setopts_arg {
    const extatus_option *options;
    size_t count;
} setopts_arg;

static int setopts_one(extatus_series *series, const void *arg)
{
    const setopts_arg *what = arg;
    const extatus_family *family = series->family;
    extatus_entry_ctx ctx;
    extatus__entry_ctx(&ctx, family, series);
    uint64_t mark = extatus__error_mark();
    int rc = family->type->ops.setopts(series->ref, &ctx, what->options, what->count);
    if (rc != EXTATUS_OK)
        (void)extatus__error_unless_since(mark, rc,
                                          "metric '%s': type '%s' refused the options (%s)",
                                          family->name, family->type_name, extatus_strerror(rc));
    return rc;
}

int extatus_series_setopts(extatus_series *series, const extatus_option *options, size_t count)
{
    if (!series)
        return extatus__error(EXTATUS_ERR_INVALID, "series setopts: NULL series");
    int rc = check_setopts(series->family, options, count);
    if (rc != EXTATUS_OK || count == 0)
        return rc;
    setopts_arg arg = {options, count};
    return setopts_one(series, &arg);
}

/*
 * Options for the whole family: every live series, then the family's
 * stored options (so series created later get them too).
 */
int extatus__family_setopts(extatus_family *family, const extatus_option *options, size_t count)
{
    int rc = check_setopts(family, options, count);
    if (rc != EXTATUS_OK || count == 0)
        return rc;
    setopts_arg arg = {options, count};
    if ((rc = for_each_series(family, setopts_one, &arg)) != EXTATUS_OK)
        return rc;
    /* The series to come take the new values: one option per key, however
     * often setopts runs. */
    pthread_mutex_lock(&family->options_lock);
    rc = extatus__options_merge(&family->options, &family->option_count, options, count);
    pthread_mutex_unlock(&family->options_lock);
    if (rc != EXTATUS_OK)
        return extatus__error(rc, "metric '%s': cannot store the options", family->name);
    return EXTATUS_OK;
}

extatus_family *extatus_series_family(const extatus_series *series)
{
    return series ? series->family : NULL;
}

const char *const *extatus_series_label_values(const extatus_series *series)
{
    return series ? series->label_values : NULL;
}

void *extatus_series_ref(const extatus_series *series)
{
    return series ? series->ref : NULL;
}
