/*
 * alloc_fail_test.c - every set-up call with its 1st, 2nd, ... Nth
 * allocation failing in turn, until the call succeeds. Each failure must
 * return an error with a message, leave the library usable (the same call
 * then succeeds) and leak nothing (live allocations back to zero after
 * extatus_shutdown; LeakSanitizer checks the same in the ASan build).
 */
#include "test_support.h"

#include <stdio.h>
#include <string.h>

#include "extatus/report.h"
#include "extatus/sys/entry.h"

/* One scenario: optional preparation (no failures), then the call under test. */
typedef struct scenario {
    const char *name;
    int (*prepare)(void);
    int (*call)(void);
} scenario;

static extatus_family *labelled;

static int prepare_nothing(void)
{
    return EXTATUS_OK;
}

static int prepare_labelled_family(void)
{
    const char *labels[] = {"method", "code"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 2),
                                EXTATUS_OPT_STRING("help", "Requests.")};
    return extatus_family_new(&labelled, NULL, "requests_total", "counter", options, 2);
}

static int call_init(void)
{
    return extatus_init();
}

static int call_registry_new(void)
{
    extatus_registry *registry;
    return extatus_registry_new(&registry, "secondary", NULL);
}

static int call_counter_family(void)
{
    return prepare_labelled_family();
}

static int call_series(void)
{
    const char *values[] = {"GET", "200"};
    extatus_series *series;
    return extatus_family_series(&series, labelled, extatus_labels_of(values, 2));
}

static int call_many_series(void)
{
    /* Enough to grow the series table and take a second block of cells. */
    for (int i = 0; i < 700; i++) {
        char code[16];
        snprintf(code, sizeof(code), "%d", i);
        const char *values[] = {"GET", code};
        extatus_counter *counter;
        int rc = extatus_counter_get(&counter, labelled, extatus_labels_of(values, 2));
        if (rc != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

static int call_histogram(void)
{
    const char *labels[] = {"route"};
    const double bounds[] = {0.1, 0.5, 1, 5};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1),
                                EXTATUS_OPT_DOUBLES("buckets", bounds, 4)};
    extatus_family *family;
    extatus_histogram *histogram;
    const char *values[] = {"/"};
    int rc = extatus_family_new(&family, NULL, "latency_seconds", "histogram", options, 2);
    return rc ? rc : extatus_histogram_get(&histogram, family, extatus_labels_of(values, 1));
}

static int call_summary(void)
{
    const double quantiles[] = {0.5, 0.9, 0.99};
    extatus_summary *summary;
    return extatus_summary_new(&summary, NULL, "size_bytes", "Sizes.", quantiles, 3);
}

static int call_spiral(void)
{
    extatus_spiral *spiral;
    return extatus_spiral_new(&spiral, NULL, "logins", "Logins.");
}

static int constant(double *value, const char *const *labels, void *user)
{
    (void)labels;
    (void)user;
    *value = 1;
    return 0;
}

static int call_function(void)
{
    return extatus_function_gauge_new(NULL, "answer", "The answer.", constant, NULL);
}

static int call_type_register(void)
{
    extatus_entry_ops ops = EXTATUS_ENTRY_OPS_INIT;
    int rc = extatus_type_lookup("gauge", &ops);
    return rc ? rc : extatus_type_register("my_gauge", &ops, NULL);
}

static int call_setopts_family(void)
{
    /* Family-wide options are stored for later series: an allocation. */
    const char *labels[] = {"k"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1),
                                EXTATUS_OPT_NUMBER("time_span", 1000)};
    extatus_option change[] = {EXTATUS_OPT_NUMBER("time_span", 2000)};
    int rc = extatus_new(NULL, "spiral_opts", "spiral", options, 2);
    return rc ? rc : extatus_setopts(NULL, "spiral_opts", EXTATUS_ALL_SERIES, change, 1);
}

