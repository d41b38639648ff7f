/*
 * entry_test.c - the plug-in interface: registering a user type, the type
 * map, contracts the library keeps for entries (src/core/types.c).
 */
#include "test_support.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <string.h>

#include "extatus/sys/entry.h"

/* A user type: a gauge that keeps the highest value seen since reset. */
typedef struct peak {
    _Atomic double highest;
    _Atomic long updates;
} peak;

static const extatus_datapoint peak_datapoints[] = {
    {"value", EXTATUS_SAMPLE_VALUE, 0},
    {"updates", EXTATUS_SAMPLE_NONE, 0},
};

static int created, destroyed;
static const char *last_type_seen;
static void *last_type_data_seen;

static int peak_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                       size_t count)
{
    for (size_t i = 0; i < count; i++)
        return extatus_entry_error(EXTATUS_ERR_OPTION, "peak takes no option '%s'", options[i].key);
    peak *state = calloc(1, sizeof(*state));
    if (!state)
        return EXTATUS_ERR_NOMEM;
    atomic_init(&state->highest, -INFINITY);
    last_type_seen = ctx->type;
    last_type_data_seen = ctx->type_data;
    created++;
    *ref = state;
    return EXTATUS_OK;
}

static void peak_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    (void)ctx;
    destroyed++;
    free(ref);
}

static int peak_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                          size_t count, extatus_value *values)
{
    peak *state = ref;
    (void)ctx;
    for (size_t i = 0; i < count; i++) {
        const char *name = datapoints ? datapoints[i] : peak_datapoints[i].name;
        if (strcmp(name, "value") == 0)
            values[i] = (extatus_value){EXTATUS_VALUE_DOUBLE, 0, atomic_load(&state->highest)};
        else if (strcmp(name, "updates") == 0)
            values[i] = (extatus_value){EXTATUS_VALUE_INT, atomic_load(&state->updates), 0};
        else
            values[i] = (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0};
    }
    return EXTATUS_OK;
}

static int peak_update(void *ref, const extatus_entry_ctx *ctx, double value)
{
    peak *state = ref;
    if (isnan(value))
        return extatus_entry_error(EXTATUS_ERR_RANGE, "%s: NaN is not a peak", ctx->name);
    double seen = atomic_load(&state->highest);
    while (value > seen && !atomic_compare_exchange_weak(&state->highest, &seen, value)) {
    }
    atomic_fetch_add(&state->updates, 1);
    return EXTATUS_OK;
}

static int peak_reset(void *ref, const extatus_entry_ctx *ctx)
{
    peak *state = ref;
    (void)ctx;
    atomic_store(&state->highest, -INFINITY);
    atomic_store(&state->updates, 0);
    return EXTATUS_OK;
}

static int peak_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                               const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = peak_datapoints;
    *count = 2;
    return EXTATUS_OK;
}

static int peak_setopts(void *ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                        size_t count)
{
    (void)ref;
    (void)count;
    return extatus_entry_error(EXTATUS_ERR_OPTION, "%s: option '%s' cannot change", ctx->name,
                               options[0].key);
}

static extatus_entry_ops peak_ops(void)
{
    extatus_entry_ops ops;
    memset(&ops, 0, sizeof(ops));
    ops.version = EXTATUS_ENTRY_OPS_VERSION;
    ops.kind = EXTATUS_ENTRY_KIND_ENTRY;
    ops.metric_type = EXTATUS_METRIC_GAUGE;
    ops.create = peak_create;
    ops.destroy = peak_destroy;
    ops.get_value = peak_get_value;
    ops.update = peak_update;
    ops.reset = peak_reset;
    ops.get_datapoints = peak_get_datapoints;
    ops.setopts = peak_setopts;
    return ops;
}

static int setup(void **state)
{
    (void)state;
    created = destroyed = 0;
    /* These tests count the default registry's families: start it empty. */
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

static void test_builtins_are_in_the_type_map(void **state)
{
    static const char *const builtin[] = {
        "counter", "gauge", "function_gauge", "function_counter", "histogram", "summary", "spiral"};
    extatus_entry_ops ops = EXTATUS_ENTRY_OPS_INIT;
    (void)state;
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        if (extatus_type_lookup(builtin[i], &ops) != EXTATUS_OK)
            fail_msg("built-in type '%s' is not registered: %s", builtin[i], extatus_error_last());
        assert_int_equal(ops.version, EXTATUS_ENTRY_OPS_VERSION);
        assert_non_null(ops.create);
        assert_non_null(ops.get_value);
        assert_non_null(ops.get_datapoints);
    }
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_type_lookup("nonexistent", NULL));
}

