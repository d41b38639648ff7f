/*
 * config.c - extatus_config_load: apply a YAML file through the public
 * API only (libextatus knows nothing of this file or of libyaml).
 *
 * The file is loaded as one libyaml document; every node keeps its line,
 * so each error names "path:line:" of the entry that caused it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "extatus.h"
#include "extatus/sys/entry.h"
#include "extatus/yaml.h"
#ifdef EXTATUS_YAML_PUSH
#include "extatus/push.h"
#include "extatus/remote_write.h"
#endif

/* The reporter types a file can name: the line reporter, and the Pushgateway's and remote
 * write's when built with extatus-push. */
#ifdef EXTATUS_YAML_PUSH
#define REPORTER_TYPES "'line', 'pushgateway' and 'remote_write'"
#else
#define REPORTER_TYPES "'line'"
#endif

#define MAX_OPTIONS 32
#define MAX_ITEMS   256

typedef struct loader {
    const char *path;     /* for messages */
    yaml_document_t *doc; /* the parsed file */
} loader;

/* Set the error message "path:line: ..." and return code. */
static int fail(const loader *l, const yaml_node_t *node, int code, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail(const loader *l, const yaml_node_t *node, int code, const char *format, ...)
{
    char text[512];
    va_list args;
    va_start(args, format);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is just above */
    vsnprintf(text, sizeof(text), format, args);
    va_end(args);
    return extatus_entry_error(code, "%s:%lu: %s", l->path,
                               node ? (unsigned long)node->start_mark.line + 1 : 0UL, text);
}

/* Prefix the library's own message for a failed call with the entry's place. */
static int failed_call(const loader *l, const yaml_node_t *node, int code)
{
    char text[512];
    snprintf(text, sizeof(text), "%s", extatus_error_last());
    return fail(l, node, code, "%s", text[0] ? text : extatus_strerror(code));
}

static const char *scalar(const yaml_node_t *node)
{
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static bool quoted(const yaml_node_t *node)
{
    return node->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
           node->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
}

/* A plain scalar that reads wholly as a number. */
static bool number_of(const yaml_node_t *node, double *value)
{
    const char *text = scalar(node);
    if (!text || !*text || quoted(node))
        return false;
    char *end;
    errno = 0;
    *value = strtod(text, &end);
    return *end == '\0' && errno == 0;
}

/* The value of `key` in mapping `map`, NULL when absent. */
static yaml_node_t *lookup(const loader *l, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        const char *name = scalar(yaml_document_get_node(l->doc, pair->key));
        if (name && strcmp(name, key) == 0)
            return yaml_document_get_node(l->doc, pair->value);
    }
    return NULL;
}

/* Every key of `map` is one of `allowed` (NULL-terminated). */
static int check_keys(const loader *l, const yaml_node_t *map, const char *what,
                      const char *const *allowed)
{
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        const yaml_node_t *key = yaml_document_get_node(l->doc, pair->key);
        const char *name = scalar(key);
        bool ok = false;
        for (size_t i = 0; name && allowed[i]; i++)
            ok = ok || strcmp(name, allowed[i]) == 0;
        if (!ok)
            return fail(l, key, EXTATUS_ERR_INVALID, "unknown key '%s' in %s", name ? name : "?",
                        what);
    }
    return EXTATUS_OK;
}

/* A required (or optional, with `required` false) string field. */
static int string_field(const loader *l, const yaml_node_t *map, const char *key, bool required,
                        const char **out)
{
    const yaml_node_t *node = lookup(l, map, key);
    *out = NULL;
    if (!node) {
        if (required)
            return fail(l, map, EXTATUS_ERR_INVALID, "'%s' is required here", key);
        return EXTATUS_OK;
    }
    if (!(*out = scalar(node)))
        return fail(l, node, EXTATUS_ERR_INVALID, "'%s' must be a plain value", key);
    return EXTATUS_OK;
}

