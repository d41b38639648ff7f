/*
 * scale_bench.c - how extatus grows with the series count: the curve
 * `expose_scale` at 10k, 100k, 1M and 10M series.
 *
 * Each size runs in a fresh child process, so the resident-memory figures
 * are honest (RSS before and after, not a sum of sizeof). A child creates
 * one counter family with two labels and `size` series, timing every
 * creation (mean and the worst single one: a table that rehashes on the
 * update path shows there), then renders the registry as text 0.0.4
 * several times and keeps the median.
 *
 * Output: one line per size,
 *   BENCH name=expose_scale_<size> unit=ms extatus=<render ms> rss_mb=<MB>
 *         bytes_per_series=<B> create_ns=<mean> worst_create_us=<max>
 *         worst_create_wall_us=<max> body_mb=<MB>
 * worst_create_us is the longest creation in the thread's CPU time (the
 * pause the library itself causes: copying, page faults); the wall-clock
 * worst beside it also counts the times the shared machine preempted the
 * benchmark (multiples of the scheduler tick), which no library can avoid.
 * and the growth of render time from 100k to 1M:
 *   BENCH name=expose_scale_growth unit=ratio extatus=<time(1M)/time(100k)>
 * A size the machine has no memory for is skipped, and the output says so.
 *
 * Usage: scale-bench [size...]   (sizes like 10k, 100k, 1m, 10m)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <extatus.h>

#define RENDER_REPS 5
/* Memory a series may take at most, with its share of the rendered text. */
#define PLAN_BYTES_PER_SERIES 1024.0

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "scale-bench: %s: %s\n", what, detail);
    exit(1);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double resident_mb(void)
{
    long pages = 0;
    long resident = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (!statm || fscanf(statm, "%ld %ld", &pages, &resident) != 2)
        fail("/proc/self/statm", "unreadable");
    fclose(statm);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1e6;
}

/* MemAvailable in MB, or -1 when unknown. */
static double available_mb(void)
{
    char line[256];
    double kb = -1;
    FILE *meminfo = fopen("/proc/meminfo", "r");
    if (!meminfo)
        return -1;
    while (fgets(line, sizeof line, meminfo))
        if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1)
            break;
    fclose(meminfo);
    return kb < 0 ? -1 : kb / 1000;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The child: build `size` series, render, print one BENCH line. */
static int run_size(const char *label, unsigned long size)
{
    static const char *const names[] = {"handler", "instance"};
    const extatus_option options[] = {
        EXTATUS_OPT_STRING("help", "Requests handled."),
        EXTATUS_OPT_STRINGS("labels", names, 2),
        EXTATUS_OPT_NUMBER("max_series", (double)size),
    };
    extatus_registry *registry = NULL;
    extatus_family *family = NULL;
    if (extatus_init() != EXTATUS_OK ||
        extatus_registry_new(&registry, "scale", NULL) != EXTATUS_OK ||
        extatus_family_new(&family, registry, "scale_requests_total", "counter", options, 3) !=
            EXTATUS_OK)
        fail("setup", extatus_error_last());

    double before_mb = resident_mb();
    long long worst = 0;
    long long worst_wall = 0;
    long long total = 0;
    for (unsigned long i = 0; i < size; i++) {
        char a[32];
        char b[32];
        snprintf(a, sizeof a, "handler_%lu", i / 1000);
        snprintf(b, sizeof b, "node_%03lu", i % 1000);
        extatus_counter *counter = NULL;
        long long c0 = thread_cpu_ns();
        long long t0 = now_ns();
        int rc = extatus_counter_get(&counter, family, EXTATUS_LABELS(a, b));
        long long took_wall = now_ns() - t0;
        long long took = thread_cpu_ns() - c0;
        total += took_wall;
        if (took_wall > worst_wall)
            worst_wall = took_wall;
        if (rc != EXTATUS_OK)
            fail("extatus_counter_get", extatus_error_last());
        extatus_counter_add(counter, i & 1023);
        if (took > worst)
            worst = took;
    }
    double create_ns = (double)total / (double)size;
    double after_mb = resident_mb();

    double render_ms[RENDER_REPS];
    size_t body = 0;
    for (int r = 0; r < RENDER_REPS; r++) {
        extatus_buf text = EXTATUS_BUF_INIT;
        long long t0 = now_ns();
        if (extatus_expose(&text, &registry, 1, NULL) != EXTATUS_OK)
            fail("extatus_expose", extatus_error_last());
        render_ms[r] = (double)(now_ns() - t0) / 1e6;
        body = text.size;
        extatus_buf_dispose(&text);
    }
    qsort(render_ms, RENDER_REPS, sizeof render_ms[0], compare_double);
    printf("BENCH name=expose_scale_%s unit=ms extatus=%.2f rss_mb=%.1f bytes_per_series=%.1f "
           "create_ns=%.1f worst_create_us=%.1f worst_create_wall_us=%.1f body_mb=%.1f\n",
           label, render_ms[RENDER_REPS / 2], after_mb, (after_mb - before_mb) * 1e6 / (double)size,
           create_ns, (double)worst / 1e3, (double)worst_wall / 1e3, (double)body / 1e6);
    fflush(stdout);
    extatus_registry_free(registry);
    extatus_shutdown();
    return 0;
}

