/*
 * run_bench.c - the side-by-side benchmark of extatus and prometheus-cpp.
 *
 * For every case both libraries run in the same process, interleaved
 * (extatus then prometheus-cpp on even repetitions, the other way round on
 * odd ones, so neither always runs on a cache or core the other just
 * warmed), and the median of the repetitions is reported per library. Each
 * repetition loops long enough (BENCH_MIN_REP_NS) for clock_gettime to be
 * negligible. Memory per series is measured in fresh child processes, one
 * library per process.
 *
 * Output: one line per case,
 *   BENCH name=<case> unit=<unit> extatus=<v> prometheus_cpp=<v> [floor=<v>]
 * then a table with the ratios. Usage: run-bench [-v] [case...]
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_REPS        11          /* repetitions of the timed cases */
#define BENCH_EXPOSE_REPS 7           /* repetitions of expose_100k (slow) */
#define BENCH_MEMORY_REPS 3           /* child processes per library for memory */
#define BENCH_MIN_REP_NS  40000000ull /* at least 40 ms per repetition */
#define BENCH_MAX_THREADS 2

/*
 * prometheus-cpp's summary gets slower as its time window fills (its CKMS
 * sample lists grow), so its repetitions have a fixed size instead of a
 * calibrated one: every run observes the same 12 x 30,000 values.
 */
#define BENCH_SUMMARY_CPP_N 30000u

/* ---- shared inputs ------------------------------------------------------ */

const char *const bench_method[10] = {"GET",  "POST",    "PUT",     "DELETE", "PATCH",
                                      "HEAD", "OPTIONS", "CONNECT", "TRACE",  "PURGE"};
const char *const bench_code[10] = {"200", "201", "204", "301", "302",
                                    "304", "400", "404", "500", "503"};
const char *bench_big_a[BENCH_BIG_A];
const char *bench_big_b[BENCH_BIG_B];
double bench_values[BENCH_VALUE_COUNT];

static char big_a_text[BENCH_BIG_A][16];
static char big_b_text[BENCH_BIG_B][16];

void bench_inputs_init(void)
{
    /* Upper bounds of Prometheus' default buckets, then a stand-in for +Inf. */
    static const double bounds[] = {0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20};
    const unsigned buckets = sizeof(bounds) / sizeof(bounds[0]) - 1;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned i;

    for (i = 0; i < BENCH_BIG_A; i++) {
        snprintf(big_a_text[i], sizeof(big_a_text[i]), "handler_%03u", i);
        bench_big_a[i] = big_a_text[i];
    }
    for (i = 0; i < BENCH_BIG_B; i++) {
        snprintf(big_b_text[i], sizeof(big_b_text[i]), "node_%02u", i);
        bench_big_b[i] = big_b_text[i];
    }
    /*
     * Each value falls in a bucket chosen at random (all 12 equally
     * likely, so no branch pattern to learn) at a random place inside it.
     */
    for (i = 0; i < BENCH_VALUE_COUNT; i++) {
        unsigned bucket;
        double where;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        bucket = (unsigned)((seed >> 33) % buckets);
        where = (double)((seed >> 11) & 0xfffff) / (double)0x100000; /* [0, 1) */
        bench_values[i] =
            bounds[bucket] + (bounds[bucket + 1] - bounds[bucket]) * (0.01 + 0.98 * where);
    }
}

void bench_fail(const char *what, const char *detail)
{
    fprintf(stderr, "run-bench: %s failed: %s\n", what, detail);
    exit(1);
}

/* ---- the floor: a relaxed atomic fetch_add on one uint64 -------------- */

static struct {
    _Alignas(64) _Atomic uint64_t value;
    char pad[64 - sizeof(uint64_t)];
} floor_cell;

static void *floor_setup(void)
{
    atomic_store_explicit(&floor_cell.value, 0, memory_order_relaxed);
    return &floor_cell;
}

