/*
 * config_test.c - timeout, port and registry from text, the environment
 * and the command line (src/core/config.c). Every refusal must name the
 * variable or flag and the value.
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

typedef struct set_case {
    const char *key;
    const char *value;
    int rc;              /* expected return */
    const char *errtext; /* expected in the error message (NULL: none checked) */
} set_case;

static const set_case set_cases[] = {
    {"timeout", "1", EXTATUS_OK, NULL},
    {"timeout", "250", EXTATUS_OK, NULL},
    {"timeout", "86400000", EXTATUS_OK, NULL},
    {"timeout", "0", EXTATUS_ERR_OPTION, "timeout='0'"},
    {"timeout", "86400001", EXTATUS_ERR_OPTION, "timeout='86400001'"},
    {"timeout", "-5", EXTATUS_ERR_OPTION, "timeout='-5'"},
    {"timeout", "12ms", EXTATUS_ERR_OPTION, "timeout='12ms'"},
    {"timeout", " 12", EXTATUS_ERR_OPTION, "timeout=' 12'"},
    {"timeout", "", EXTATUS_ERR_OPTION, "timeout=''"},
    {"timeout", "99999999999999999999", EXTATUS_ERR_OPTION, "timeout='99999999999999999999'"},
    {"port", "0", EXTATUS_OK, NULL},
    {"port", "4000", EXTATUS_OK, NULL},
    {"port", "65535", EXTATUS_OK, NULL},
    {"port", "65536", EXTATUS_ERR_OPTION, "port='65536'"},
    {"port", "+80", EXTATUS_ERR_OPTION, "port='+80'"},
    {"port", "0x50", EXTATUS_ERR_OPTION, "port='0x50'"},
    {"port", "http", EXTATUS_ERR_OPTION, "port='http'"},
    {"registry", "default", EXTATUS_OK, NULL},
    {"registry", "app:jobs_2", EXTATUS_OK, NULL},
    {"registry", "2fast", EXTATUS_ERR_OPTION, "registry='2fast'"},
    {"registry", "with space", EXTATUS_ERR_OPTION, "registry='with space'"},
    {"registry", "", EXTATUS_ERR_OPTION, "registry=''"},
    {"colour", "blue", EXTATUS_ERR_OPTION, "'colour'='blue'"},
};

static void test_set_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof set_cases / sizeof set_cases[0]; i++) {
        const set_case *c = &set_cases[i];
        extatus_config config = EXTATUS_CONFIG_INIT;
        extatus_config before = config;
        int rc = extatus_config_set(&config, c->key, c->value);
        if (rc != c->rc)
            print_error("%s=%s: rc %d, expected %d (%s)\n", c->key, c->value, rc, c->rc,
                        extatus_error_last());
        assert_int_equal(rc, c->rc);
        if (rc != EXTATUS_OK) {
            assert_memory_equal(&config, &before, sizeof config); /* unchanged */
            if (!strstr(extatus_error_last(), c->errtext))
                print_error("message '%s' lacks '%s'\n", extatus_error_last(), c->errtext);
            assert_non_null(strstr(extatus_error_last(), c->errtext));
        }
    }
}

static void test_set_values(void **state)
{
    extatus_config config = EXTATUS_CONFIG_INIT;
    (void)state;
    assert_int_equal(config.timeout_ms, 1000);
    assert_int_equal(config.port, 4000);
    assert_string_equal(config.registry, "default");
    assert_ok(extatus_config_set(&config, "timeout", "250"));
    assert_ok(extatus_config_set(&config, "port", "9100"));
    assert_ok(extatus_config_set(&config, "registry", "jobs"));
    assert_int_equal(config.timeout_ms, 250);
    assert_int_equal(config.port, 9100);
    assert_string_equal(config.registry, "jobs");

    char long_name[EXTATUS_CONFIG_NAME_MAX + 1];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_extatus(EXTATUS_ERR_OPTION, extatus_config_set(&config, "registry", long_name));
    long_name[EXTATUS_CONFIG_NAME_MAX - 1] = '\0';
    assert_ok(extatus_config_set(&config, "registry", long_name));

    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_set(NULL, "port", "1"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_set(&config, NULL, "1"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_set(&config, "port", NULL));
    config.version = 99;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_set(&config, "port", "1"));
}

static void test_env(void **state)
{
    extatus_config config = EXTATUS_CONFIG_INIT;
    (void)state;

    unsetenv("EXTATUS_TIMEOUT");
    unsetenv("EXTATUS_PORT");
    unsetenv("EXTATUS_REGISTRY");
    assert_ok(extatus_config_from_env(&config));
    assert_int_equal(config.port, 4000);

    setenv("EXTATUS_TIMEOUT", "5000", 1);
    setenv("EXTATUS_PORT", "1337", 1);
    setenv("EXTATUS_REGISTRY", "test", 1);
    assert_ok(extatus_config_from_env(&config));
    assert_int_equal(config.timeout_ms, 5000);
    assert_int_equal(config.port, 1337);
    assert_string_equal(config.registry, "test");

    /* An empty variable is unset. */
    setenv("EXTATUS_PORT", "", 1);
    assert_ok(extatus_config_from_env(&config));
    assert_int_equal(config.port, 1337);

    setenv("EXTATUS_PORT", "70000", 1);
    assert_extatus(EXTATUS_ERR_OPTION, extatus_config_from_env(&config));
    assert_non_null(strstr(extatus_error_last(), "EXTATUS_PORT='70000'"));
    assert_int_equal(config.port, 1337);

    setenv("EXTATUS_PORT", "80", 1);
    setenv("EXTATUS_TIMEOUT", "soon", 1);
    assert_extatus(EXTATUS_ERR_OPTION, extatus_config_from_env(&config));
    assert_non_null(strstr(extatus_error_last(), "EXTATUS_TIMEOUT='soon'"));

    setenv("EXTATUS_TIMEOUT", "10", 1);
    setenv("EXTATUS_REGISTRY", "no-dashes", 1);
    assert_extatus(EXTATUS_ERR_OPTION, extatus_config_from_env(&config));
    assert_non_null(strstr(extatus_error_last(), "EXTATUS_REGISTRY='no-dashes'"));

    unsetenv("EXTATUS_TIMEOUT");
    unsetenv("EXTATUS_PORT");
    unsetenv("EXTATUS_REGISTRY");
}

