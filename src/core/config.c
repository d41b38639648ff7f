/*
 * config.c - the one owner of the settings from Extatus: timeout, port and
 * registry from code (text values), the environment and the command line.
 * The worker-status layer (its period), the exporter (port, registry) and
 * programs all read them through here. Every refusal names where the value
 * came from (the key, the variable or the flag) and the value itself.
 */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum setting { SETTING_TIMEOUT, SETTING_PORT, SETTING_REGISTRY, SETTING_COUNT };

static const char *const keys[SETTING_COUNT] = {"timeout", "port", "registry"};
static const char *const variables[SETTING_COUNT] = {"EXTATUS_TIMEOUT", "EXTATUS_PORT",
                                                     "EXTATUS_REGISTRY"};

/* Values are quoted in messages up to this many bytes, then "...". */
#define SHOWN_MAX 64

static int shown(const char *text)
{
    size_t length = strlen(text);
    return length > SHOWN_MAX ? SHOWN_MAX : (int)length;
}

static const char *cut(const char *text)
{
    return strlen(text) > SHOWN_MAX ? "..." : "";
}

/* A decimal number without sign, spaces or overflow, at most `max`. */
static bool parse_unsigned(const char *text, unsigned max, unsigned *out)
{
    unsigned long value = 0;
    if (!text[0])
        return false;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        value = value * 10 + (unsigned long)(*p - '0');
        if (value > max)
            return false;
    }
    *out = (unsigned)value;
    return true;
}

