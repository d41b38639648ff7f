/*
 * process_test.c - the process collector and the cpu probe
 * (src/probe/process.c, src/probe/cpu.c), each value checked against
 * /proc read independently here.
 */
#include "test_support.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static extatus_registry *registry;

static int setup(void **state)
{
    (void)state;
    if (extatus_process_collector_set_default(0) != EXTATUS_OK)
        return -1;
    registry = NULL;
    return extatus_init();
}

static int teardown(void **state)
{
    (void)state;
    extatus_shutdown();
    return 0;
}

/* ---- independent readings ------------------------------------------------ */

static char *slurp(const char *path)
{
    FILE *file = fopen(path, "r");
    assert_non_null(file);
    static char buf[32768];
    size_t n = fread(buf, 1, sizeof(buf) - 1, file);
    fclose(file);
    buf[n] = '\0';
    return buf;
}

/* Field `index` (1-based, proc(5)) of /proc/self/stat. */
static double stat_field(int index)
{
    char *text = slurp("/proc/self/stat");
    char *p = strrchr(text, ')') + 2; /* field 3 starts here */
    for (int i = 3; i < index; i++)
        p = strchr(p, ' ') + 1;
    return strtod(p, NULL);
}

static double status_threads(void)
{
    char *line = strstr(slurp("/proc/self/status"), "\nThreads:");
    assert_non_null(line);
    return strtod(line + 9, NULL);
}

/* The soft limit of a /proc/self/limits row, 2^64-1 for "unlimited". */
static double limits_soft(const char *row)
{
    char *line = strstr(slurp("/proc/self/limits"), row);
    assert_non_null(line);
    char *p = line + 26; /* the Soft Limit column */
    while (*p == ' ')
        p++;
    return strncmp(p, "unlimited", 9) == 0 ? 18446744073709551615.0 : strtod(p, NULL);
}

static double count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    assert_non_null(dir);
    int own = dirfd(dir), count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL)
        if (entry->d_name[0] != '.' && atoi(entry->d_name) != own)
            count++;
    closedir(dir);
    return count;
}

static double value_of(const char *name)
{
    assert_ok(extatus_sample(registry, name, EXTATUS_NO_LABELS));
    extatus_value value;
    const char *wanted[] = {"value"};
    assert_ok(extatus_get_value(registry, name, EXTATUS_NO_LABELS, wanted, 1, &value));
    assert_int_equal(value.kind, EXTATUS_VALUE_DOUBLE);
    return value.number;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_values_match_proc(void **state)
{
    (void)state;
    extatus_option manual[] = {EXTATUS_OPT_NUMBER("sample_interval", 0)};
    assert_ok(extatus_registry_new(&registry, "proc_test", NULL));
    assert_ok(extatus_process_collector_register(registry, manual, 1));
    assert_int_equal(extatus_registry_family_count(registry), 8);
    double ticks = (double)sysconf(_SC_CLK_TCK), page = (double)sysconf(_SC_PAGESIZE);

    /* Burn a little CPU so the counter is not 0. */
    volatile double sink = 0;
    for (int i = 0; i < 20000000; i++)
        sink += i * 0.5;
    double before = (stat_field(14) + stat_field(15)) / ticks;
    double cpu = value_of("process_cpu_seconds_total");
    double after = (stat_field(14) + stat_field(15)) / ticks;
    print_message("cpu %.2f s (proc %.2f..%.2f)\n", cpu, before, after);
    assert_true(cpu > 0 && cpu >= before && cpu <= after);

    double rss = value_of("process_resident_memory_bytes");
    double proc_rss = stat_field(24) * page;
    assert_true(fabs(rss - proc_rss) <= 1024 * 1024);
    double vsize = value_of("process_virtual_memory_bytes");
    assert_true(fabs(vsize - stat_field(23)) <= 4 * 1024 * 1024);
    assert_true(rss > 0 && vsize >= rss);

    assert_true(value_of("process_threads") == status_threads());
    assert_true(value_of("process_open_fds") == count_fds());
    assert_true(value_of("process_max_fds") == limits_soft("Max open files"));
    assert_true(value_of("process_virtual_memory_max_bytes") == limits_soft("Max address space"));

    double btime = strtod(strstr(slurp("/proc/stat"), "\nbtime ") + 7, NULL);
    double start = btime + stat_field(22) / ticks;
    double reported = value_of("process_start_time_seconds");
    assert_true(fabs(reported - start) < 1e-6);
    assert_true(value_of("process_start_time_seconds") == reported); /* computed once */
    /* btime is whole seconds, so the start may read up to 1 s after the real one. */
    assert_true(reported <= (double)time(NULL) + 1.5 &&
                reported > (double)time(NULL) - 86400 * 365);

    /* A new descriptor is seen at the next sample. */
    FILE *extra = fopen("/proc/self/stat", "r");
    assert_non_null(extra);
    assert_true(value_of("process_open_fds") == count_fds());
    fclose(extra);

    /* Exposed with the types Prometheus users know. */
    extatus_buf text = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&text, &registry, 1, NULL));
    assert_non_null(strstr(text.ptr, "# TYPE process_cpu_seconds_total counter\n"));
    assert_non_null(strstr(text.ptr, "# TYPE process_resident_memory_bytes gauge\n"));
    assert_non_null(strstr(text.ptr, "# TYPE process_start_time_seconds gauge\n"));
    assert_non_null(strstr(text.ptr, "\nprocess_threads "));
    extatus_buf_dispose(&text);

    /* Registering again changes nothing. */
    assert_ok(extatus_process_collector_register(registry, manual, 1));
    assert_int_equal(extatus_registry_family_count(registry), 8);
    extatus_registry_free(registry);
}