static uint64_t floor_run(void *state, uint64_t n, unsigned thread)
{
    uint64_t i;
    (void)state;
    (void)thread;
    for (i = 0; i < n; i++)
        atomic_fetch_add_explicit(&floor_cell.value, 1, memory_order_relaxed);
    return n;
}

static uint64_t floor_finish(void *state)
{
    (void)state;
    return atomic_load_explicit(&floor_cell.value, memory_order_relaxed);
}

static const bench_ops floor_ops = {floor_setup, floor_run, floor_finish};

/* ---- timing ------------------------------------------------------------ */

static int verbose;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, unsigned count)
{
    qsort(values, count, sizeof(values[0]), compare_double);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

/* The CPUs this process may run on, in order; returns how many. */
static unsigned allowed_cpus(int *cpus, unsigned max)
{
    cpu_set_t set;
    unsigned count = 0;
    int cpu;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 0;
    for (cpu = 0; cpu < CPU_SETSIZE && count < max; cpu++)
        if (CPU_ISSET(cpu, &set))
            cpus[count++] = cpu;
    return count;
}

/* One side of a case while it runs: its table, state and totals. */
typedef struct side {
    const char *label;    /* "extatus", "prometheus_cpp", "floor" */
    const bench_ops *ops; /* the case */
    void *state;          /* from setup */
    uint64_t n;           /* operations per thread per repetition */
    uint64_t produced;    /* sum of run()'s results, checked by finish */
    uint64_t done;        /* operations run so far, all threads */
    double first;         /* time per operation in the first repetition */
    double last;          /* and in the last one */
    double samples[BENCH_REPS];
} side;

typedef struct worker {
    side *side;
    unsigned thread;
    int cpu;                    /* pin to this CPU; -1: do not pin */
    pthread_barrier_t *barrier; /* all workers start together */
    uint64_t start;             /* time this worker started its loop */
    uint64_t end;               /* time it finished */
    uint64_t result;            /* run()'s result */
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    if (w->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(w->cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    }
    pthread_barrier_wait(w->barrier);
    w->start = now_ns();
    w->result = w->side->ops->run(w->side->state, w->side->n, w->thread);
    w->end = now_ns();
    return NULL;
}

/*
 * Run s->n operations on each of `threads` threads and return the elapsed
 * nanoseconds: for one thread, its loop; for several, from the first
 * thread's start to the last one's end. Several threads are pinned to
 * distinct CPUs when there are enough, so each has a core of its own.
 */
static uint64_t measure(side *s, unsigned threads)
{
    worker workers[BENCH_MAX_THREADS];
    pthread_t ids[BENCH_MAX_THREADS];
    pthread_barrier_t barrier;
    int cpus[BENCH_MAX_THREADS];
    unsigned cpu_count, t;
    uint64_t first, last;

    s->done += s->n * threads;
    if (threads == 1) {
        uint64_t start = now_ns();
        s->produced += s->ops->run(s->state, s->n, 0);
        return now_ns() - start;
    }
    cpu_count = allowed_cpus(cpus, BENCH_MAX_THREADS);
    pthread_barrier_init(&barrier, NULL, threads);
    for (t = 0; t < threads; t++) {
        workers[t] = (worker){s, t, cpu_count >= threads ? cpus[t] : -1, &barrier, 0, 0, 0};
        int rc = pthread_create(&ids[t], NULL, worker_main, &workers[t]);
        if (rc != 0)
            bench_fail("pthread_create", strerror(rc));
    }
    first = UINT64_MAX;
    last = 0;
    for (t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        s->produced += workers[t].result;
        first = workers[t].start < first ? workers[t].start : first;
        last = workers[t].end > last ? workers[t].end : last;
    }
    pthread_barrier_destroy(&barrier);
    return last - first;
}

/* Find an n for which one repetition takes at least `min_ns` (also warms up). */
static void calibrate(side *s, unsigned threads, uint64_t min_ns)
{
    s->n = 1;
    for (;;) {
        uint64_t elapsed = measure(s, threads);
        double grow;
        if (elapsed >= min_ns)
            return;
        grow = elapsed > 0 ? 1.3 * (double)min_ns / (double)elapsed : 100.0;
        grow = grow < 2.0 ? 2.0 : grow > 100.0 ? 100.0 : grow;
        s->n = (uint64_t)((double)s->n * grow);
    }
}

static void side_finish(side *s)
{
    uint64_t readback = s->ops->finish(s->state);
    if (readback != s->produced) {
        fprintf(stderr, "run-bench: %s lost work: read back %llu, expected %llu\n", s->label,
                (unsigned long long)readback, (unsigned long long)s->produced);
        exit(1);
    }
}

/*
 * Time `count` sides (extatus, prometheus-cpp and possibly the floor)
 * interleaved; leave each side's median time per operation (ns) in
 * samples[0].
 */
static void run_timed(const char *name, side *sides, unsigned count, unsigned threads,
                      unsigned reps)
{
    unsigned i, r;
    for (i = 0; i < count; i++) {
        sides[i].state = sides[i].ops->setup();
        if (sides[i].n == 0)
            calibrate(&sides[i], threads, BENCH_MIN_REP_NS);
        else
            measure(&sides[i], threads); /* fixed size: one repetition to warm up */
    }
    for (r = 0; r < reps; r++) {
        for (i = 0; i < count; i++) {
            side *s = &sides[r % 2 ? count - 1 - i : i]; /* alternate the order */
            uint64_t elapsed = measure(s, threads);
            s->samples[r] = (double)elapsed / (double)s->n;
            if (verbose)
                fprintf(stderr, "  %s rep %u %s: n=%llu %.3f ms, %.3f ns/op\n", name, r, s->label,
                        (unsigned long long)s->n, (double)elapsed / 1e6, s->samples[r]);
        }
    }
    for (i = 0; i < count; i++) {
        side_finish(&sides[i]);
        sides[i].first = sides[i].samples[0];
        sides[i].last = sides[i].samples[reps - 1];
        sides[i].samples[0] = median(sides[i].samples, reps);
    }
}

/* ---- memory per series: one fresh child process per measurement ------- */

static long resident_bytes(void)
{
    long size = 0, resident = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm == NULL)
        bench_fail("fopen /proc/self/statm", strerror(errno));
    if (fscanf(statm, "%ld %ld", &size, &resident) != 2)
        bench_fail("reading /proc/self/statm", "unexpected content");
    fclose(statm);
    return resident * sysconf(_SC_PAGESIZE);
}

/* In the child: create BENCH_BIG_SERIES series and print bytes per series. */
static int series_memory_child(const char *library)
{
    const bench_ops *ops =
        strcmp(library, "extatus") == 0 ? &bench_ext_series_memory : &bench_cpp_series_memory;
    void *state = ops->setup();
    long before = resident_bytes();
    long after;
    ops->run(state, BENCH_BIG_SERIES, 0);
    after = resident_bytes();
    printf("%.1f\n", (double)(after - before) / BENCH_BIG_SERIES);
    return 0;
}

/* Run this program again as `--series-memory <library>` and read its answer. */
static double series_memory(const char *library)
{
    int pipefd[2];
    pid_t pid;
    char answer[64] = "";
    ssize_t got;
    int status;

    if (pipe(pipefd) != 0)
        bench_fail("pipe", strerror(errno));
    pid = fork();
    if (pid < 0)
        bench_fail("fork", strerror(errno));
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        execl("/proc/self/exe", "run-bench", "--series-memory", library, (char *)NULL);
        _exit(127);
    }
    close(pipefd[1]);
    got = read(pipefd[0], answer, sizeof(answer) - 1);
    close(pipefd[0]);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || got <= 0)
        bench_fail("series memory child", library);
    answer[got] = '\0';
    return strtod(answer, NULL);
}