/* Storage for the options of one entry (lists converted from YAML sequences). */
typedef struct option_set {
    extatus_option options[MAX_OPTIONS];
    size_t count;
    double doubles[MAX_OPTIONS][MAX_ITEMS];
    const char *strings[MAX_OPTIONS][MAX_ITEMS];
} option_set;

static int sequence_items(const loader *l, const yaml_node_t *seq, const char *what,
                          const char **items, double *numbers, size_t *count, bool *all_numbers)
{
    *count = 0;
    *all_numbers = true;
    for (yaml_node_item_t *item = seq->data.sequence.items.start;
         item < seq->data.sequence.items.top; item++) {
        const yaml_node_t *node = yaml_document_get_node(l->doc, *item);
        if (*count == MAX_ITEMS)
            return fail(l, node, EXTATUS_ERR_INVALID, "'%s' has more than %d items", what,
                        MAX_ITEMS);
        if (!(items[*count] = scalar(node)))
            return fail(l, node, EXTATUS_ERR_INVALID, "items of '%s' must be plain values", what);
        if (!number_of(node, &numbers[*count]))
            *all_numbers = false;
        (*count)++;
    }
    return EXTATUS_OK;
}

/*
 * A mapping of options into an extatus_option list: numbers (plain
 * scalars that read as numbers) become NUMBER, other scalars STRING, a
 * sequence of numbers DOUBLES and any other sequence STRINGS.
 */
static int parse_options(const loader *l, const yaml_node_t *map, option_set *set)
{
    set->count = 0;
    if (!map)
        return EXTATUS_OK;
    if (map->type != YAML_MAPPING_NODE)
        return fail(l, map, EXTATUS_ERR_INVALID, "'options' must be a mapping");
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        const yaml_node_t *key = yaml_document_get_node(l->doc, pair->key);
        const yaml_node_t *value = yaml_document_get_node(l->doc, pair->value);
        const char *name = scalar(key);
        if (!name)
            return fail(l, key, EXTATUS_ERR_INVALID, "option names must be plain values");
        if (set->count == MAX_OPTIONS)
            return fail(l, key, EXTATUS_ERR_INVALID, "more than %d options", MAX_OPTIONS);
        size_t i = set->count;
        extatus_option *opt = &set->options[i];
        memset(opt, 0, sizeof(*opt));
        opt->key = name;
        double number;
        if (value->type == YAML_SCALAR_NODE) {
            if (number_of(value, &number)) {
                opt->kind = EXTATUS_OPTION_NUMBER;
                opt->number = number;
            } else {
                opt->kind = EXTATUS_OPTION_STRING;
                opt->string = scalar(value);
            }
        } else if (value->type == YAML_SEQUENCE_NODE) {
            size_t count;
            bool numbers;
            int rc =
                sequence_items(l, value, name, set->strings[i], set->doubles[i], &count, &numbers);
            if (rc != EXTATUS_OK)
                return rc;
            opt->kind = numbers && count ? EXTATUS_OPTION_DOUBLES : EXTATUS_OPTION_STRINGS;
            opt->list =
                numbers && count ? (const void *)set->doubles[i] : (const void *)set->strings[i];
            opt->count = count;
        } else {
            return fail(l, value, EXTATUS_ERR_INVALID, "option '%s' must be a value or a list",
                        name);
        }
        set->count++;
    }
    return EXTATUS_OK;
}

static int registry_named(const loader *l, const yaml_node_t *at, const char *name,
                          extatus_registry **out)
{
    *out = NULL;
    if (!name || strcmp(name, "default") == 0)
        return EXTATUS_OK;
    if (extatus_registry_lookup(out, name) == EXTATUS_OK)
        return EXTATUS_OK;
    int rc = extatus_registry_new(out, name, NULL);
    return rc == EXTATUS_OK ? rc : failed_call(l, at, rc);
}