static int call_expose_both(void)
{
    int rc = call_histogram();
    if (rc == EXTATUS_OK) {
        extatus_counter *counter;
        const char *values[] = {"GET", "200"};
        rc = extatus_counter_get(&counter, labelled, extatus_labels_of(values, 2));
    }
    for (int format = 0; rc == EXTATUS_OK && format < 2; format++) {
        extatus_buf text = EXTATUS_BUF_INIT;
        extatus_expose_options options = EXTATUS_EXPOSE_OPTIONS_INIT;
        options.format = (extatus_format)format;
        rc = extatus_expose(&text, NULL, 0, &options);
        extatus_buf_dispose(&text);
    }
    return rc;
}

static int deliver_nothing(const extatus_report_item *items, size_t count, void *user_data)
{
    (void)items;
    (void)count;
    (void)user_data;
    return 0;
}

static int call_reporter_and_subscription(void)
{
    extatus_option options[] = {EXTATUS_OPT_FUNCTION("function", deliver_nothing)};
    int rc = extatus_reporter_add("sink", extatus_reporter_callback(), options, 1);
    if (rc != EXTATUS_OK && rc != EXTATUS_ERR_EXISTS)
        return rc;
    extatus_subscription subscription = EXTATUS_SUBSCRIPTION_INIT;
    subscription.metric = "requests_total";
    subscription.interval_ms = 60000;
    rc = extatus_subscribe("sink", &subscription);
    return rc == EXTATUS_ERR_EXISTS ? EXTATUS_OK : rc;
}

static const scenario scenarios[] = {
    {"init", prepare_nothing, call_init},
    {"registry_new", prepare_nothing, call_registry_new},
    {"counter family", prepare_nothing, call_counter_family},
    {"series", prepare_labelled_family, call_series},
    {"700 series", prepare_labelled_family, call_many_series},
    {"histogram", prepare_nothing, call_histogram},
    {"summary", prepare_nothing, call_summary},
    {"spiral", prepare_nothing, call_spiral},
    {"function", prepare_nothing, call_function},
    {"type_register", prepare_nothing, call_type_register},
    {"setopts", prepare_nothing, call_setopts_family},
    {"expose", prepare_labelled_family, call_expose_both},
    {"subscription", prepare_labelled_family, call_reporter_and_subscription},
};

/* Fresh library with the counting allocator, prepared without failures. */
static void start(const scenario *s)
{
    extatus_shutdown();
    test_alloc_install();
    if (s->prepare != prepare_nothing) {
        assert_ok(extatus_init());
        assert_ok(s->prepare());
    }
}

static void finish(void)
{
    extatus_shutdown();
    if (test_alloc_live() != 0)
        fail_msg("%ld allocations leaked", test_alloc_live());
}

static void test_every_allocation_fails_once(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        const scenario *s = &scenarios[i];
        unsigned long failures = 0;
        for (unsigned long nth = 1;; nth++) {
            start(s);
            extatus_error_clear();
            test_alloc_fail_at(nth);
            int rc = s->call();
            test_alloc_fail_at(0);
            if (rc == EXTATUS_OK) {
                finish();
                break;
            }
            failures++;
            if (rc != EXTATUS_ERR_NOMEM)
                fail_msg("%s, allocation %lu failing: code %d (%s) instead of NOMEM: %s", s->name,
                         nth, rc, extatus_strerror(rc), extatus_error_last());
            if (extatus_error_last()[0] == '\0')
                fail_msg("%s, allocation %lu failing: no error message", s->name, nth);
            /* Usable: the same call succeeds now (or the object already exists). */
            rc = s->call();
            if (rc != EXTATUS_OK && rc != EXTATUS_ERR_EXISTS)
                fail_msg("%s: after a failed allocation %lu the retry failed: %s", s->name, nth,
                         extatus_error_last());
            finish();
            if (nth > 100000)
                fail_msg("%s never succeeds", s->name);
        }
        print_message("%-16s %lu allocation failures survived\n", s->name, failures);
        assert_true(failures > 0 || strcmp(s->name, "init") != 0);
    }
    extatus_set_allocator(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_fails_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