static void test_register_validation(void **state)
{
    extatus_entry_ops ops = peak_ops();
    (void)state;
    assert_extatus(EXTATUS_ERR_EXISTS, extatus_type_register("counter", &ops, NULL));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_register("Peak", &ops, NULL));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_register("9peak", &ops, NULL));
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_register("peak", NULL, NULL));
    ops.get_datapoints = NULL;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_register("peak", &ops, NULL));
    assert_non_null(strstr(extatus_error_last(), "get_datapoints"));
    ops = peak_ops();
    ops.version = 99;
    assert_extatus(EXTATUS_ERR_INVALID, extatus_type_register("peak", &ops, NULL));
    assert_extatus(EXTATUS_ERR_NOT_FOUND, extatus_type_lookup("peak", NULL));
}

static void test_user_type_like_builtin(void **state)
{
    extatus_entry_ops ops = peak_ops();
    extatus_type_options type_options = EXTATUS_TYPE_OPTIONS_INIT;
    int marker;
    const char *labels[] = {"queue"};
    extatus_option options[] = {EXTATUS_OPT_STRINGS("labels", labels, 1)};
    extatus_family *family;
    extatus_value values[2];
    (void)state;
    type_options.type_data = &marker;
    assert_ok(extatus_type_register("peak", &ops, &type_options));
    /* The table was copied: changing ours changes nothing. */
    ops.create = NULL;
    assert_ok(extatus_family_new(&family, NULL, "queue_peak", "peak", options, 1));
    assert_int_equal(created, destroyed); /* the validation instance is gone */
    const char *inbox[] = {"inbox"};
    assert_ok(extatus_update(NULL, "queue_peak", extatus_labels_of(inbox, 1), 3));
    assert_ok(extatus_update(NULL, "queue_peak", extatus_labels_of(inbox, 1), 9));
    assert_ok(extatus_update(NULL, "queue_peak", extatus_labels_of(inbox, 1), 4));
    assert_string_equal(last_type_seen, "peak");
    assert_ptr_equal(last_type_data_seen, &marker);
    const char *wanted[] = {"value", "updates", "missing"};
    extatus_value three[3];
    assert_ok(extatus_get_value(NULL, "queue_peak", extatus_labels_of(inbox, 1), wanted, 3, three));
    assert_true(three[0].number == 9);
    assert_int_equal(three[1].integer, 3);
    assert_int_equal(three[2].kind, EXTATUS_VALUE_UNDEFINED);
    assert_ok(extatus_get_value(NULL, "queue_peak", extatus_labels_of(inbox, 1), NULL, 2, values));
    assert_true(values[0].number == 9);
    assert_extatus(EXTATUS_ERR_RANGE,
                   extatus_update(NULL, "queue_peak", extatus_labels_of(inbox, 1), NAN));
    assert_non_null(strstr(extatus_error_last(), "NaN"));
    extatus_option change[] = {EXTATUS_OPT_NUMBER("window", 5)};
    assert_extatus(EXTATUS_ERR_OPTION,
                   extatus_setopts(NULL, "queue_peak", extatus_labels_of(inbox, 1), change, 1));
    assert_non_null(strstr(extatus_error_last(), "window"));
    assert_ok(extatus_reset(NULL, "queue_peak", EXTATUS_ALL_SERIES));
    assert_ok(extatus_get_value(NULL, "queue_peak", extatus_labels_of(inbox, 1), wanted, 2, three));
    assert_int_equal(three[1].integer, 0);
    int live = created - destroyed;
    assert_int_equal(live, 1);
    assert_ok(extatus_delete(NULL, "queue_peak"));
    assert_int_equal(created, destroyed);
    assert_extatus(EXTATUS_ERR_NOT_FOUND,
                   extatus_update(NULL, "queue_peak", extatus_labels_of(inbox, 1), 1));
}

static void test_several_names_one_implementation(void **state)
{
    extatus_entry_ops ops = peak_ops();
    extatus_type_options as_unknown = EXTATUS_TYPE_OPTIONS_INIT;
    (void)state;
    as_unknown.metric_type = EXTATUS_METRIC_UNKNOWN;
    assert_ok(extatus_type_register("peak", &ops, NULL));
    assert_ok(extatus_type_register("high_water", &ops, &as_unknown));
    assert_ok(extatus_new(NULL, "a_peak", "peak", NULL, 0));
    assert_string_equal(last_type_seen, "peak");
    assert_ok(extatus_new(NULL, "a_high_water", "high_water", NULL, 0));
    assert_string_equal(last_type_seen, "high_water");
}

