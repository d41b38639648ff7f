/*
 * process.c - the process collector: the program's own CPU time, memory,
 * file descriptors, threads and start time, with the names and types
 * Prometheus users know from the official clients.
 *
 * Each value is one probe-kind series ("process_gauge" or
 * "process_counter", option "field"). Its sample reads only what it needs
 * from /proc/self or getrlimit; the start time is computed once (boot time
 * from /proc/stat plus the start ticks), because re-reading it makes it
 * jitter. A value that cannot be read is never exported as 0: its series
 * is dropped from the read, and a value this system cannot give at all
 * is not registered.
 */
#include "entries/common.h"
#include "probe/probe.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef enum field {
    FIELD_CPU,
    FIELD_RESIDENT,
    FIELD_VIRTUAL,
    FIELD_VIRTUAL_MAX,
    FIELD_OPEN_FDS,
    FIELD_MAX_FDS,
    FIELD_START_TIME,
    FIELD_THREADS,
    FIELD_COUNT
} field;

/* name suffix after "process_", type, unit, help (client_golang's wording where it has one) */
static const struct field_info {
    const char *name;
    const char *type;
    const char *unit;
    const char *help;
} fields[FIELD_COUNT] = {
    {"cpu_seconds_total", "process_counter", "seconds",
     "Total user and system CPU time spent in seconds."},
    {"resident_memory_bytes", "process_gauge", "bytes", "Resident memory size in bytes."},
    {"virtual_memory_bytes", "process_gauge", "bytes", "Virtual memory size in bytes."},
    {"virtual_memory_max_bytes", "process_gauge", "bytes",
     "Maximum amount of virtual memory available in bytes."},
    {"open_fds", "process_gauge", NULL, "Number of open file descriptors."},
    {"max_fds", "process_gauge", NULL, "Maximum number of open file descriptors."},
    {"start_time_seconds", "process_gauge", "seconds",
     "Start time of the process since unix epoch in seconds."},
    {"threads", "process_gauge", NULL, "Number of OS threads in the process."},
};

/* ---- reading /proc ------------------------------------------------------ */

/* Read a small file into buf (NUL-terminated); false on failure. */
static bool read_small_file(const char *path, char *buf, size_t size)
{
    FILE *file = fopen(path, "re");
    if (!file)
        return false;
    size_t length = fread(buf, 1, size - 1, file);
    bool ok = !ferror(file) && length > 0;
    fclose(file);
    buf[ok ? length : 0] = '\0';
    return ok;
}

/*
 * Field `index` (1-based, as in proc(5)) of /proc/self/stat. The command
 * name (field 2) may contain spaces and parentheses, so counting starts
 * after its last ')'.
 */
static bool stat_fields(const int *wanted, unsigned long long *out, size_t count)
{
    char buf[1024];
    if (!read_small_file("/proc/self/stat", buf, sizeof(buf)))
        return false;
    const char *p = strrchr(buf, ')');
    if (!p)
        return false;
    p++;
    int index = 2;
    size_t found = 0;
    while (*p && found < count) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        index++;
        char *end;
        unsigned long long value = strtoull(p, &end, 10);
        for (size_t i = 0; i < count; i++)
            if (wanted[i] == index) {
                if (end == p)
                    return false;
                out[i] = value;
                found++;
            }
        while (*end && *end != ' ')
            end++;
        p = end;
    }
    return found == count;
}

static bool read_stat_field(int index, double *value)
{
    unsigned long long raw;
    if (!stat_fields(&index, &raw, 1))
        return false;
    *value = (double)raw;
    return true;
}

static double clock_ticks(void)
{
    long ticks = sysconf(_SC_CLK_TCK);
    return ticks > 0 ? (double)ticks : 100.0;
}

static bool read_cpu_seconds(double *value)
{
    static const int wanted[2] = {14, 15}; /* utime, stime */
    unsigned long long ticks[2];
    if (!stat_fields(wanted, ticks, 2))
        return false;
    *value = (double)(ticks[0] + ticks[1]) / clock_ticks();
    return true;
}

static bool read_boot_time(double *value)
{
    char buf[16384];
    if (!read_small_file("/proc/stat", buf, sizeof(buf)))
        return false;
    const char *line = strstr(buf, "\nbtime ");
    if (!line)
        return false;
    char *end;
    unsigned long long btime = strtoull(line + 7, &end, 10);
    if (end == line + 7)
        return false;
    *value = (double)btime;
    return true;
}

/* Computed once: re-reading would jitter with the boot time's rounding. */
static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static double start_time;
static bool start_time_ok;

static void compute_start_time(void)
{
    double boot = 0;
    double ticks = 0;
    if (read_boot_time(&boot) && read_stat_field(22, &ticks)) {
        start_time = boot + ticks / clock_ticks();
        start_time_ok = true;
    }
}

