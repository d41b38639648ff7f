#!/bin/sh
# The HTTP side-by-side benchmark: wrk against /metrics of extatus's
# exporter and of prometheus-cpp's Exposer, both serving the same 10,000
# counter series on 127.0.0.1 with 2 server threads, 2 connections for
# 10 s, plain and with Accept-Encoding: gzip. The runs alternate between
# the two servers. Prints, higher being better:
#   BENCH name=http_10k_plain unit=req_per_s extatus=<x> prometheus_cpp=<y>
#   BENCH name=http_10k_gzip unit=req_per_s extatus=<x> prometheus_cpp=<y>
#
# Usage: http_bench.sh BENCH_BUILD_DIR   (holds http-server-extatus and
#        http-server-prometheus-cpp). Environment: WRK, CURL, DURATION (10s).
set -eu

me="http_bench"
dir=$1
wrk=${WRK:-wrk}
curl=${CURL:-curl}
duration=${DURATION:-10s}
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-http-bench.XXXXXX")
pids=""
cleanup() {
    for pid in $pids; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "$me: FAIL: $*" >&2
    exit 1
}
for tool in "$wrk" "$curl"; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' not found (make bench installs wrk)"
done

# start NAME PROGRAM: run a server, read the port it prints.
start() {
    "$2" >"$work/$1.port" 2>"$work/$1.log" &
    pids="$pids $!"
    tries=0
    while [ ! -s "$work/$1.port" ]; do
        tries=$((tries + 1))
        [ $tries -le 200 ] || fail "$1 printed no port: $(cat "$work/$1.log")"
        sleep 0.05
    done
    eval "port_$1=$(head -n 1 "$work/$1.port")"
}
start extatus "$dir/http-server-extatus"
start prometheus_cpp "$dir/http-server-prometheus-cpp"

# Both serve the same 10,000 series, and gzip when asked.
for side in extatus prometheus_cpp; do
    eval "url=http://127.0.0.1:\$port_$side/metrics"
    series=$("$curl" -fsS "$url" | grep -c '^bench_requests_total{') || fail "$side: GET $url"
    [ "$series" -eq 10000 ] || fail "$side serves $series series, not 10000"
    encoding=$("$curl" -fsS -o /dev/null -D - -H 'Accept-Encoding: gzip' "$url" | tr -d '\r' |
        awk 'tolower($1) == "content-encoding:" { print $2 }')
    [ "$encoding" = gzip ] || fail "$side does not gzip (Content-Encoding '$encoding')"
    size=$("$curl" -fsS "$url" | wc -c)
    zsize=$("$curl" -fsS -H 'Accept-Encoding: gzip' "$url" | wc -c)
    echo "$me: $side: $series series, $size bytes plain, $zsize bytes gzip" >&2
done

# run SIDE MODE: requests per second of one wrk run.
run() {
    eval "url=http://127.0.0.1:\$port_$1/metrics"
    if [ "$2" = gzip ]; then
        "$wrk" -t2 -c2 -d"$duration" -H 'Accept-Encoding: gzip' "$url" >"$work/wrk.out" 2>&1
    else
        "$wrk" -t2 -c2 -d"$duration" "$url" >"$work/wrk.out" 2>&1
    fi || fail "wrk failed: $(cat "$work/wrk.out")"
    if grep -q 'Non-2xx' "$work/wrk.out"; then
        fail "$1 $2: errors: $(cat "$work/wrk.out")"
    fi
    if grep -q 'Socket errors' "$work/wrk.out"; then
        echo "$me: $1 $2: $(grep 'Socket errors' "$work/wrk.out")" >&2
    fi
    awk '/^Requests\/sec:/ { print $2 }' "$work/wrk.out"
}

for mode in plain gzip; do
    a=$(run extatus $mode)
    b=$(run prometheus_cpp $mode)
    echo "BENCH name=http_10k_$mode unit=req_per_s extatus=$a prometheus_cpp=$b"
    awk -v a="$a" -v b="$b" -v m="$mode" \
        'BEGIN { printf "http_10k_%s: extatus / prometheus-cpp = %.1fx (higher is better)\n", m, a / b }' >&2
done