static void test_refusing_create_registers_nothing(void **state)
{
    extatus_entry_ops ops = peak_ops();
    (void)state;
    assert_ok(extatus_type_register("peak", &ops, NULL));
    extatus_option bad[] = {EXTATUS_OPT_NUMBER("window", 1)};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "refused", "peak", bad, 1));
    assert_non_null(strstr(extatus_error_last(), "window"));
    assert_int_equal(extatus_registry_family_count(NULL), 0);
}

/* An entry that refuses every series without saying why. */
static int silent_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                         size_t count)
{
    (void)ref;
    (void)ctx;
    (void)options;
    (void)count;
    return EXTATUS_ERR_OPTION;
}

/*
 * After a callback fails, the message is the callback's own when it gave
 * one, else the library's: never the text of an earlier failure that
 * happened to have the same code.
 */
static void test_callback_failure_message_is_never_stale(void **state)
{
    (void)state;
    extatus_entry_ops ops = peak_ops();
    assert_ok(extatus_type_register("peak", &ops, NULL));
    ops.create = silent_create;
    assert_ok(extatus_type_register("silent", &ops, NULL));

    const extatus_option bad[] = {EXTATUS_OPT_STRING("colour", "blue")};
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "earlier", "peak", bad, 1));
    assert_non_null(strstr(extatus_error_last(), "peak takes no option 'colour'"));

    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "quiet", "silent", NULL, 0));
    assert_null(strstr(extatus_error_last(), "colour"));
    assert_non_null(strstr(extatus_error_last(), "metric 'quiet'"));
    assert_non_null(strstr(extatus_error_last(), "'silent'"));

    /* A callback that gives its reason keeps it, whatever came before. */
    assert_extatus(EXTATUS_ERR_OPTION, extatus_new(NULL, "again", "peak", bad, 1));
    assert_non_null(strstr(extatus_error_last(), "peak takes no option 'colour'"));
}

/*
 * A caller built against an older header passes a table that ends after its
 * version's last method. Put a version-1 table at the very end of a page whose
 * next page is unreadable: registering must read nothing past the table, and
 * every method it has must come back from the type map.
 */
static void test_register_reads_only_the_callers_version(void **state)
{
    (void)state;
    const size_t v1_size =
        offsetof(extatus_entry_ops, setopts) + sizeof(((extatus_entry_ops *)0)->setopts);
    long page = sysconf(_SC_PAGESIZE);
    assert_true(page > 0 && (size_t)page > v1_size);
    unsigned char *pages =
        mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(pages != MAP_FAILED);
    assert_int_equal(mprotect(pages + page, (size_t)page, PROT_NONE), 0);

    extatus_entry_ops full = peak_ops();
    full.version = 1;
    unsigned char *table = pages + page - v1_size;
    memcpy(table, &full, v1_size);
    assert_int_equal(
        extatus_type_register("peak_v1", (const extatus_entry_ops *)(void *)table, NULL),
        EXTATUS_OK);

    extatus_entry_ops copied;
    memset(&copied, 0xa5, sizeof(copied));
    copied.version = 1;
    assert_int_equal(extatus_type_lookup("peak_v1", &copied), EXTATUS_OK);
    assert_ptr_equal(copied.create, peak_create);
    assert_ptr_equal(copied.get_value, peak_get_value);
    assert_ptr_equal(copied.setopts, peak_setopts);
    assert_int_equal(copied.kind, EXTATUS_ENTRY_KIND_ENTRY);

    /* And a lookup into a version-1 table at the end of a page writes
     * nothing past it; an unknown version is refused. */
    memset(table, 0, v1_size);
    ((extatus_entry_ops *)(void *)table)->version = 1;
    assert_int_equal(extatus_type_lookup("peak_v1", (extatus_entry_ops *)(void *)table),
                     EXTATUS_OK);
    assert_ptr_equal(((extatus_entry_ops *)(void *)table)->setopts, peak_setopts);
    copied.version = 0;
    assert_int_equal(extatus_type_lookup("peak_v1", &copied), EXTATUS_ERR_INVALID);
    assert_non_null(strstr(extatus_error_last(), "EXTATUS_ENTRY_OPS_INIT"));
    assert_int_equal(munmap(pages, 2 * (size_t)page), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_builtins_are_in_the_type_map, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_type_like_builtin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_names_one_implementation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusing_create_registers_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_failure_message_is_never_stale, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_register_reads_only_the_callers_version, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