static bool read_open_fds(double *value)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return false;
    int own = dirfd(dir);
    long count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        if (strtol(entry->d_name, NULL, 10) == own) /* the descriptor reading the directory */
            continue;
        count++;
    }
    closedir(dir);
    *value = (double)count;
    return true;
}

/* What "unlimited" reads as: 2^64-1, as procfs (and so the Go client) reads it. */
#define UNLIMITED 18446744073709551615.0

/*
 * A soft limit from /proc/self/limits (the row starting with `row`), as
 * the Go client reads it; getrlimit() when that file cannot be read.
 * "unlimited" is reported as 2^64-1 so that dashboards built for the Go
 * client keep working.
 */
static bool read_limit(const char *row, int resource, double *value)
{
    char buf[4096];
    if (read_small_file("/proc/self/limits", buf, sizeof(buf))) {
        const char *line = strstr(buf, row);
        if (line) {
            const char *p = line + strlen(row);
            while (*p == ' ')
                p++;
            if (strncmp(p, "unlimited", 9) == 0) {
                *value = UNLIMITED;
                return true;
            }
            char *end;
            unsigned long long limit = strtoull(p, &end, 10);
            if (end != p) {
                *value = (double)limit;
                return true;
            }
        }
    }
    struct rlimit limit;
    if (getrlimit(resource, &limit) != 0)
        return false;
    *value = limit.rlim_cur == RLIM_INFINITY ? UNLIMITED : (double)limit.rlim_cur;
    return true;
}

static bool read_field(field which, double *value)
{
    switch (which) {
    case FIELD_CPU:
        return read_cpu_seconds(value);
    case FIELD_RESIDENT:
        if (!read_stat_field(24, value))
            return false;
        *value *= (double)sysconf(_SC_PAGESIZE);
        return true;
    case FIELD_VIRTUAL:
        return read_stat_field(23, value);
    case FIELD_VIRTUAL_MAX:
        return read_limit("Max address space", RLIMIT_AS, value);
    case FIELD_OPEN_FDS:
        return read_open_fds(value);
    case FIELD_MAX_FDS:
        return read_limit("Max open files", RLIMIT_NOFILE, value);
    case FIELD_START_TIME:
        pthread_once(&start_once, compute_start_time);
        *value = start_time;
        return start_time_ok;
    case FIELD_THREADS:
        return read_stat_field(20, value);
    case FIELD_COUNT:
        break;
    }
    return false;
}

/* ---- the entry -------------------------------------------------------------- */

typedef struct process_value {
    field field;          /* what this series reads */
    _Atomic double value; /* last sampled value */
    atomic_bool valid;    /* the last sample succeeded */
} process_value;

static const extatus_datapoint process_datapoints[] = {{"value", EXTATUS_SAMPLE_VALUE, 0}};

/* Read the value into the state; false (and the value marked unknown) on failure. */
static bool refresh(process_value *state)
{
    double value;
    if (!read_field(state->field, &value)) {
        atomic_store(&state->valid, false);
        return false;
    }
    atomic_store(&state->value, value);
    atomic_store(&state->valid, true);
    return true;
}

static int process_sample(void *ref, const extatus_entry_ctx *ctx)
{
    process_value *state = ref;
    if (!refresh(state))
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "metric '%s': cannot read process_%s",
                                   ctx->name, fields[state->field].name);
    return EXTATUS_OK;
}

static int process_create(void **ref, const extatus_entry_ctx *ctx, const extatus_option *options,
                          size_t option_count)
{
    const char *name = NULL;
    for (size_t i = 0; i < option_count; i++) {
        if (strcmp(options[i].key, "field") != 0)
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "metric '%s': type '%s' has no option '%s'", ctx->name,
                                       ctx->type, options[i].key);
        if (options[i].kind != EXTATUS_OPTION_STRING || !options[i].string)
            return extatus_entry_error(EXTATUS_ERR_OPTION,
                                       "metric '%s': option 'field' must be a string", ctx->name);
        name = options[i].string;
    }
    int which = -1;
    for (int i = 0; name && i < FIELD_COUNT; i++)
        if (strcmp(fields[i].name, name) == 0)
            which = i;
    if (which < 0)
        return extatus_entry_error(EXTATUS_ERR_OPTION,
                                   "metric '%s': option 'field' must name a process value "
                                   "(cpu_seconds_total, resident_memory_bytes, ...), got '%s'",
                                   ctx->name, name ? name : "(none)");
    bool counter = strcmp(ctx->type, "process_counter") == 0;
    if (counter != (which == FIELD_CPU))
        return extatus_entry_error(EXTATUS_ERR_OPTION, "metric '%s': field '%s' is a %s, not a %s",
                                   ctx->name, name, which == FIELD_CPU ? "counter" : "gauge",
                                   ctx->type);
    process_value *state = extatus__calloc(1, sizeof(*state));
    if (!state)
        return extatus_entry_error(EXTATUS_ERR_NOMEM, "metric '%s': out of memory", ctx->name);
    state->field = (field)which;
    atomic_init(&state->value, 0.0);
    atomic_init(&state->valid, false);
    if (ctx->label_values || ctx->label_count == 0) /* a real series: values from the start */
        (void)refresh(state);
    *ref = state;
    return EXTATUS_OK;
}