static unsigned long parse_size(const char *text)
{
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (errno || end == text)
        return 0;
    if (strcmp(end, "k") == 0)
        return value * 1000;
    if (strcmp(end, "m") == 0)
        return value * 1000000;
    return *end ? 0 : value;
}

/* Run one size in a child; its render time in ms (< 0 when skipped). */
static double run_child(const char *label, unsigned long size)
{
    double need_mb = (double)size * PLAN_BYTES_PER_SERIES / 1e6;
    double have_mb = available_mb();
    if (have_mb >= 0 && need_mb > have_mb * 0.8) {
        printf("BENCH name=expose_scale_%s skipped: needs about %.0f MB, %.0f MB available\n",
               label, need_mb, have_mb);
        return -1;
    }
    int pipefd[2];
    if (pipe(pipefd) != 0)
        fail("pipe", strerror(errno));
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork", strerror(errno));
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        _exit(run_size(label, size));
    }
    close(pipefd[1]);
    char line[512];
    ssize_t got = 0;
    ssize_t n;
    while (got < (ssize_t)sizeof line - 1 &&
           (n = read(pipefd[0], line + got, sizeof line - 1 - (size_t)got)) > 0)
        got += n;
    close(pipefd[0]);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || got <= 0)
        fail("child", label);
    line[got] = '\0';
    fputs(line, stdout);
    const char *value = strstr(line, "extatus=");
    return value ? strtod(value + 8, NULL) : -1;
}

int main(int argc, char **argv)
{
    static const char *const defaults[] = {"10k", "100k", "1m", "10m"};
    const char *const *sizes = argc > 1 ? (const char *const *)argv + 1 : defaults;
    int count = argc > 1 ? argc - 1 : 4;
    double ms_100k = -1;
    double ms_1m = -1;
    for (int i = 0; i < count; i++) {
        unsigned long size = parse_size(sizes[i]);
        if (size == 0) {
            fprintf(stderr, "usage: scale-bench [size...]  (for example 10k 100k 1m 10m)\n");
            return 2;
        }
        double ms = run_child(sizes[i], size);
        if (size == 100000)
            ms_100k = ms;
        if (size == 1000000)
            ms_1m = ms;
    }
    if (ms_100k > 0 && ms_1m > 0)
        printf("BENCH name=expose_scale_growth unit=ratio extatus=%.2f (time(1m)/time(100k); "
               "linear is 10)\n",
               ms_1m / ms_100k);
    return 0;
}
