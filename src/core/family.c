/*
 * family.c - the family API: registering a family (checks, the identical
 * family already there, name clashes, the layers' hooks), lookup,
 * unregistering, reset and setopts of a whole family, the accessors, and
 * the family's own lifetime.
 *
 * A family is freed when its registry's reference and every reader's
 * reference (refs, atomic) are gone. Its series live in core/series.c,
 * the options core reads itself in core/family_options.c, the readers'
 * snapshots in core/snapshot.c.
 */
#include "core/family_options.h"
#include "core/series.h"

#include <string.h>

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

/* ---- family life ----------------------------------------------------------- */

static void family_free(extatus_family *family)
{
    extatus__family_series_free(family);
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

/* Is `family` the same definition as (type_name, labels)? Sets the error if not. */
static int same_definition(const extatus_family *family, const char *type_name,
                           const extatus__common_options *common)
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
                        const extatus__common_options *common, const extatus_option *options,
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
    extatus__table_init(&family->series_table, offsetof(extatus_series, hash));
    family->label_names =
        common->label_count ? extatus__calloc(common->label_count, sizeof(char *)) : NULL;
    bool ok = family->name && family->help && (family->unit || !common->unit) &&
              family->type_name && (family->label_names || !common->label_count);
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
        return extatus_family_series(&series, family, EXTATUS_NO_LABELS);
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
    extatus__common_options common = {NULL, NULL, NULL, 0, 0, 0};
    if ((rc = extatus__common_options_parse(&common, name, type, options, option_count)) !=
        EXTATUS_OK)
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
    size_t count = family->series_table.count;
    pthread_mutex_unlock(&family->lock);
    return count;
}

typedef struct setopts_arg {
    const extatus_option *options;
    size_t count;
} setopts_arg;

static int setopts_one(extatus_series *series, const void *arg)
{
    const setopts_arg *what = arg;
    return extatus__series_apply_options(series, what->options, what->count);
}

/*
 * Options for the whole family: every live series, then the family's
 * stored options (so series created later get them too).
 */
int extatus__family_setopts(extatus_family *family, const extatus_option *options, size_t count)
{
    int rc = extatus__setopts_check(family, options, count);
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