static void process_destroy(void *ref, const extatus_entry_ctx *ctx)
{
    (void)ctx;
    extatus__free(ref);
}

static int process_get_value(void *ref, const extatus_entry_ctx *ctx, const char *const *datapoints,
                             size_t count, extatus_value *values)
{
    const process_value *state = ref;
    if (!atomic_load(&state->valid)) /* never a made-up 0: drop the series from this read */
        return extatus_entry_error(EXTATUS_ERR_SYSTEM, "metric '%s': no value could be read",
                                   ctx->name);
    for (size_t i = 0; i < count; i++) {
        bool known = !datapoints ? i == 0 : datapoints[i] && strcmp(datapoints[i], "value") == 0;
        values[i] = known ? extatus__double_value(atomic_load(&state->value))
                          : (extatus_value){EXTATUS_VALUE_UNDEFINED, 0, 0};
    }
    return EXTATUS_OK;
}

static int process_get_datapoints(void *ref, const extatus_entry_ctx *ctx,
                                  const extatus_datapoint **datapoints, size_t *count)
{
    (void)ref;
    (void)ctx;
    *datapoints = process_datapoints;
    *count = 1;
    return EXTATUS_OK;
}

static const extatus_entry_ops process_ops = {
    .version = EXTATUS_ENTRY_OPS_VERSION,
    .kind = EXTATUS_ENTRY_KIND_PROBE,
    .metric_type = EXTATUS_METRIC_GAUGE,
    .create = process_create,
    .destroy = process_destroy,
    .get_value = process_get_value,
    .update = NULL,
    .reset = NULL,
    .sample = process_sample,
    .get_datapoints = process_get_datapoints,
    .setopts = NULL,
};

int extatus__probes_register_builtin(void)
{
    extatus_type_options counter = EXTATUS_TYPE_OPTIONS_INIT;
    counter.metric_type = EXTATUS_METRIC_COUNTER;
    int rc = extatus_type_register("process_gauge", &process_ops, NULL);
    if (rc == EXTATUS_OK)
        rc = extatus_type_register("process_counter", &process_ops, &counter);
    if (rc == EXTATUS_OK)
        rc = extatus__cpu_register();
    return rc;
}

/* ---- registration ------------------------------------------------------------ */

#define MAX_USER_OPTIONS 16

int extatus_process_collector_register(extatus_registry *registry, const extatus_option *options,
                                       size_t option_count)
{
    int rc = extatus__ensure_init();
    if (rc != EXTATUS_OK)
        return rc;
    if (option_count && !options)
        return extatus__error(EXTATUS_ERR_INVALID, "process collector: options are NULL");
    if (option_count > MAX_USER_OPTIONS)
        return extatus__error(EXTATUS_ERR_INVALID, "process collector: at most %d options, got %zu",
                              MAX_USER_OPTIONS, option_count);
    for (int i = 0; i < FIELD_COUNT; i++) {
        double probe_value;
        if (!read_field((field)i, &probe_value))
            continue; /* this system cannot give it: leave the metric out */
        char name[64];
        snprintf(name, sizeof(name), "process_%s", fields[i].name);
        extatus_option all[MAX_USER_OPTIONS + 3] = {
            EXTATUS_OPT_STRING("help", fields[i].help),
            EXTATUS_OPT_STRING("field", fields[i].name),
        };
        size_t count = 2;
        if (fields[i].unit)
            all[count++] = (extatus_option)EXTATUS_OPT_STRING("unit", fields[i].unit);
        for (size_t j = 0; j < option_count; j++)
            all[count++] = options[j];
        if ((rc = extatus_new(registry, name, fields[i].type, all, count)) != EXTATUS_OK)
            return rc;
    }
    return EXTATUS_OK;
}

/* -1: not set by the program (the environment decides), 0: off, 1: on. */
static atomic_int collector_default = -1;

int extatus_process_collector_set_default(int enabled)
{
    if (extatus__initialized())
        return extatus__error(EXTATUS_ERR_STATE,
                              "process collector: the library is initialised; choose before "
                              "extatus_init() or after extatus_shutdown()");
    atomic_store(&collector_default, enabled < 0 ? -1 : enabled ? 1 : 0);
    return EXTATUS_OK;
}

int extatus__process_collector_init(void)
{
    int enabled = atomic_load(&collector_default);
    if (enabled < 0) {
        const char *env = getenv("EXTATUS_PROCESS_COLLECTOR");
        enabled = !(env && (strcmp(env, "0") == 0 || strcmp(env, "off") == 0 ||
                            strcmp(env, "false") == 0 || strcmp(env, "no") == 0));
    }
    return enabled ? extatus_process_collector_register(NULL, NULL, 0) : EXTATUS_OK;
}