static bool valid_registry_name(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length >= EXTATUS_CONFIG_NAME_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

/*
 * Apply `value` to setting `which`; `source` names where it came from
 * ("EXTATUS_PORT", "--port", "port") for the error message.
 */
static int apply(extatus_config *config, enum setting which, const char *value, const char *source)
{
    unsigned number;

    switch (which) {
    case SETTING_TIMEOUT:
        if (!parse_unsigned(value, EXTATUS_CONFIG_TIMEOUT_MAX_MS, &number) || number == 0)
            return extatus__error(EXTATUS_ERR_OPTION,
                                  "%s='%.*s%s': the timeout must be a whole number of "
                                  "milliseconds from 1 to %u",
                                  source, shown(value), value, cut(value),
                                  EXTATUS_CONFIG_TIMEOUT_MAX_MS);
        config->timeout_ms = number;
        return EXTATUS_OK;
    case SETTING_PORT:
        if (!parse_unsigned(value, 65535, &number))
            return extatus__error(EXTATUS_ERR_OPTION,
                                  "%s='%.*s%s': the port must be a number from 0 to 65535", source,
                                  shown(value), value, cut(value));
        config->port = number;
        return EXTATUS_OK;
    case SETTING_REGISTRY:
        if (!valid_registry_name(value))
            return extatus__error(EXTATUS_ERR_OPTION,
                                  "%s='%.*s%s': a registry name must match "
                                  "[a-zA-Z_:][a-zA-Z0-9_:]* and be shorter than %d bytes",
                                  source, shown(value), value, cut(value), EXTATUS_CONFIG_NAME_MAX);
        memcpy(config->registry, value, strlen(value) + 1);
        return EXTATUS_OK;
    case SETTING_COUNT:
        break;
    }
    return extatus__error(EXTATUS_ERR_INVALID, "config: unknown setting");
}

static int check_config(const extatus_config *config, const char *function)
{
    if (!config)
        return extatus__error(EXTATUS_ERR_INVALID, "%s: config is NULL", function);
    if (config->version < 1 || config->version > EXTATUS_CONFIG_VERSION)
        return extatus__error(EXTATUS_ERR_INVALID, "%s: unknown config version %u", function,
                              config->version);
    return EXTATUS_OK;
}

int extatus_config_set(extatus_config *config, const char *key, const char *value)
{
    int rc = check_config(config, "extatus_config_set");
    if (rc != EXTATUS_OK)
        return rc;
    if (!key || !value)
        return extatus__error(EXTATUS_ERR_INVALID, "extatus_config_set: NULL key or value");
    for (int i = 0; i < SETTING_COUNT; i++)
        if (strcmp(key, keys[i]) == 0)
            return apply(config, (enum setting)i, value, key);
    return extatus__error(EXTATUS_ERR_OPTION,
                          "unknown setting '%.*s%s'='%.*s%s' (timeout, port or registry)",
                          shown(key), key, cut(key), shown(value), value, cut(value));
}

int extatus_config_from_env(extatus_config *config)
{
    int rc = check_config(config, "extatus_config_from_env");
    if (rc != EXTATUS_OK)
        return rc;
    for (int i = 0; i < SETTING_COUNT; i++) {
        const char *value = getenv(variables[i]);
        if (!value || !value[0])
            continue;
        rc = apply(config, (enum setting)i, value, variables[i]);
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

int extatus_config_from_env_setting(extatus_config *config, const char *key, bool *found)
{
    bool ignored;
    int rc = check_config(config, "extatus_config_from_env_setting");
    if (!found)
        found = &ignored;
    *found = false;
    if (rc != EXTATUS_OK)
        return rc;
    if (!key)
        return extatus__error(EXTATUS_ERR_INVALID, "extatus_config_from_env_setting: key is NULL");
    for (int i = 0; i < SETTING_COUNT; i++) {
        if (strcmp(key, keys[i]) != 0)
            continue;
        const char *value = getenv(variables[i]);
        if (!value || !value[0]) /* empty counts as unset, as in extatus_config_from_env */
            return EXTATUS_OK;
        *found = true;
        return apply(config, (enum setting)i, value, variables[i]);
    }
    return extatus__error(EXTATUS_ERR_INVALID,
                          "extatus_config_from_env_setting: unknown setting '%.*s%s' (timeout, "
                          "port or registry)",
                          shown(key), key, cut(key));
}

/*
 * If argv[i] is one of our flags, set *which and *value and return how
 * many arguments it takes (1 for --flag=value, 2 for --flag value); else 0.
 * A flag given last without its value returns -1.
 */
static int match_flag(char **argv, int argc, int i, enum setting *which, const char **value)
{
    const char *arg = argv[i];
    if (arg[0] != '-' || arg[1] != '-')
        return 0;
    for (int s = 0; s < SETTING_COUNT; s++) {
        size_t n = strlen(keys[s]);
        if (strncmp(arg + 2, keys[s], n) != 0)
            continue;
        *which = (enum setting)s;
        if (arg[2 + n] == '=') {
            *value = arg + 3 + n;
            return 1;
        }
        if (arg[2 + n] == '\0') {
            if (i + 1 >= argc)
                return -1;
            *value = argv[i + 1];
            return 2;
        }
    }
    return 0;
}

int extatus_config_from_args(extatus_config *config, int *argc, char **argv)
{
    extatus_config result;
    int rc = check_config(config, "extatus_config_from_args");
    int kept;
    int i;

    if (rc != EXTATUS_OK)
        return rc;
    if (!argc || *argc < 0 || (*argc > 0 && !argv))
        return extatus__error(EXTATUS_ERR_INVALID, "extatus_config_from_args: bad argc/argv");

    /* First pass: check every flag against a copy, so a bad one changes nothing. */
    result = *config;
    for (i = 1; i < *argc; i++) {
        enum setting which = SETTING_COUNT;
        const char *value = NULL;
        char flag[16];
        int taken;

        if (!argv[i] || strcmp(argv[i], "--") == 0)
            break;
        taken = match_flag(argv, *argc, i, &which, &value);
        if (taken == 0)
            continue;
        snprintf(flag, sizeof flag, "--%s", keys[which]);
        if (taken < 0)
            return extatus__error(EXTATUS_ERR_OPTION, "%s='': the flag needs a value", flag);
        rc = apply(&result, which, value, flag);
        if (rc != EXTATUS_OK)
            return rc;
        i += taken - 1;
    }

    /* Second pass: drop our flags from argv. */
    kept = 1;
    for (i = 1; i < *argc; i++) {
        enum setting which;
        const char *value;
        int taken = 0;

        if (argv[i] && strcmp(argv[i], "--") == 0) {
            while (i < *argc)
                argv[kept++] = argv[i++];
            break;
        }
        if (argv[i])
            taken = match_flag(argv, *argc, i, &which, &value);
        if (taken > 0) {
            i += taken - 1;
            continue;
        }
        argv[kept++] = argv[i];
    }
    if (kept < *argc)
        argv[kept] = NULL; /* keep argv[argc] == NULL */
    *argc = kept;
    *config = result;
    return EXTATUS_OK;
}