/* The collector's own types check their option. */
static void test_process_types_checked(void **state)
{
    (void)state;
    extatus_option unknown[] = {EXTATUS_OPT_STRING("field", "colour")};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "process_x", "process_gauge", unknown, 1));
    assert_non_null(strstr(extatus_error_last(), "colour"));
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "process_y", "process_gauge", NULL, 0));
    extatus_option cpu[] = {EXTATUS_OPT_STRING("field", "cpu_seconds_total")};
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_new(NULL, "process_z_total", "process_gauge", cpu, 1));
    extatus_option extra[] = {EXTATUS_OPT_STRING("field", "threads"),
                              EXTATUS_OPT_NUMBER("size", 1)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "process_w", "process_gauge", extra, 2));
    assert_non_null(strstr(extatus_error_last(), "size"));
    extatus_option bad[] = {EXTATUS_OPT_NUMBER("sample_interval", -1)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_process_collector_register(NULL, bad, 1));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_process_collector_register(NULL, NULL, 1));
    assert_int_equal(extatus_registry_family_count(NULL), 0);
}

/* On by default in the default registry; switchable before initialisation. */
static void test_default_registry(void **state)
{
    (void)state;
    assert_extatus(EXTATUS_ERR_STATE, extatus_process_collector_set_default(1));
    extatus_family *family = NULL;
    assert_extatus(EXTATUS_ERR_NOT_FOUND,
                   extatus_family_lookup(&family, NULL, "process_cpu_seconds_total"));
    extatus_shutdown();

    assert_ok(extatus_process_collector_set_default(1));
    assert_ok(extatus_init());
    extatus_buf text = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&text, NULL, 0, NULL));
    assert_non_null(strstr(text.ptr, "\nprocess_cpu_seconds_total "));
    assert_non_null(strstr(text.ptr, "\nprocess_open_fds "));
    assert_non_null(
        strstr(text.ptr, "extatus_probe_sample_errors_total{probe=\"process_threads\"} 0"));
    extatus_buf_dispose(&text);
    extatus_probe_stats stats;
    assert_ok(extatus_probe_get_stats(NULL, "process_threads", EXTATUS_NO_LABELS, &stats));
    assert_int_equal(stats.interval_ms, EXTATUS_PROBE_DEFAULT_INTERVAL_MS);
    extatus_shutdown();

    /* Left to the environment: EXTATUS_PROCESS_COLLECTOR=0 switches it off. */
    assert_ok(extatus_process_collector_set_default(-1));
    setenv("EXTATUS_PROCESS_COLLECTOR", "0", 1);
    assert_ok(extatus_init());
    assert_int_equal(extatus_registry_family_count(NULL), 0);
    extatus_shutdown();
    setenv("EXTATUS_PROCESS_COLLECTOR", "1", 1);
    assert_ok(extatus_init());
    assert_ok(extatus_family_lookup(&family, NULL, "process_max_fds"));
    extatus_shutdown();
    unsetenv("EXTATUS_PROCESS_COLLECTOR");
    assert_ok(extatus_process_collector_set_default(0));
    assert_ok(extatus_init());
}

/* exometer's cpu probe, against /proc/loadavg. */
static void test_cpu_probe(void **state)
{
    (void)state;
    extatus_option manual[] = {EXTATUS_OPT_NUMBER("sample_interval", 0)};
    assert_ok(extatus_new(NULL, "node_load", "cpu", manual, 1));
    /* Not sampled yet: no value, and no made-up 0 in the exposition. */
    extatus_value values[5];
    const char *points[] = {"avg1", "avg5", "avg15", "nprocs", "ncpus"};
    assert_extatus(EXTATUS_ERR_SYSTEM,
                   extatus_get_value(NULL, "node_load", EXTATUS_NO_LABELS, points, 5, values));
    extatus_buf text = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&text, NULL, 0, NULL));
    assert_non_null(strstr(text.ptr, "# TYPE node_load gauge\n"));
    assert_null(strstr(text.ptr, "\nnode_load "));
    extatus_buf_dispose(&text);

    double before[3], after[3];
    unsigned long running, total;
    sscanf(slurp("/proc/loadavg"), "%lf %lf %lf", &before[0], &before[1], &before[2]);
    assert_ok(extatus_sample(NULL, "node_load", EXTATUS_NO_LABELS));
    sscanf(slurp("/proc/loadavg"), "%lf %lf %lf %lu/%lu", &after[0], &after[1], &after[2], &running,
           &total);
    assert_ok(extatus_get_value(NULL, "node_load", EXTATUS_NO_LABELS, points, 5, values));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(values[i].kind, EXTATUS_VALUE_DOUBLE);
        assert_true(values[i].number == before[i] || values[i].number == after[i]);
    }
    assert_int_equal(values[3].kind, EXTATUS_VALUE_INT);
    assert_true(labs((long)values[3].integer - (long)total) <= (long)total / 5 + 5);
    assert_int_equal(values[4].integer, sysconf(_SC_NPROCESSORS_ONLN));
    text = (extatus_buf)EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&text, NULL, 0, NULL));
    assert_non_null(strstr(text.ptr, "\nnode_load "));
    extatus_buf_dispose(&text);
    extatus_option option[] = {EXTATUS_OPT_NUMBER("scale", 256)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "node_load2", "cpu", option, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_values_match_proc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_process_types_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpu_probe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
