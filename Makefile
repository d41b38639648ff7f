# Thin wrapper around CMake: `make demo` and `make test` do everything on a
# fresh Debian machine (missing packages are installed when run as root).

BUILD       ?= build
BENCH_BUILD ?= build-bench
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX      ?= /usr/local

# libmicrohttpd-dev and libdeflate-dev build the exporter library
# extatus-http, libyaml-dev the configuration-file library extatus-yaml
# (the core library needs none of them); libcurl4-openssl-dev and
# zlib1g-dev the push library extatus-push.
# lowdown turns the Markdown reference pages into man pages, which the
# tests read back with man-db's man; graphite-carbon and python3-whisper
# (whisper-fetch) are the line reporter's real receiver in its test;
# prometheus-pushgateway is the push library's; prometheus, victoria-metrics,
# protobuf-compiler (protoc) and python3-snappy check its remote write.
BUILD_DEPS = cmake make gcc pkg-config libc6-dev libmicrohttpd-dev libdeflate-dev libyaml-dev \
             lowdown libcurl4-openssl-dev zlib1g-dev libsnappy-dev
TEST_DEPS  = $(BUILD_DEPS) g++ libcmocka-dev prometheus python3-prometheus-client locales valgrind clang-tidy cppcheck \
             clang-format curl openssl zlib1g-dev gzip wrk chromium man-db graphite-carbon \
             python3-whisper prometheus-pushgateway systemd protobuf-compiler python3-snappy \
             victoria-metrics
BENCH_DEPS = $(BUILD_DEPS) g++ prometheus-cpp-dev wrk curl zlib1g-dev libprotobuf-c-dev protobuf-c-compiler \
             prometheus gnuplot-nox

CMAKE_FLAGS = -DEXTATUS_WERROR=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX)

# The build's own make runs print no "Entering directory" lines.
MAKEFLAGS += --no-print-directory

.PHONY: all build demo test test-quick test-build bench fuzz install uninstall clean format deps-build \
        deps-test deps-bench

all: build

deps-build:
	@scripts/install-deps.sh $(BUILD_DEPS)

deps-test:
	@scripts/install-deps.sh $(TEST_DEPS)

deps-bench:
	@scripts/install-deps.sh $(BENCH_DEPS)

build: deps-build
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DBUILD_TESTING=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	$(BUILD)/examples/demo

# Every test; the CTest summary comes last.
test: test-build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The quick loop while developing: everything but the tests labelled slow
# (lint, valgrind, the real Prometheus and Chromium, load, attacks).
test-quick: test-build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE slow

test-build: deps-test
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) -DBUILD_TESTING=ON >/dev/null
	@echo "extatus: building (log in $(BUILD)/build.log)"
	@cmake --build $(BUILD) -j $(JOBS) >$(BUILD)/build.log 2>&1 || { cat $(BUILD)/build.log; exit 1; }

bench: deps-bench
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DEXTATUS_BUILD_BENCH=ON \
	    -DBUILD_TESTING=OFF -DEXTATUS_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build $(BENCH_BUILD) -j $(JOBS)
	$(BENCH_BUILD)/bench/run-bench
	$(BENCH_BUILD)/bench/scale-bench | tee $(BENCH_BUILD)/scale.txt
	sh bench/scale_plot.sh $(BENCH_BUILD)/scale.txt $(BENCH_BUILD)/performance-scale.png
	$(BENCH_BUILD)/bench/http-gzip-choice
	$(BENCH_BUILD)/bench/proto-encoder-choice
	/usr/bin/python3 bench/remote_write_bench.py $(BENCH_BUILD)/bench
	sh bench/http_bench.sh $(BENCH_BUILD)/bench
	$(BENCH_BUILD)/bench/extatusd-bench $(BENCH_BUILD)/tools/extatusd/extatusd
	$(BENCH_BUILD)/bench/extatusd-bench --floor

# Fuzz every target with libFuzzer for FUZZ_SECONDS each, growing a copy
# of its corpus under build-fuzz/corpus (merge new inputs back by hand).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps.sh $(BUILD_DEPS) clang libclang-rt-14-dev
	CC=clang cmake -S . -B build-fuzz -DEXTATUS_FUZZ=ON -DBUILD_TESTING=OFF \
	    -DEXTATUS_BUILD_EXAMPLES=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS)
	for target in $$(ls fuzz/*_fuzz.c | sed 's|fuzz/||; s|_fuzz.c||'); do \
	    mkdir -p build-fuzz/corpus/$$target && cp fuzz/corpus/$$target/* build-fuzz/corpus/$$target/; \
	    build-fuzz/fuzz/fuzz_$$target -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	        -dict=fuzz/$$target.dict \
	        build-fuzz/corpus/$$target || exit 1; \
	done

install: build
	cmake --install $(BUILD)

# Removes what the last `make install` of this build tree installed.
uninstall:
	cmake --build $(BUILD) --target uninstall

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cc')

clean:
	rm -rf $(BUILD) $(BENCH_BUILD) build-fuzz