static int apply_default(const loader *l, const yaml_node_t *entry, option_set *set)
{
    static const char *const keys[] = {"pattern", "type", "options", NULL};
    const char *pattern = NULL;
    const char *type = NULL;
    int rc;
    if ((rc = check_keys(l, entry, "a default", keys)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "pattern", true, &pattern)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "type", true, &type)) != EXTATUS_OK ||
        (rc = parse_options(l, lookup(l, entry, "options"), set)) != EXTATUS_OK)
        return rc;
    rc = extatus_type_set_default(pattern, type, set->options, set->count);
    return rc == EXTATUS_OK ? rc : failed_call(l, entry, rc);
}

static int apply_metric(const loader *l, const yaml_node_t *entry, option_set *set)
{
    static const char *const keys[] = {"name", "type", "registry", "options", NULL};
    const char *name = NULL;
    const char *type = NULL;
    const char *registry_name = NULL;
    extatus_registry *registry;
    int rc;
    if ((rc = check_keys(l, entry, "a metric", keys)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "name", true, &name)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "type", true, &type)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "registry", false, &registry_name)) != EXTATUS_OK ||
        (rc = parse_options(l, lookup(l, entry, "options"), set)) != EXTATUS_OK ||
        (rc = registry_named(l, entry, registry_name, &registry)) != EXTATUS_OK)
        return rc;
    rc = extatus_new(registry, name, type, set->options, set->count);
    return rc == EXTATUS_OK ? rc : failed_call(l, entry, rc);
}

static int apply_reporter(const loader *l, const yaml_node_t *entry, option_set *set)
{
    static const char *const keys[] = {"name", "type", "options", NULL};
    const char *name = NULL;
    const char *type = NULL;
    int rc;
    if ((rc = check_keys(l, entry, "a reporter", keys)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "name", true, &name)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "type", true, &type)) != EXTATUS_OK ||
        (rc = parse_options(l, lookup(l, entry, "options"), set)) != EXTATUS_OK)
        return rc;
    const extatus_reporter_ops *ops = NULL;
    if (type && strcmp(type, "line") == 0)
        ops = extatus_reporter_line();
#ifdef EXTATUS_YAML_PUSH
    if (type && strcmp(type, "pushgateway") == 0)
        ops = extatus_reporter_pushgateway();
    if (type && strcmp(type, "remote_write") == 0)
        ops = extatus_reporter_remote_write();
#endif
    if (!ops)
        return fail(l, entry, EXTATUS_ERR_INVALID,
                    "reporter '%s': type '%s' cannot be set up from a file (only %s; add "
                    "callback and custom reporters from code)",
                    name, type ? type : "", REPORTER_TYPES);
    rc = extatus_reporter_add(name, ops, set->options, set->count);
    return rc == EXTATUS_OK ? rc : failed_call(l, entry, rc);
}

static int apply_subscription(const loader *l, const yaml_node_t *entry, option_set *set)
{
    static const char *const keys[] = {"reporter",  "metric",   "registry", "labels",
                                       "datapoint", "interval", NULL};
    const char *reporter = NULL;
    const char *metric = NULL;
    const char *registry = NULL;
    const char *datapoint = NULL;
    int rc;
    if ((rc = check_keys(l, entry, "a subscription", keys)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "reporter", true, &reporter)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "metric", true, &metric)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "registry", false, &registry)) != EXTATUS_OK ||
        (rc = string_field(l, entry, "datapoint", false, &datapoint)) != EXTATUS_OK)
        return rc;
    extatus_subscription sub = EXTATUS_SUBSCRIPTION_INIT;
    sub.registry = registry;
    sub.metric = metric;
    sub.datapoint = datapoint;
    const yaml_node_t *interval = lookup(l, entry, "interval");
    double ms;
    if (!interval || !number_of(interval, &ms))
        return fail(l, interval ? interval : entry, EXTATUS_ERR_INVALID,
                    "'interval' (milliseconds) is required and must be a number");
    sub.interval_ms = (int64_t)ms;
    const yaml_node_t *labels = lookup(l, entry, "labels");
    if (labels) {
        bool numbers;
        if (labels->type != YAML_SEQUENCE_NODE)
            return fail(l, labels, EXTATUS_ERR_INVALID, "'labels' must be a list of values");
        if ((rc = sequence_items(l, labels, "labels", set->strings[0], set->doubles[0],
                                 &sub.label_count, &numbers)) != EXTATUS_OK)
            return rc;
        sub.label_values = set->strings[0];
    }
    rc = extatus_subscribe(reporter, &sub);
    return rc == EXTATUS_OK ? rc : failed_call(l, entry, rc);
}

