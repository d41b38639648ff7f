#!/bin/sh
# The HTTP examples do what their comments say.
#
# Usage: examples_test.sh EXPORTER_EXAMPLE EMBED_RENDER_EXAMPLE
#   examples/exporter.c      settings from environment and flags, bad values
#                            named in the error, /metrics served
#   examples/embed_render.c  a server of its own serving extatus_scrape_render():
#                            same Content-Types, gzip and self-metrics as the exporter
# Environment: CURL (default: from PATH).
set -eu

me="http_examples"
exporter=$1
embed=$2
curl=${CURL:-curl}
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-examples.XXXXXX")
. "$(dirname "$0")/lib.sh"
pid=
finish() {
    [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null || true
    [ -z "$pid" ] || wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap finish EXIT
trap 'exit 1' INT TERM HUP
need_tool "$curl" curl

TEXT='text/plain; version=0.0.4; charset=utf-8'
OM='application/openmetrics-text; version=1.0.0; charset=utf-8'

# wait_port LOG: the port number printed in LOG by a starting example.
wait_port() {
    tries=0
    while ! grep -q 'port [0-9]*\|:[0-9]*/metrics' "$1" 2>/dev/null; do
        kill -0 "$pid" 2>/dev/null || fail "the example exited: $(cat "$1")"
        tries=$((tries + 1))
        [ $tries -le 100 ] || fail "the example printed no port within 10 s"
        sleep 0.1
    done
    sed -n 's/.* port \([0-9]*\).*/\1/p; s/.*:\([0-9]*\)\/metrics.*/\1/p' "$1" | head -n 1
}

# 1. examples/exporter: bad values are named.
if EXTATUS_TIMEOUT=soon "$exporter" >"$work/out" 2>&1; then fail "EXTATUS_TIMEOUT=soon was accepted"; fi
grep -q "EXTATUS_TIMEOUT='soon'" "$work/out" || fail "no variable and value in: $(cat "$work/out")"
if "$exporter" --port=99999 >"$work/out" 2>&1; then fail "--port=99999 was accepted"; fi
grep -q -- "--port='99999'" "$work/out" || fail "no flag and value in: $(cat "$work/out")"

# The flag wins over the environment; port 0 is any free port.
EXTATUS_PORT=1 "$exporter" --port=0 --timeout=20 >"$work/exporter.log" 2>&1 &
pid=$!
port=$(wait_port "$work/exporter.log")
[ "$port" -gt 1 ] || fail "the exporter example serves on port '$port'"
sleep 0.2
body=$("$curl" -fsS "http://127.0.0.1:$port/metrics") || fail "GET /metrics from the exporter example"
printf '%s\n' "$body" | grep -q '^example_jobs_total [1-9]' || fail "example_jobs_total not counting: $body"
kill -TERM "$pid"
wait "$pid" || fail "the exporter example did not exit cleanly on SIGTERM"
pid=

# 2. examples/embed_render: three requests, then it exits.
"$embed" 0 3 >"$work/embed.log" 2>&1 &
pid=$!
port=$(wait_port "$work/embed.log")
"$curl" -sS -D "$work/h1" -o "$work/b1" "http://127.0.0.1:$port/metrics" || fail "plain GET"
tr -d '\r' <"$work/h1" | grep -q -x "Content-Type: $TEXT" || fail "plain GET: $(cat "$work/h1")"
grep -q '^embed_hits_total 1$' "$work/b1" || fail "plain GET body: $(cat "$work/b1")"
"$curl" -sS -D "$work/h2" -o "$work/b2" -H 'Accept-Encoding: gzip' \
    -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5' \
    "http://127.0.0.1:$port/metrics" || fail "OpenMetrics gzip GET"
tr -d '\r' <"$work/h2" | grep -q -x "Content-Type: $OM" || fail "OpenMetrics GET: $(cat "$work/h2")"
tr -d '\r' <"$work/h2" | grep -q -x "Content-Encoding: gzip" || fail "gzip GET: $(cat "$work/h2")"
gzip -dc <"$work/b2" | tail -n 1 | grep -q -x '# EOF' || fail "the gzip OpenMetrics body"
"$curl" -sS -o "$work/b3" "http://127.0.0.1:$port/metrics" || fail "third GET"
grep -q "^extatus_scrape_size_bytes_count{registry=\"default\",content_type=\"$TEXT\"} 1$" "$work/b3" ||
    fail "self-metrics of the embedded server: $(grep extatus_scrape "$work/b3")"
grep -q "^extatus_scrape_size_bytes_count{registry=\"default\",content_type=\"$OM\"} 1$" "$work/b3" ||
    fail "self-metrics of the embedded server (OpenMetrics)"
wait "$pid" || fail "embed_render did not exit after its requests"
pid=
echo "$me: ok"
