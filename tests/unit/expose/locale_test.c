/*
 * locale_test.c - the exposition does not depend on the C locale.
 *
 * A host program may call setlocale(LC_ALL, "") in a comma-decimal locale;
 * printf would then write "0,5". The test switches the whole process to
 * de_DE.UTF-8 (generated with localedef into a private directory named by
 * LOCPATH when the system lacks it) and checks that numbers, bounds and a
 * whole exposition come out with a '.'. If no comma locale can be set up
 * the test fails: it is never skipped.
 */
#include "test_support.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/format.h"
#include "fake_entry.h"

static const char *const comma_locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                            "fr_FR.utf8"};

static char locale_error[3 * PATH_MAX];

static bool set_comma_locale(void)
{
    for (size_t i = 0; i < sizeof(comma_locales) / sizeof(comma_locales[0]); i++) {
        if (setlocale(LC_ALL, comma_locales[i]) && strcmp(localeconv()->decimal_point, ",") == 0)
            return true;
    }
    setlocale(LC_ALL, "C");
    return false;
}

/* Build de_DE.UTF-8 under ./expose-locale and point LOCPATH at it. */
static bool generate_comma_locale(void)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd))) {
        snprintf(locale_error, sizeof(locale_error), "getcwd: %s", strerror(errno));
        return false;
    }
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof(dir), "%s/expose-locale", cwd);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(locale_error, sizeof(locale_error), "mkdir %s: %s", dir, strerror(errno));
        return false;
    }
    char target[PATH_MAX + 64];
    snprintf(target, sizeof(target), "%s/de_DE.UTF-8", dir);
    struct stat info;
    if (stat(target, &info) != 0) {
        char command[3 * PATH_MAX];
        snprintf(command, sizeof(command), "localedef -i de_DE -f UTF-8 '%s' 2>&1", target);
        /* localedef may warn and exit non-zero yet write a usable locale. */
        int status = system(command);
        if (stat(target, &info) != 0) {
            snprintf(locale_error, sizeof(locale_error),
                     "no comma-decimal locale installed and `localedef -i de_DE -f UTF-8` failed "
                     "(status %d); install the Debian package `locales`",
                     status);
            return false;
        }
    }
    setenv("LOCPATH", dir, 1);
    if (!set_comma_locale()) {
        snprintf(locale_error, sizeof(locale_error),
                 "generated %s but setlocale(LC_ALL, \"de_DE.UTF-8\") still fails", target);
        return false;
    }
    return true;
}

static int setup(void **state)
{
    (void)state;
    return fake_register() == EXTATUS_OK ? 0 : -1;
}

/* Every test runs with the comma locale in force; failing to get one fails it. */
static void enter_comma_locale(void)
{
    if (!set_comma_locale() && !generate_comma_locale())
        fail_msg("cannot run under a comma-decimal locale: %s", locale_error);
    /* The locale really is in force: printf now writes a comma. */
    char probe[16];
    snprintf(probe, sizeof(probe), "%.2f", 0.25);
    assert_string_equal(probe, "0,25");
}

