#!/bin/sh
# A real Prometheus (the Debian package) scrapes the exporter every second.
#
# Usage: prometheus_test.sh openmetrics|text HTTP_SERVE
#   openmetrics  the exporter negotiates; Prometheus asks for OpenMetrics
#   text         the exporter is forced to text 0.0.4
# Prometheus runs on a free loopback port with its own configuration and
# data folder in a temporary directory. Through its HTTP API the test
# checks that `up` is 1 and stayed 1, that the target is healthy with no
# last error, and that the expected series, the self-metrics included,
# are stored with the right values. Everything it starts is stopped on exit.
# Environment: PROMETHEUS, CURL (defaults: from PATH).
set -eu

mode=$1
serve=$2
me="http_prometheus_$mode"
prometheus=${PROMETHEUS:-prometheus}
curl=${CURL:-curl}
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-prometheus.XXXXXX")
. "$(dirname "$0")/lib.sh"

prometheus_pid=
stop_prometheus() {
    if [ -n "$prometheus_pid" ]; then
        kill -TERM "$prometheus_pid" 2>/dev/null || true
        wait "$prometheus_pid" 2>/dev/null || true
        prometheus_pid=
    fi
}
trap 'stop_prometheus; cleanup' EXIT
trap 'exit 1' INT TERM HUP

need_tool "$prometheus" prometheus
need_tool "$curl" curl
[ -x "$serve" ] || fail "'$serve' is not an executable"

TEXT='text/plain; version=0.0.4; charset=utf-8'
OM='application/openmetrics-text; version=1.0.0; charset=utf-8'
case $mode in
openmetrics)
    start_server --bind=127.0.0.1
    served=$OM
    other=$TEXT
    ;;
text)
    start_server --bind=127.0.0.1 --force-text
    served=$TEXT
    other=$OM
    ;;
*) fail "unknown mode '$mode'" ;;
esac

cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: extatus
    static_configs:
      - targets: ['127.0.0.1:$port']
YAML

# Start Prometheus on a free port; retry if another program took it first.
attempt=0
while :; do
    attempt=$((attempt + 1))
    api_port=$("$serve" --free-port) || fail "cannot find a free port"
    rm -rf "$work/data"
    "$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
        --web.listen-address="127.0.0.1:$api_port" --log.level=warn \
        >"$work/prometheus.log" 2>&1 &
    prometheus_pid=$!
    api="http://127.0.0.1:$api_port"
    tries=0
    ready=no
    while [ $tries -lt 300 ]; do
        if ! kill -0 "$prometheus_pid" 2>/dev/null; then
            break
        fi
        if "$curl" -fsS -o /dev/null "$api/-/ready" 2>/dev/null; then
            ready=yes
            break
        fi
        tries=$((tries + 1))
        sleep 0.1
    done
    [ $ready = yes ] && break
    stop_prometheus
    if [ $attempt -ge 3 ]; then
        cat "$work/prometheus.log" >&2
        fail "Prometheus did not become ready"
    fi
done

# query EXPR: the instant query's JSON answer.
query() {
    "$curl" -fsS -G "$api/api/v1/query" --data-urlencode "query=$1" ||
        fail "the query '$1' failed"
}

# value_of EXPR: the value of a query's one result ("" when there is none).
value_of() {
    query "$1" | sed -n 's/.*"value":\[[0-9.e+]*,"\([^"]*\)"\].*/\1/p'
}

# Wait until Prometheus has stored at least 4 scrapes of the target.
deadline=$(($(date +%s) + 60))
while :; do
    samples=$(value_of 'count_over_time(up{job="extatus"}[5m])')
    [ -n "$samples" ] && [ "$samples" -ge 4 ] && break
    [ "$(date +%s)" -lt "$deadline" ] ||
        fail "Prometheus stored ${samples:-no} scrapes of the target in 60 s: $(cat "$work/prometheus.log")"
    sleep 0.5
done

# up is 1, and was 1 at every scrape.
[ "$(value_of 'up{job="extatus"}')" = 1 ] || fail "up is not 1: $(query 'up')"
[ "$(value_of 'min_over_time(up{job="extatus"}[5m])')" = 1 ] ||
    fail "a scrape failed: min_over_time(up) is $(value_of 'min_over_time(up{job="extatus"}[5m])')"

# The target is healthy and no error was recorded.
targets=$("$curl" -fsS "$api/api/v1/targets?state=active") || fail "the targets API failed"
printf '%s' "$targets" | grep -q '"health":"up"' || fail "the target is not healthy: $targets"
printf '%s' "$targets" | grep -q '"lastError":""' || fail "the target has a last error: $targets"

# The program's series, with their values.
check() {
    got=$(value_of "$1")
    [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}
check 'test_requests_total{method="GET",code="200"}' 42
check 'test_temperature_celsius' 21.5
check 'test_latency_seconds_bucket{le="+Inf"}' 2
check 'test_latency_seconds_bucket{le="0.05"}' 1
check 'test_latency_seconds_count' 2
check 'test_sizes_bytes_count' 2
check 'test_sizes_bytes_sum' 2560
check 'count(test_sizes_bytes{quantile=~"0.5|0.9"})' 2
[ -n "$(value_of 'test_ticks_total')" ] || fail "test_ticks_total is not stored"

# The self-metrics, labelled with the format Prometheus was served.
check "count(extatus_scrape_duration_seconds_count{registry=\"default\",content_type=\"$served\"})" 1
check "count(extatus_scrape_size_bytes_sum{registry=\"default\",content_type=\"$served\"})" 1
check "count(extatus_scrape_size_bytes_count{content_type=\"$other\"})" ""
count=$(value_of "extatus_scrape_duration_seconds_count{content_type=\"$served\"}")
[ -n "$count" ] && [ "$count" -ge 3 ] || fail "extatus_scrape_duration_seconds_count is '$count'"
requests=$(value_of 'extatus_http_requests_total{code="200"}')
[ -n "$requests" ] && [ "$requests" -ge 3 ] || fail "extatus_http_requests_total{code=\"200\"} is '$requests'"
size=$(value_of "extatus_scrape_size_bytes_sum{content_type=\"$served\"} / extatus_scrape_size_bytes_count{content_type=\"$served\"}")
[ -n "$size" ] || fail "no average scrape size"
awk -v s="$size" 'BEGIN { exit !(s > 1000 && s < 100000) }' || fail "average scrape size $size bytes"

echo "$me: ok ($samples scrapes, served $served)"
