/*
 * types.c - the type map: type name -> entry operations table.
 *
 * Types live until extatus_shutdown(); families keep borrowed pointers to
 * them, so a type is never removed or moved while the library runs (the
 * map is an array of pointers that only grows).
 */
#include "core/internal.h"

#include <stddef.h>
#include <string.h>

#define TYPE_NAME_MAX 63

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static extatus__type **types;
static size_t type_count;
static size_t type_capacity;

static bool valid_type_name(const char *name)
{
    size_t length = 0;
    for (const char *p = name; *p; p++, length++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || c == '_' || (p != name && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return length > 0 && length <= TYPE_NAME_MAX;
}

static const extatus__type *find_locked(const char *name)
{
    for (size_t i = 0; i < type_count; i++)
        if (strcmp(types[i]->name, name) == 0)
            return types[i];
    return NULL;
}

const extatus__type *extatus__type_find(const char *name)
{
    pthread_mutex_lock(&types_lock);
    const extatus__type *type = find_locked(name);
    pthread_mutex_unlock(&types_lock);
    return type;
}

/*
 * Bytes a caller's table of `version` holds: a version-1 table ends after
 * setopts. A caller compiled against an older header passes a shorter
 * struct, so reading sizeof(extatus_entry_ops) would read past its end.
 * When a version is added, give it its line and move the assertion.
 */
#define OPS_V1_SIZE EXTATUS__FIELD_END(extatus_entry_ops, setopts)
#define OPS_V2_SIZE EXTATUS__FIELD_END(extatus_entry_ops, get_exemplar)
_Static_assert(EXTATUS_ENTRY_OPS_VERSION != 2 || OPS_V2_SIZE == sizeof(extatus_entry_ops),
               "extatus_entry_ops grew: add the new version's size to ops_size_of_version");

static size_t ops_size_of_version(unsigned version)
{
    switch (version) {
    case 1:
        return OPS_V1_SIZE;
    case 2:
        return OPS_V2_SIZE;
    default: /* refused before the copy */
        return 0;
    }
}

int extatus_type_register(const char *type_name, const extatus_entry_ops *ops,
                          const extatus_type_options *options)
{
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if (!type_name || !valid_type_name(type_name))
        return extatus__error(EXTATUS_ERR_INVALID,
                              "invalid type name '%s': must match [a-z_][a-z0-9_]*, at most %d "
                              "bytes",
                              type_name ? type_name : "(null)", TYPE_NAME_MAX);
    if (!ops)
        return extatus__error(EXTATUS_ERR_INVALID, "type '%s': operations table is NULL",
                              type_name);
    if (ops->version < 1 || ops->version > EXTATUS_ENTRY_OPS_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "type '%s': operations table version %u is not supported (1..%d)",
                              type_name, ops->version, EXTATUS_ENTRY_OPS_VERSION);
    if (!ops->create || !ops->get_value || !ops->get_datapoints)
        return extatus__error(EXTATUS_ERR_INVALID,
                              "type '%s': create, get_value and get_datapoints are required",
                              type_name);
    if (ops->kind != EXTATUS_ENTRY_KIND_ENTRY && ops->kind != EXTATUS_ENTRY_KIND_PROBE)
        return extatus__error(EXTATUS_ERR_INVALID, "type '%s': unknown kind %d", type_name,
                              (int)ops->kind);
    if (options && options->version != EXTATUS_TYPE_OPTIONS_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID, "type '%s': options version %u unsupported",
                              type_name, options->version);
    extatus_metric_type metric_type = ops->metric_type;
    if (options && options->metric_type != EXTATUS_METRIC_UNSET)
        metric_type = options->metric_type;
    if (metric_type < EXTATUS_METRIC_COUNTER || metric_type > EXTATUS_METRIC_UNKNOWN)
        return extatus__error(EXTATUS_ERR_INVALID, "type '%s': invalid metric type %d", type_name,
                              (int)metric_type);

    extatus__type *type = extatus__calloc(1, sizeof(*type));
    if (!type || !(type->name = extatus__strdup(type_name))) {
        extatus__free(type);
        return extatus__error(EXTATUS_ERR_NOMEM, "type '%s': out of memory", type_name);
    }
    /* Copy only the methods the caller's version has; later ones stay NULL. */
    memcpy(&type->ops, ops, ops_size_of_version(ops->version));
    type->ops.version = EXTATUS_ENTRY_OPS_VERSION;
    type->metric_type = metric_type;
    type->type_data = options ? options->type_data : NULL;

    pthread_mutex_lock(&types_lock);
    if (find_locked(type_name)) {
        rc = extatus__error(EXTATUS_ERR_EXISTS, "type '%s' is already registered", type_name);
    } else if (type_count == type_capacity) {
        size_t capacity = type_capacity ? type_capacity * 2 : 16;
        extatus__type **grown = extatus__realloc(types, capacity * sizeof(*grown));
        if (!grown) {
            rc = extatus__error(EXTATUS_ERR_NOMEM, "type '%s': out of memory", type_name);
        } else {
            types = grown;
            type_capacity = capacity;
        }
    }
    if (rc == EXTATUS_OK)
        types[type_count++] = type;
    pthread_mutex_unlock(&types_lock);
    if (rc != EXTATUS_OK) {
        extatus__free(type->name);
        extatus__free(type);
    }
    return rc;
}

int extatus_type_lookup(const char *type_name, extatus_entry_ops *ops)
{
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if (!type_name)
        return extatus__error(EXTATUS_ERR_INVALID, "type name is NULL");
    const extatus__type *type = extatus__type_find(type_name);
    if (!type)
        return extatus__error(EXTATUS_ERR_NOT_FOUND, "no type '%s' is registered", type_name);
    if (ops) {
        /* Fill only the methods of the caller's version: an older caller's
         * struct is shorter than today's. */
        size_t size = ops_size_of_version(ops->version);
        if (size == 0)
            return extatus__error(EXTATUS_ERR_INVALID,
                                  "type '%s': ops->version %u is not supported (1..%d); start "
                                  "from EXTATUS_ENTRY_OPS_INIT",
                                  type_name, ops->version, EXTATUS_ENTRY_OPS_VERSION);
        unsigned version = ops->version;
        memcpy(ops, &type->ops, size);
        ops->version = version;
    }
    return EXTATUS_OK;
}

void extatus__types_free(void)
{
    pthread_mutex_lock(&types_lock);
    for (size_t i = 0; i < type_count; i++) {
        extatus__free(types[i]->name);
        extatus__free(types[i]);
    }
    extatus__free(types);
    types = NULL;
    type_count = 0;
    type_capacity = 0;
    pthread_mutex_unlock(&types_lock);
}
