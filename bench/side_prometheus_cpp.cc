/*
 * side_prometheus_cpp.cc - the prometheus-cpp side of each case, written
 * the way its documentation shows: Build*() families in a Registry,
 * Family::Add() to reach a series, Collect() plus TextSerializer to render.
 */
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/summary.h>
#include <prometheus/text_serializer.h>

#include "bench.h"

namespace
{

using prometheus::Counter;
using prometheus::Family;
using prometheus::Histogram;
using prometheus::Registry;
using prometheus::Summary;

/* ---- counter_inc, counter_inc_2threads ------------------------------- */

struct CounterState {
    Registry registry;
    Counter *counter = nullptr;
};

void *counter_setup()
{
    auto *state = new CounterState;
    auto &family = prometheus::BuildCounter()
                       .Name("bench_ops_total")
                       .Help("Operations.")
                       .Register(state->registry);
    state->counter = &family.Add({});
    return state;
}

uint64_t counter_run(void *opaque, uint64_t n, unsigned)
{
    Counter *counter = static_cast<CounterState *>(opaque)->counter;
    for (uint64_t i = 0; i < n; i++)
        counter->Increment();
    return n;
}

uint64_t counter_finish(void *opaque)
{
    auto *state = static_cast<CounterState *>(opaque);
    auto value = static_cast<uint64_t>(state->counter->Value());
    delete state;
    return value;
}

/* ---- labeled_inc ------------------------------------------------------- */

struct LabeledState {
    Registry registry;
    Family<Counter> *family = nullptr;
    unsigned next[2] = {0, 0}; /* per thread: next series index */
};

void *labeled_setup()
{
    auto *state = new LabeledState;
    state->family = &prometheus::BuildCounter()
                         .Name("bench_requests_total")
                         .Help("Requests.")
                         .Register(state->registry);
    for (unsigned i = 0; i < BENCH_LABELED_SERIES; i++)
        state->family->Add({{"method", bench_method[i / 10]}, {"code", bench_code[i % 10]}});
    return state;
}

uint64_t labeled_run(void *opaque, uint64_t n, unsigned thread)
{
    auto *state = static_cast<LabeledState *>(opaque);
    Family<Counter> &family = *state->family;
    unsigned j = state->next[thread];
    for (uint64_t i = 0; i < n; i++) {
        family.Add({{"method", bench_method[j / 10]}, {"code", bench_code[j % 10]}}).Increment();
        j += 37; /* coprime with 100: visits every series, not in order */
        if (j >= BENCH_LABELED_SERIES)
            j -= BENCH_LABELED_SERIES;
    }
    state->next[thread] = j;
    return n;
}

uint64_t labeled_finish(void *opaque)
{
    auto *state = static_cast<LabeledState *>(opaque);
    double total = 0;
    for (unsigned i = 0; i < BENCH_LABELED_SERIES; i++)
        total +=
            state->family->Add({{"method", bench_method[i / 10]}, {"code", bench_code[i % 10]}})
                .Value();
    delete state;
    return static_cast<uint64_t>(total);
}

/* ---- histogram_observe ------------------------------------------------- */

struct HistogramState {
    Registry registry;
    Histogram *histogram = nullptr;
};

void *histogram_setup()
{
    auto *state = new HistogramState;
    auto &family = prometheus::BuildHistogram()
                       .Name("bench_latency_seconds")
                       .Help("Latency.")
                       .Register(state->registry);
    /* Prometheus' default buckets, as extatus_buckets_default() has them. */
    state->histogram = &family.Add(
        {}, Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
    return state;
}

uint64_t histogram_run(void *opaque, uint64_t n, unsigned)
{
    Histogram *histogram = static_cast<HistogramState *>(opaque)->histogram;
    for (uint64_t i = 0; i < n; i++)
        histogram->Observe(bench_values[i % BENCH_VALUE_COUNT]);
    return n;
}

uint64_t histogram_finish(void *opaque)
{
    auto *state = static_cast<HistogramState *>(opaque);
    uint64_t count = state->histogram->Collect().histogram.sample_count;
    delete state;
    return count;
}

/* ---- summary_observe --------------------------------------------------- */

struct SummaryState {
    Registry registry;
    Summary *summary = nullptr;
};

void *summary_setup()
{
    auto *state = new SummaryState;
    auto &family = prometheus::BuildSummary()
                       .Name("bench_latency_seconds")
                       .Help("Latency.")
                       .Register(state->registry);
    /* Default max_age (60 s) and age_buckets (5). */
    state->summary = &family.Add({}, Summary::Quantiles{{0.5, 0.05}, {0.9, 0.01}, {0.99, 0.001}});
    return state;
}

uint64_t summary_run(void *opaque, uint64_t n, unsigned)
{
    Summary *summary = static_cast<SummaryState *>(opaque)->summary;
    for (uint64_t i = 0; i < n; i++)
        summary->Observe(bench_values[i % BENCH_VALUE_COUNT]);
    return n;
}

uint64_t summary_finish(void *opaque)
{
    auto *state = static_cast<SummaryState *>(opaque);
    uint64_t count = state->summary->Collect().summary.sample_count;
    delete state;
    return count;
}

/* ---- expose_100k and bytes_per_series ---------------------------------- */

struct BigState {
    Registry registry;
    Family<Counter> *family = nullptr;
    uint64_t bytes = 0; /* rendered so far */
};

BigState *big_new()
{
    auto *state = new BigState;
    state->family = &prometheus::BuildCounter()
                         .Name("bench_items_total")
                         .Help("Items handled.")
                         .Register(state->registry);
    return state;
}

/* Create series [0, n) of the big family and add a varying amount to each. */
void big_fill(BigState *state, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        Counter &counter = state->family->Add({{"handler", bench_big_a[i / BENCH_BIG_B]},
                                               {"instance", bench_big_b[i % BENCH_BIG_B]}});
        counter.Increment(static_cast<double>(i % 1000 + 1));
    }
}

void *expose_setup()
{
    BigState *state = big_new();
    big_fill(state, BENCH_BIG_SERIES);
    return state;
}

uint64_t expose_run(void *opaque, uint64_t n, unsigned)
{
    auto *state = static_cast<BigState *>(opaque);
    prometheus::TextSerializer serializer;
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < n; i++) {
        std::string text = serializer.Serialize(state->registry.Collect());
        bytes += text.size();
    }
    state->bytes += bytes;
    return bytes;
}

uint64_t big_finish(void *opaque)
{
    auto *state = static_cast<BigState *>(opaque);
    uint64_t bytes = state->bytes;
    delete state;
    return bytes;
}

void *memory_setup()
{
    return big_new();
}

uint64_t memory_run(void *opaque, uint64_t n, unsigned)
{
    big_fill(static_cast<BigState *>(opaque), n);
    return n;
}

} // namespace

extern "C" {
const bench_ops bench_cpp_counter_inc = {counter_setup, counter_run, counter_finish};
const bench_ops bench_cpp_labeled_inc = {labeled_setup, labeled_run, labeled_finish};
const bench_ops bench_cpp_histogram_observe = {histogram_setup, histogram_run, histogram_finish};
const bench_ops bench_cpp_summary_observe = {summary_setup, summary_run, summary_finish};
const bench_ops bench_cpp_expose = {expose_setup, expose_run, big_finish};
const bench_ops bench_cpp_series_memory = {memory_setup, memory_run, big_finish};
}
