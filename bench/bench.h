/*
 * bench.h - the interface between the benchmark driver and the two sides
 * it compares (extatus in C, prometheus-cpp in C++).
 *
 * Every case of every side is a bench_ops table. The driver calls setup
 * once (not timed), then run many times (timed), then finish, which reads
 * the work back so the compiler cannot drop it and the driver can check
 * that nothing was lost.
 */
#ifndef EXTATUS_BENCH_H
#define EXTATUS_BENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Series counts shared by both sides. */
#define BENCH_LABELED_SERIES 100u  /* series in the labeled_inc family (10 x 10) */
#define BENCH_BIG_A          1000u /* values of the first label in the 100k cases */
#define BENCH_BIG_B          100u  /* values of the second label in the 100k cases */
#define BENCH_BIG_SERIES     (BENCH_BIG_A * BENCH_BIG_B)

/* Observations cycle through this many precomputed values. */
#define BENCH_VALUE_COUNT 1024u

typedef struct bench_ops {
    /* Create the state of the case (registry, metric, label strings). */
    void *(*setup)(void);
    /*
     * Do `n` operations as thread `thread` (0 or 1) and return a number
     * derived from the work (bytes rendered, for example). Several
     * threads may run on one state at once.
     */
    uint64_t (*run)(void *state, uint64_t n, unsigned thread);
    /*
     * Read the work back (the counter value, the observation count, the
     * bytes rendered) and free the state.
     */
    uint64_t (*finish)(void *state);
} bench_ops;

/* The cases of each side; see run_bench.c for what each measures. */
extern const bench_ops bench_ext_counter_inc;
extern const bench_ops bench_ext_labeled_inc;
extern const bench_ops bench_ext_histogram_observe;
extern const bench_ops bench_ext_native_histogram_observe;
extern const bench_ops bench_ext_summary_observe;
extern const bench_ops bench_ext_expose;
extern const bench_ops bench_ext_series_memory;

extern const bench_ops bench_cpp_counter_inc;
extern const bench_ops bench_cpp_labeled_inc;
extern const bench_ops bench_cpp_histogram_observe;
extern const bench_ops bench_cpp_summary_observe;
extern const bench_ops bench_cpp_expose;
extern const bench_ops bench_cpp_series_memory;

/*
 * Shared inputs, filled by bench_inputs_init() before any setup: label
 * values of the labeled case (realistic method and status code) and of
 * the 100k cases, and observation values spread over the default
 * histogram buckets (0.005 .. 10 seconds, and a few above).
 */
extern const char *const bench_method[10];
extern const char *const bench_code[10];
extern const char *bench_big_a[BENCH_BIG_A];
extern const char *bench_big_b[BENCH_BIG_B];
extern double bench_values[BENCH_VALUE_COUNT];

void bench_inputs_init(void);

/*
 * CPU time of the process handler (and its lock-mode report threads) with
 * 10,000 registered workers at the default period, in percent of one core
 * (process_bench.c); -1 if not every worker came up.
 */
double bench_handler_cpu_percent(void);

/* Print a message and exit with status 1 (set-up failures). */
void bench_fail(const char *what, const char *detail);

#ifdef __cplusplus
}
#endif

#endif /* EXTATUS_BENCH_H */