typedef int (*apply_fn)(const loader *, const yaml_node_t *, option_set *);

static int apply_section(const loader *l, const yaml_node_t *root, const char *name, apply_fn fn,
                         option_set *set)
{
    const yaml_node_t *seq = lookup(l, root, name);
    if (!seq)
        return EXTATUS_OK;
    if (seq->type != YAML_SEQUENCE_NODE)
        return fail(l, seq, EXTATUS_ERR_INVALID, "'%s' must be a list", name);
    for (yaml_node_item_t *item = seq->data.sequence.items.start;
         item < seq->data.sequence.items.top; item++) {
        const yaml_node_t *entry = yaml_document_get_node(l->doc, *item);
        if (entry->type != YAML_MAPPING_NODE)
            return fail(l, entry, EXTATUS_ERR_INVALID, "each entry of '%s' must be a mapping",
                        name);
        int rc = fn(l, entry, set);
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

int extatus_config_load(const char *path)
{
    if (!path)
        return extatus_entry_error(EXTATUS_ERR_INVALID, "config: path is NULL");
    FILE *file = fopen(path, "rb");
    if (!file)
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "%s: cannot open: %s", path,
                                   strerror(errno));
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        fclose(file);
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "%s: cannot set up the YAML parser", path);
    }
    yaml_parser_set_input_file(&parser, file);
    int rc = EXTATUS_OK;
    if (!yaml_parser_load(&parser, &doc)) {
        /* The context ("while scanning a simple key") starts at the offending line. */
        const yaml_mark_t *mark = parser.context ? &parser.context_mark : &parser.problem_mark;
        rc = extatus_entry_error(EXTATUS_ERR_INVALID, "%s:%lu: not valid YAML: %s%s%s", path,
                                 (unsigned long)mark->line + 1,
                                 parser.problem ? parser.problem : "parse error",
                                 parser.context ? ", " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        fclose(file);
        return rc;
    }
    yaml_parser_delete(&parser);
    fclose(file);

    loader l = {path, &doc};
    const yaml_node_t *root = yaml_document_get_root_node(&doc);
    option_set *set = malloc(sizeof(*set));
    static const char *const sections[] = {"defaults", "metrics", "reporters", "subscriptions",
                                           NULL};
    if (!set)
        rc = extatus_entry_error(EXTATUS_ERR_NOMEM, "%s: out of memory", path);
    else if (!root) /* an empty file configures nothing */
        rc = EXTATUS_OK;
    else if (root->type != YAML_MAPPING_NODE)
        rc = fail(&l, root, EXTATUS_ERR_INVALID,
                  "the file must be a mapping with defaults, metrics, reporters, subscriptions");
    else if ((rc = check_keys(&l, root, "the file", sections)) == EXTATUS_OK &&
             (rc = apply_section(&l, root, "defaults", apply_default, set)) == EXTATUS_OK &&
             (rc = apply_section(&l, root, "metrics", apply_metric, set)) == EXTATUS_OK &&
             (rc = apply_section(&l, root, "reporters", apply_reporter, set)) == EXTATUS_OK)
        rc = apply_section(&l, root, "subscriptions", apply_subscription, set);
    free(set);
    yaml_document_delete(&doc);
    return rc;
}