/* ---- the cases ------------------------------------------------------------ */

typedef enum kind {
    KIND_TIMED,  /* ns per operation per thread */
    KIND_EXPOSE, /* ms per render */
    KIND_MEMORY, /* bytes per series */
    KIND_HANDLER /* extatus only: CPU percent of the process handler */
} kind;

typedef struct bench_case {
    const char *name;     /* as printed */
    const char *unit;     /* as printed */
    kind kind;            /* how it is measured */
    unsigned threads;     /* threads running the operation at once */
    int with_floor;       /* also time the floor */
    double target;        /* minimum prometheus_cpp / extatus ratio */
    const bench_ops *ext; /* extatus side */
    const bench_ops *cpp; /* prometheus-cpp side */
    uint64_t cpp_n;       /* operations per repetition for prometheus-cpp; 0: calibrate */
    double result[3];     /* extatus, prometheus_cpp, floor */
} bench_case;

static bench_case cases[] = {
    {"counter_inc",
     "ns_per_op",
     KIND_TIMED,
     1,
     1,
     3,
     &bench_ext_counter_inc,
     &bench_cpp_counter_inc,
     0,
     {0}},
    {"counter_inc_2threads",
     "ns_per_op",
     KIND_TIMED,
     2,
     0,
     8,
     &bench_ext_counter_inc,
     &bench_cpp_counter_inc,
     0,
     {0}},
    {"labeled_inc",
     "ns_per_op",
     KIND_TIMED,
     1,
     0,
     5,
     &bench_ext_labeled_inc,
     &bench_cpp_labeled_inc,
     0,
     {0}},
    {"histogram_observe",
     "ns_per_op",
     KIND_TIMED,
     1,
     0,
     3,
     &bench_ext_histogram_observe,
     &bench_cpp_histogram_observe,
     0,
     {0}},
    /*
     * Against prometheus-cpp's classic histogram (it has no native one);
     * the target is half the classic histogram's, i.e. at most twice the
     * classic observe's time.
     */
    {"native_histogram_observe",
     "ns_per_op",
     KIND_TIMED,
     1,
     0,
     1.5,
     &bench_ext_native_histogram_observe,
     &bench_cpp_histogram_observe,
     0,
     {0}},
    {"summary_observe",
     "ns_per_op",
     KIND_TIMED,
     1,
     0,
     100,
     &bench_ext_summary_observe,
     &bench_cpp_summary_observe,
     BENCH_SUMMARY_CPP_N,
     {0}},
    {"expose_100k", "ms", KIND_EXPOSE, 1, 0, 5, &bench_ext_expose, &bench_cpp_expose, 0, {0}},
    {"bytes_per_series",
     "bytes",
     KIND_MEMORY,
     1,
     0,
     1,
     &bench_ext_series_memory,
     &bench_cpp_series_memory,
     0,
     {0}},
    /* No prometheus-cpp peer; the target is the "under 1% of one core". */
    {"handler_10k_workers", "cpu_percent", KIND_HANDLER, 1, 0, 1, NULL, NULL, 0, {0}},
};

