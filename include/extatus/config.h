/*
 * extatus/config.h - the settings from the seed: timeout, port, registry,
 * taken from code, from the environment and from the command line.
 *
 *   setting   default    environment        command line
 *   timeout   1000 (ms)  EXTATUS_TIMEOUT    --timeout=MS
 *   port      4000       EXTATUS_PORT       --port=N
 *   registry  "default"  EXTATUS_REGISTRY   --registry=NAME
 *
 * Start from EXTATUS_CONFIG_INIT (the defaults), then apply the sources
 * in the order of precedence you want, usually environment then command
 * line. A bad value is refused with EXTATUS_ERR_OPTION and a message that
 * names the variable or flag and the value; the setting keeps its value.
 *
 * These functions live in the core library (libextatus): the worker-status
 * handler takes its period and the exporter (extatus-http) its port and
 * registry through them.
 */
#ifndef EXTATUS_CONFIG_H
#define EXTATUS_CONFIG_H

#include "common.h"

#include <stdbool.h>

EXTATUS_BEGIN_DECLS

#define EXTATUS_CONFIG_VERSION 1

/* Longest registry name a configuration holds, terminator included. */
#define EXTATUS_CONFIG_NAME_MAX 128

#define EXTATUS_DEFAULT_TIMEOUT_MS 1000

/* The longest timeout (handler period) accepted anywhere: one day. */
#define EXTATUS_CONFIG_TIMEOUT_MAX_MS 86400000u

typedef struct extatus_config {
    unsigned version;                       /* EXTATUS_CONFIG_VERSION */
    unsigned timeout_ms;                    /* handler period in ms, 1..86400000 */
    unsigned port;                          /* exporter port, 0..65535 (0: any free port) */
    char registry[EXTATUS_CONFIG_NAME_MAX]; /* registry to serve */
} extatus_config;

#define EXTATUS_CONFIG_INIT                                                                        \
    {                                                                                              \
        EXTATUS_CONFIG_VERSION, EXTATUS_DEFAULT_TIMEOUT_MS, 4000, "default"                        \
    }

/*
 * Set one setting from text: `key` is "timeout", "port" or "registry".
 * Errors: EXTATUS_ERR_OPTION (unknown key or bad value; the message names
 * both), _INVALID. Thread safety: any thread, on a config no other thread uses.
 */
EXTATUS_API int extatus_config_set(extatus_config *config, const char *key, const char *value);

/*
 * Apply EXTATUS_TIMEOUT, EXTATUS_PORT and EXTATUS_REGISTRY when they are
 * set (an empty variable counts as unset). Stops at the first bad value.
 * Errors: EXTATUS_ERR_OPTION (names the variable and its value), _INVALID.
 * Thread safety: any thread, not concurrently with setenv().
 */
EXTATUS_API int extatus_config_from_env(extatus_config *config);

/*
 * Apply the flags --timeout=MS, --port=N and --registry=NAME (also
 * written as two arguments, "--port N") found in argv[1..*argc), and
 * remove them from argv, updating *argc; other arguments stay in order.
 * Parsing stops at "--". Stops at the first bad value (argv unchanged).
 * Errors: EXTATUS_ERR_OPTION (names the flag and its value), _INVALID.
 * Thread safety: any thread, on a config and argv no other thread uses.
 */
EXTATUS_API int extatus_config_from_args(extatus_config *config, int *argc, char **argv);

/*
 * Apply the environment variable of one setting (`key`: "timeout", "port"
 * or "registry") when it is set and not empty; *found (NULL allowed) tells
 * whether it was. For a component that takes only its own settings from
 * the environment, under "explicit value > environment > default".
 * Errors: EXTATUS_ERR_OPTION (a bad value, naming the variable and the
 * value; the setting keeps its value), _INVALID (NULL config or key,
 * unknown key, unknown config version).
 * Thread safety: any thread; reads the environment (not concurrent with
 * setenv).
 */
EXTATUS_API int extatus_config_from_env_setting(extatus_config *config, const char *key,
                                                bool *found);

EXTATUS_END_DECLS

#endif /* EXTATUS_CONFIG_H */
