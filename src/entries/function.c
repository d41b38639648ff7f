/*
 * function.c - metrics computed by a callback at read time: the types
 * "function_gauge" and "function_counter", two names mapped to this one
 * implementation (the exposition type comes from the name's registration).
 */
#include "entries/common.h"

typedef struct function_entry {
    extatus_value_fn function; /* computes the value */
    void *user_data;           /* passed to function */
} function_entry;

static const extatus_datapoint function_datapoints[] = {
    {.name = "value", .role = EXTATUS_SAMPLE_VALUE, .bound = 0.0},
};

static int function_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                           size_t option_count)
{
    extatus_value_fn function = NULL;
    void *user_data = NULL;
    for (size_t i = 0; i < option_count; i++) {
        const extatus_option *opt = &options[i];
        if (strcmp(opt->key, "function") == 0 && opt->kind == EXTATUS_OPTION_FUNCTION) {
            function = (extatus_value_fn)opt->function;
        } else if (strcmp(opt->key, "user_data") == 0 && opt->kind == EXTATUS_OPTION_POINTER) {
            user_data = opt->pointer;
        } else {
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "metric '%s': type '%s' has no option '%s' of that kind "
                                       "(expected function: FUNCTION, user_data: POINTER)",
                                       ctx->name, ctx->type, opt->key);
        }
    }
    if (!function)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "metric '%s': type '%s' needs the option 'function'", ctx->name,
                                   ctx->type);
    function_entry *entry = extatus__malloc(sizeof(*entry));
    if (!entry)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", ctx->name);
    entry->function = function;
    entry->user_data = user_data;
    *ref = entry;
    return EXTATUS_OK;
}

static void function_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    (void)ctx;
    extatus__free(ref);
}

static int function_get_value(void *ref, const extatus_entry_ctx *ctx,
                              const char *const *datapoints, size_t count, extatus_value *values)
{
    const function_entry *entry = ref;
    for (size_t i = 0; i < count; i++) {
        bool wanted = extatus__datapoint_wanted(function_datapoints, 1, datapoints, i) == 0;
        double value;
        values[i] = extatus__undefined_value();
        if (wanted && entry->function(&value, ctx->label_values, entry->user_data) == 0)
            values[i] = extatus__double_value(value);
    }
    return EXTATUS_OK;
}

static int function_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                   const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = function_datapoints;
    *count = 1;
    return EXTATUS_OK;
}

static const extatus_entry_ops function_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_ENTRY,
    .metric_type = EXTATUS_METRIC_GAUGE,
    .create = function_create,
    .destroy = function_destroy,
    .get_value = function_get_value,
    .update = NULL, /* the callback is the only source of values */
    .reset = NULL,
    .sample = NULL,
    .get_datapoints = function_get_datapoints,
    .setopts = NULL,
};

int extatus__function_register(void);
int extatus__function_register(void)
{
    extatus_type_options as_counter = EXTATUS_TYPE_OPTIONS_INIT;
    as_counter.metric_type = EXTATUS_METRIC_COUNTER;
    int rc = extatus_type_register("function_gauge", &function_ops, NULL);
    if (rc == EXTATUS_OK)
        rc = extatus_type_register("function_counter", &function_ops, &as_counter);
    return rc;
}

static int function_new(extatus_registry *registry, const char *name, const char *help,
                        const char *type, extatus_value_fn function, void *user_data)
{
    const extatus_option options[] = {
        EXTATUS_OPT_FUNCTION("function", function),
        EXTATUS_OPT_POINTER("user_data", user_data),
    };
    void *ref;
    return extatus__new_unlabelled(&ref, registry, name, type, help, options, 2);
}

int extatus_function_gauge_new(extatus_registry *registry, const char *name, const char *help,
                               extatus_value_fn function, void *user_data)
{
    return function_new(registry, name, help, "function_gauge", function, user_data);
}

int extatus_function_counter_new(extatus_registry *registry, const char *name, const char *help,
                                 extatus_value_fn function, void *user_data)
{
    return function_new(registry, name, help, "function_counter", function, user_data);
}
