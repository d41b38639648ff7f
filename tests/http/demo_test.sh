#!/bin/sh
# demo_test.sh - `make demo`'s program with real clients: it prints the
# URLs it serves; within 15 s of start /metrics shows the three states
# (2 up, 1 idle, 0 down) at once; GET /events read by curl is a
# Server-Sent Events stream (`connected`, the current state of every
# worker, then transitions as JSON `data:` lines); SIGINT and SIGTERM stop
# it cleanly.
#
# Usage: demo_test.sh DEMO   (environment: CURL)
set -u
me=demo_test
demo=$1
CURL=${CURL:-curl}
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-demo.XXXXXX")
demo_pid=

fail() {
    echo "$me: FAIL: $*" >&2
    [ -f "$work/out" ] && sed 's/^/  demo: /' "$work/out" >&2
    exit 1
}
cleanup() {
    [ -n "$demo_pid" ] && kill -KILL "$demo_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
command -v "$CURL" >/dev/null 2>&1 || fail "curl not found (Debian package curl; make test installs it)"

# Start the demo with the given environment; sets $demo_pid and $port.
start_demo() {
    : >"$work/out"
    env "$@" "$demo" >"$work/out" 2>&1 &
    demo_pid=$!
    tries=0
    until port=$(sed -n 's|.*metrics: *http://localhost:\([0-9]*\)/metrics.*|\1|p' "$work/out") &&
        [ -n "$port" ]; do
        kill -0 "$demo_pid" 2>/dev/null || fail "the demo exited before serving"
        tries=$((tries + 1))
        [ $tries -le 100 ] || fail "the demo printed no metrics URL within 10 s"
        sleep 0.1
    done
}

stop_demo() { # SIGNAL: stop the demo with it, expect a clean exit
    kill -"$1" "$demo_pid"
    wait "$demo_pid"
    status=$?
    demo_pid=
    [ "$status" -eq 0 ] || fail "the demo exited with status $status after SIG$1"
    grep -q 'extatus demo: stopped' "$work/out" || fail "no clean stop after SIG$1"
}

# 1. The default period: all three values on /metrics within 15 s.
start_demo EXTATUS_PORT=0
grep -q "status events: http://localhost:$port/events" "$work/out" || fail "no events URL printed"
grep -q "workers page: *http://localhost:$port/" "$work/out" || fail "no page URL printed"
start=$(date +%s)
seen=
while [ $(($(date +%s) - start)) -lt 15 ]; do
    "$CURL" -sf "http://127.0.0.1:$port/metrics" >"$work/metrics" || fail "GET /metrics failed"
    values=$(sed -n 's/^extatus_process_activity{name="[a-z_]*"} \([012]\)$/\1/p' "$work/metrics" |
        sort -u | tr -d '\n')
    if [ "$values" = "012" ]; then
        seen=yes
        break
    fi
    sleep 0.25
done
[ -n "$seen" ] || fail "within 15 s /metrics never showed 2, 1 and 0 together; last: $(grep activity "$work/metrics")"
grep -q '^instrument_gauge{label="steady_counter"} ' "$work/metrics" || fail "no instrument_gauge"
grep -q '^extatus_process_exits_total{name="short_counter",reason="normal"} 1$' "$work/metrics" ||
    fail "short_counter's exit not counted"
echo "$me: 2, 1 and 0 on /metrics after $(($(date +%s) - start)) s"
stop_demo INT

# 2. A short period: /events by curl.
start_demo EXTATUS_PORT=0 EXTATUS_TIMEOUT=100
sleep 1.5
"$CURL" -sN --max-time 3 "http://127.0.0.1:$port/events" >"$work/events"
[ $? -eq 28 ] || fail "the event stream did not stay open until curl's --max-time"
head -n 3 "$work/events" | grep -q '^event: connected$' || fail "no 'connected' event first"
for name in steady_counter busy_counter short_counter job_queue; do
    grep -q "^data: {\"name\":\"$name\",\"state\":\"[a-z]*\"" "$work/events" ||
        fail "no event for $name (the replay of the current state)"
done
grep -q '^data: {"name":"busy_counter","state":"idle"' "$work/events" ||
    fail "busy_counter's transition to idle was not streamed"
grep -q '"state":"up","value":2,"reason":"answered"' "$work/events" || fail "no up event"
sequences=$(sed -n 's/.*"sequence":\([0-9]*\),.*/\1/p' "$work/events" | wc -l)
[ "$sequences" -ge 8 ] || fail "only $sequences events in 3 s"
"$CURL" -sI "http://127.0.0.1:$port/events" | tr -d '\r' | grep -qi '^content-type: text/event-stream$' ||
    fail "HEAD /events: no text/event-stream"
stop_demo TERM
echo "$me: /events streamed $sequences events; SIGINT and SIGTERM stop cleanly"
