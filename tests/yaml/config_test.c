/*
 * config_test.c - extatus_config_load (src/yaml/config.c): a file with
 * every section applied, and each kind of mistake refused with a message
 * that names the file and line.
 */
#include "test_support.h"

#include <stdio.h>
#include <string.h>

#include "extatus/yaml.h"

static int setup(void **state)
{
    (void)state;
    if (extatus_process_collector_set_default(0) != EXTATUS_OK)
        return -1;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

static const char *data(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s", EXTATUS_YAML_TEST_DIR, name);
    return path;
}

static void test_good_file(void **state)
{
    (void)state;
    assert_ok(extatus_config_load(data("good.yaml")));
    /* The cpu probe, with its option. */
    extatus_probe_stats stats;
    assert_ok(extatus_probe_get_stats(NULL, "node_load", EXTATUS_NO_LABELS, &stats));
    assert_int_equal(stats.interval_ms, 0);
    /* The default applied to a metric created from the same file. */
    const extatus_datapoint *points;
    size_t count;
    assert_ok(extatus_get_datapoints(NULL, "db_query_seconds", EXTATUS_NO_LABELS, &points, &count));
    assert_true(points[0].bound == 0.01 && points[2].bound == 1);
    extatus_buf text = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&text, NULL, 0, NULL));
    assert_non_null(strstr(text.ptr, "# HELP db_query_seconds Database time.\n"));
    assert_non_null(strstr(text.ptr, "# HELP node_load Load average.\n"));
    extatus_buf_dispose(&text);
    /* A registry created for it, and a labelled family. */
    extatus_registry *batch = NULL;
    extatus_family *jobs = NULL;
    assert_ok(extatus_registry_lookup(&batch, "batch"));
    assert_ok(extatus_family_lookup(&jobs, batch, "jobs_total"));
    assert_int_equal(extatus_family_label_count(jobs), 1);
    /* The reporter and its three subscriptions (one waits for its metric). */
    extatus_reporter_status status;
    assert_ok(extatus_reporter_get_status("lines", &status));
    assert_int_equal(status.subscriptions, 3);
    assert_int_equal(status.running, 1);
    extatus_subscription quoted = EXTATUS_SUBSCRIPTION_INIT;
    const char *seven[] = {"7"}; /* quoted in the file: a string, not a number */
    quoted.registry = "batch";
    quoted.metric = "jobs_total";
    quoted.label_values = seven;
    quoted.label_count = 1;
    assert_ok(extatus_unsubscribe("lines", &quoted));
}

static void expect_error(const char *file, int code, const char *line, const char *words)
{
    assert_extatus(code, extatus_config_load(data(file)));
    const char *message = extatus_error_last();
    print_message("%s\n", message);
    char where[1100];
    snprintf(where, sizeof(where), "%s:%s: ", data(file), line);
    assert_true(strncmp(message, where, strlen(where)) == 0);
    assert_non_null(strstr(message, words));
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    expect_error("bad_name.yaml", EXTATUS_ERR_NAME, "4", "bad name");
    /* What came before the mistake stays applied. */
    extatus_family *family = NULL;
    assert_ok(extatus_family_lookup(&family, NULL, "fine"));
    expect_error("unknown_key.yaml", EXTATUS_ERR_INVALID, "4", "colour");
    expect_error("not_yaml.yaml", EXTATUS_ERR_INVALID, "4", "not valid YAML");
    expect_error("callback.yaml", EXTATUS_ERR_INVALID, "2", "callback");
    expect_error("no_reporter.yaml", EXTATUS_ERR_NOT_FOUND, "2", "nobody");
    expect_error("bad_option.yaml", EXTATUS_ERR_OPTION, "2", "max_age");
    expect_error("list.yaml", EXTATUS_ERR_INVALID, "1", "must be a mapping");
    assert_extatus(EXTATUS_ERR_SYSTEM, extatus_config_load(data("missing.yaml")));
    assert_non_null(strstr(extatus_error_last(), "missing.yaml: cannot open"));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_config_load(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_name_the_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