#define CASE_COUNT (sizeof(cases) / sizeof(cases[0]))

static void run_case(bench_case *c)
{
    side sides[3] = {
        {"extatus", c->ext, NULL, 0, 0, 0, 0, 0, {0}},
        {"prometheus_cpp", c->cpp, NULL, c->cpp_n, 0, 0, 0, 0, {0}},
        {"floor", &floor_ops, NULL, 0, 0, 0, 0, 0, {0}},
    };
    unsigned i;

    switch (c->kind) {
    case KIND_TIMED:
        run_timed(c->name, sides, c->with_floor ? 3 : 2, c->threads, BENCH_REPS);
        for (i = 0; i < 3; i++)
            c->result[i] = sides[i].samples[0];
        printf("BENCH name=%s unit=%s extatus=%.2f prometheus_cpp=%.2f", c->name, c->unit,
               c->result[0], c->result[1]);
        if (c->with_floor)
            printf(" floor=%.2f", c->result[2]);
        printf("\n");
        if (c->cpp_n)
            printf("# %s: prometheus_cpp %.2f ns/op in the first repetition, %.2f in the last\n",
                   c->name, sides[1].first, sides[1].last);
        break;
    case KIND_EXPOSE:
        run_timed(c->name, sides, 2, 1, BENCH_EXPOSE_REPS);
        for (i = 0; i < 2; i++)
            c->result[i] = sides[i].samples[0] / 1e6;
        printf("# %s: bytes per render: extatus %llu, prometheus_cpp %llu\n", c->name,
               (unsigned long long)(sides[0].produced / sides[0].done),
               (unsigned long long)(sides[1].produced / sides[1].done));
        printf("BENCH name=%s unit=%s extatus=%.2f prometheus_cpp=%.2f\n", c->name, c->unit,
               c->result[0], c->result[1]);
        break;
    case KIND_MEMORY: {
        double samples[2][BENCH_MEMORY_REPS];
        unsigned r;
        for (r = 0; r < BENCH_MEMORY_REPS; r++) {
            samples[0][r] = series_memory("extatus");
            samples[1][r] = series_memory("prometheus_cpp");
            if (verbose)
                fprintf(stderr, "  %s rep %u: extatus %.1f prometheus_cpp %.1f\n", c->name, r,
                        samples[0][r], samples[1][r]);
        }
        c->result[0] = median(samples[0], BENCH_MEMORY_REPS);
        c->result[1] = median(samples[1], BENCH_MEMORY_REPS);
        printf("BENCH name=%s unit=%s extatus=%.1f prometheus_cpp=%.1f\n", c->name, c->unit,
               c->result[0], c->result[1]);
        break;
    }
    case KIND_HANDLER:
        c->result[0] = bench_handler_cpu_percent();
        printf("BENCH name=%s unit=%s extatus=%.3f\n", c->name, c->unit, c->result[0]);
        break;
    }
    fflush(stdout);
}

