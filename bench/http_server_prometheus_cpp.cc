/*
 * http_server_prometheus_cpp.cc - the prometheus-cpp side of the HTTP
 * benchmark: the same 10,000 counter series as http_server_extatus.c,
 * served by prometheus-cpp's Exposer (civetweb) on 127.0.0.1, any free
 * port, 2 server threads. Prints the port, serves until SIGTERM or SIGINT.
 */
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>

#include "http_bench.h"

int main()
{
    sigset_t signals;
    int signal_number;
    char handler[32];
    char instance[32];

    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto registry = std::make_shared<prometheus::Registry>();
    auto &family = prometheus::BuildCounter()
                       .Name(HTTP_BENCH_METRIC)
                       .Help("Requests handled.")
                       .Register(*registry);
    for (unsigned i = 0; i < HTTP_BENCH_HANDLERS; i++) {
        for (unsigned j = 0; j < HTTP_BENCH_INSTANCES; j++) {
            http_bench_label(handler, sizeof handler, "handler_", i);
            http_bench_label(instance, sizeof instance, "node_", j);
            family.Add({{"handler", handler}, {"instance", instance}})
                .Increment(1.0 + i * HTTP_BENCH_INSTANCES + j);
        }
    }
    prometheus::Exposer exposer("127.0.0.1:0", HTTP_BENCH_THREADS);
    exposer.RegisterCollectable(registry);
    auto ports = exposer.GetListeningPorts();
    if (ports.empty()) {
        std::fprintf(stderr, "http_server_prometheus_cpp: no listening port\n");
        return 1;
    }
    std::printf("%d\n", ports[0]);
    std::fflush(stdout);
    sigwait(&signals, &signal_number);
    return 0;
}