static void test_numbers_under_comma_locale(void **state)
{
    (void)state;
    enter_comma_locale();
    static const struct {
        double value;
        const char *text;
        const char *openmetrics;
    } cases[] = {
        {0.5, "0.5", "0.5"},
        {-2.25, "-2.25", "-2.25"},
        {1.0 / 3.0, "0.3333333333333333", "0.3333333333333333"},
        {1234567.5, "1.2345675e+06", "1.2345675e+06"},
        {1e-05, "1e-05", "1e-05"},
        {3.0, "3", "3.0"},
        {0x1p-1017, "7.120236347223045e-307", "7.120236347223045e-307"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[EXTATUS__NUMBER_MAX + 1];
        *extatus__format_double(text, cases[i].value, false) = '\0';
        assert_string_equal(text, cases[i].text);
        *extatus__format_double(text, cases[i].value, true) = '\0';
        assert_string_equal(text, cases[i].openmetrics);
    }
    char text[EXTATUS__NUMBER_MAX + 1];
    *extatus__format_bound(text, 0.005) = '\0';
    assert_string_equal(text, "0.005");
    setlocale(LC_ALL, "C");
}

static char *render(extatus_registry *registry, extatus_format format)
{
    extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
    options.format = format;
    extatus_buf buf = EXTATUS_BUF_INIT;
    assert_ok(extatus_expose(&buf, &registry, 1, &options));
    char *text = strdup(buf.ptr);
    extatus_buf_dispose(&buf);
    return text;
}

static void test_exposition_under_comma_locale(void **state)
{
    (void)state;
    extatus_registry *registry = NULL;
    assert_ok(extatus_registry_new(&registry, "locale", NULL));
    extatus_option histogram_options[] = {
        EXTATUS_OPT_STRING("help", "Latency."),
    };
    static const extatus_value histogram_values[] = {
        FAKE_INT(1), FAKE_INT(2),         FAKE_INT(3), FAKE_INT(4),
        FAKE_INT(5), FAKE_DOUBLE(2.0625), FAKE_INT(5), FAKE_DOUBLE(1700000000.5),
    };
    extatus_family *latency = NULL;
    assert_ok(extatus_family_new(&latency, registry, "latency_seconds", "fake_histogram",
                                 histogram_options, 1));
    assert_ok(fake_set(latency, EXTATUS_NO_LABELS, histogram_values, 0));
    extatus_gauge *gauge = NULL;
    assert_ok(extatus_gauge_new(&gauge, registry, "ratio", "A ratio."));
    extatus_gauge_set(gauge, 0.75);

    static const char expected_text[] = "# HELP latency_seconds Latency.\n"
                                        "# TYPE latency_seconds histogram\n"
                                        "latency_seconds_bucket{le=\"0.005\"} 1\n"
                                        "latency_seconds_bucket{le=\"0.5\"} 2\n"
                                        "latency_seconds_bucket{le=\"1.0\"} 3\n"
                                        "latency_seconds_bucket{le=\"10.0\"} 4\n"
                                        "latency_seconds_bucket{le=\"+Inf\"} 5\n"
                                        "latency_seconds_sum 2.0625\n"
                                        "latency_seconds_count 5\n"
                                        "# HELP ratio A ratio.\n"
                                        "# TYPE ratio gauge\n"
                                        "ratio 0.75\n";
    static const char expected_openmetrics[] = "# TYPE latency_seconds histogram\n"
                                               "# HELP latency_seconds Latency.\n"
                                               "latency_seconds_bucket{le=\"0.005\"} 1\n"
                                               "latency_seconds_bucket{le=\"0.5\"} 2\n"
                                               "latency_seconds_bucket{le=\"1.0\"} 3\n"
                                               "latency_seconds_bucket{le=\"10.0\"} 4\n"
                                               "latency_seconds_bucket{le=\"+Inf\"} 5\n"
                                               "latency_seconds_sum 2.0625\n"
                                               "latency_seconds_count 5\n"
                                               "latency_seconds_created 1.7000000005e+09\n"
                                               "# TYPE ratio gauge\n"
                                               "# HELP ratio A ratio.\n"
                                               "ratio 0.75\n"
                                               "# EOF\n";

    enter_comma_locale();
    char *text = render(registry, EXTATUS_FORMAT_TEXT);
    char *openmetrics = render(registry, EXTATUS_FORMAT_OPENMETRICS);
    setlocale(LC_ALL, "C");
    assert_string_equal(text, expected_text);
    assert_string_equal(openmetrics, expected_openmetrics);
    free(text);
    free(openmetrics);
    extatus_registry_free(registry);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers_under_comma_locale),
        cmocka_unit_test(test_exposition_under_comma_locale),
    };
    int failed = cmocka_run_group_tests_name("expose/locale", tests, setup, NULL);
    extatus_shutdown();
    return failed;
}