/* One setting from the environment: the others are not read, even when bad. */
static void test_env_setting(void **state)
{
    extatus_config config = EXTATUS_CONFIG_INIT;
    bool found = true;
    (void)state;
    unsetenv("EXTATUS_PORT");
    setenv("EXTATUS_TIMEOUT", "soon", 1); /* bad, but not asked for */
    assert_ok(extatus_config_from_env_setting(&config, "port", &found));
    assert_false(found);
    assert_int_equal(config.port, 4000);

    setenv("EXTATUS_PORT", "9100", 1);
    assert_ok(extatus_config_from_env_setting(&config, "port", &found));
    assert_true(found);
    assert_int_equal(config.port, 9100);
    assert_int_equal(config.timeout_ms, EXTATUS_DEFAULT_TIMEOUT_MS);

    setenv("EXTATUS_PORT", "", 1); /* empty counts as unset */
    assert_ok(extatus_config_from_env_setting(&config, "port", NULL));
    assert_int_equal(config.port, 9100);

    assert_extatus(EXTATUS_ERR_OPTION, extatus_config_from_env_setting(&config, "timeout", &found));
    assert_true(found);
    assert_non_null(strstr(extatus_error_last(), "EXTATUS_TIMEOUT='soon'"));
    assert_int_equal(config.timeout_ms, EXTATUS_DEFAULT_TIMEOUT_MS);

    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_from_env_setting(&config, "colour", NULL));
    assert_non_null(strstr(extatus_error_last(), "'colour'"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_from_env_setting(&config, NULL, NULL));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_from_env_setting(NULL, "port", NULL));
    unsetenv("EXTATUS_TIMEOUT");
    unsetenv("EXTATUS_PORT");
}

static void test_args(void **state)
{
    extatus_config config = EXTATUS_CONFIG_INIT;
    char a0[] = "prog", a1[] = "--port=9100", a2[] = "input.txt", a3[] = "--timeout", a4[] = "250",
         a5[] = "-v", a6[] = "--registry=jobs", a7[] = "--portal=1", a8[] = "--", a9[] = "--port=1";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, NULL};
    int argc = 10;
    (void)state;

    assert_ok(extatus_config_from_args(&config, &argc, argv));
    assert_int_equal(config.port, 9100);
    assert_int_equal(config.timeout_ms, 250);
    assert_string_equal(config.registry, "jobs");
    /* Our flags are gone; the rest keep their order; "--" stops parsing. */
    assert_int_equal(argc, 6);
    assert_string_equal(argv[0], "prog");
    assert_string_equal(argv[1], "input.txt");
    assert_string_equal(argv[2], "-v");
    assert_string_equal(argv[3], "--portal=1");
    assert_string_equal(argv[4], "--");
    assert_string_equal(argv[5], "--port=1");
    assert_null(argv[6]);
}

static void test_args_bad(void **state)
{
    extatus_config config = EXTATUS_CONFIG_INIT;
    char a0[] = "prog", a1[] = "--timeout=20", a2[] = "--port=abc";
    char *argv[] = {a0, a1, a2, NULL};
    char b1[] = "--registry";
    char *argv2[] = {a0, b1, NULL};
    int argc = 3;
    (void)state;

    assert_extatus(EXTATUS_ERR_OPTION, extatus_config_from_args(&config, &argc, argv));
    assert_non_null(strstr(extatus_error_last(), "--port='abc'"));
    /* Nothing applied, nothing removed. */
    assert_int_equal(config.timeout_ms, 1000);
    assert_int_equal(argc, 3);
    assert_string_equal(argv[1], "--timeout=20");

    argc = 2;
    assert_extatus(EXTATUS_ERR_OPTION, extatus_config_from_args(&config, &argc, argv2));
    assert_non_null(strstr(extatus_error_last(), "--registry"));

    argc = 1;
    assert_ok(extatus_config_from_args(&config, &argc, argv));
    assert_int_equal(argc, 1);
    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_from_args(&config, NULL, argv));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_from_args(NULL, &argc, argv));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_table), cmocka_unit_test(test_set_values),
        cmocka_unit_test(test_env),       cmocka_unit_test(test_args),
        cmocka_unit_test(test_args_bad),  cmocka_unit_test(test_env_setting),
    };
    return cmocka_run_group_tests_name("http/config", tests, NULL, NULL);
}