static void print_summary(const int *selected)
{
    unsigned i;
    printf("\n%-24s %-10s %12s %15s %8s %8s  %s\n", "case", "unit", "extatus", "prometheus_cpp",
           "ratio", "target", "met");
    for (i = 0; i < CASE_COUNT; i++) {
        const bench_case *c = &cases[i];
        double ratio;
        if (!selected[i])
            continue;
        if (c->kind == KIND_HANDLER) {
            printf("%-24s %-10s %12.3f %15s %8s %8s  %s\n", c->name, c->unit, c->result[0], "-",
                   "-", "<1%", c->result[0] >= 0 && c->result[0] < 1.0 ? "yes" : "NO");
            continue;
        }
        ratio = c->result[0] > 0 ? c->result[1] / c->result[0] : 0;
        printf("%-24s %-10s %12.2f %15.2f %7.1fx %7.1fx  %s\n", c->name, c->unit, c->result[0],
               c->result[1], ratio, c->target, ratio >= c->target ? "yes" : "NO");
        if (c->with_floor)
            printf("%-24s %-10s %12.2f %15s %7.2fx %7.1fx  %s\n", "  (extatus vs floor)", c->unit,
                   c->result[0], "", c->result[0] / c->result[2], 2.0,
                   c->result[0] <= 2 * c->result[2] ? "yes" : "NO");
    }
}

int main(int argc, char **argv)
{
    int selected[CASE_COUNT];
    int any = 0;
    unsigned i;
    int a;

    bench_inputs_init();
    if (argc == 3 && strcmp(argv[1], "--series-memory") == 0)
        return series_memory_child(argv[2]);

    memset(selected, 0, sizeof(selected));
    for (a = 1; a < argc; a++) {
        int found = 0;
        if (strcmp(argv[a], "-v") == 0) {
            verbose = 1;
            continue;
        }
        for (i = 0; i < CASE_COUNT; i++)
            if (strcmp(argv[a], cases[i].name) == 0)
                selected[i] = any = found = 1;
        if (!found) {
            fprintf(stderr, "usage: run-bench [-v] [case...]\n");
            return 2;
        }
    }
    for (i = 0; i < CASE_COUNT; i++) {
        if (!any)
            selected[i] = 1;
        if (selected[i])
            run_case(&cases[i]);
    }
    print_summary(selected);
    return 0;
}
