/*
 * config_fuzz.c - arbitrary text through the configuration parsers
 * (src/http/config.c): extatus_config_set, extatus_config_from_env and
 * extatus_config_from_args.
 *
 * Input: fields separated by '\n': a key, a value, a value for
 * EXTATUS_PORT, then command-line arguments. Whatever is accepted must
 * leave the settings in their ranges; whatever is refused must leave them
 * unchanged and name the value in the message; argument parsing must keep
 * the other arguments in order.
 */
#include <string.h>

#include "extatus.h"
#include "fuzz.h"

#define MAX_FIELDS 16

static void check_ranges(const extatus_config *config)
{
    FUZZ_CHECK(config->timeout_ms >= 1 && config->timeout_ms <= 86400000u);
    FUZZ_CHECK(config->port <= 65535);
    FUZZ_CHECK(memchr(config->registry, '\0', sizeof config->registry) != NULL);
    FUZZ_CHECK(config->registry[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    char *fields[MAX_FIELDS];
    size_t count = 0;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (char *p = copy; count < MAX_FIELDS;) {
        fields[count++] = p;
        p = strchr(p, '\n');
        if (!p)
            break;
        *p++ = '\0';
    }

    extatus_config config = EXTATUS_CONFIG_INIT;
    if (count >= 2) {
        extatus_config before = config;
        int rc = extatus_config_set(&config, fields[0], fields[1]);
        if (rc != EXTATUS_OK) {
            FUZZ_CHECK(rc == EXTATUS_ERR_OPTION);
            FUZZ_CHECK(memcmp(&before, &config, sizeof config) == 0);
            /* Messages are cut at 512 bytes: the value's start must be there. */
            char start[33];
            snprintf(start, sizeof start, "%s", fields[1]);
            FUZZ_CHECK(strstr(extatus_error_last(), start) != NULL);
        }
        check_ranges(&config);
    }
    if (count >= 3) {
        extatus_config before = config;
        setenv("EXTATUS_PORT", fields[2], 1);
        int rc = extatus_config_from_env(&config);
        if (rc != EXTATUS_OK) {
            FUZZ_CHECK(rc == EXTATUS_ERR_OPTION);
            FUZZ_CHECK(config.port == before.port);
            FUZZ_CHECK(strstr(extatus_error_last(), "EXTATUS_PORT") != NULL);
        }
        unsetenv("EXTATUS_PORT");
        check_ranges(&config);
    }
    if (count >= 3) {
        char *argv[MAX_FIELDS + 1];
        char *original[MAX_FIELDS + 1];
        int argc = 0;
        argv[argc++] = (char *)"fuzz";
        for (size_t i = 3; i < count; i++)
            argv[argc++] = fields[i];
        argv[argc] = NULL;
        memcpy(original, argv, sizeof argv);
        int before_argc = argc;
        extatus_config before = config;
        int rc = extatus_config_from_args(&config, &argc, argv);
        if (rc != EXTATUS_OK) {
            FUZZ_CHECK(rc == EXTATUS_ERR_OPTION);
            FUZZ_CHECK(argc == before_argc);
            FUZZ_CHECK(memcmp(argv, original, sizeof argv) == 0);
            FUZZ_CHECK(memcmp(&before, &config, sizeof config) == 0);
        } else {
            /* What is left is a subsequence of the original, in order, NULL-terminated. */
            FUZZ_CHECK(argc >= 1 && argc <= before_argc && argv[argc] == NULL);
            int j = 0;
            for (int i = 0; i < argc; i++) {
                while (j < before_argc && original[j] != argv[i])
                    j++;
                FUZZ_CHECK(j < before_argc);
                j++;
            }
        }
        check_ranges(&config);
    }
    free(copy);
    return 0;
}
