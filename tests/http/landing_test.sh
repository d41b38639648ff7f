#!/bin/sh
# landing_test.sh - the landing page in a real browser: headless Chromium
# loads http://.../ from the demo, whose JavaScript follows /events. When
# the demo stops, the stream ends and Chromium dumps the page: every
# worker must have its row, and the rows must have changed state
# (busy_counter went idle and came back, short_counter went down and was
# restarted).
#
# Usage: landing_test.sh DEMO   (environment: CHROMIUM)
set -u
me=landing_test
demo=$1
CHROMIUM=${CHROMIUM:-chromium}
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-landing.XXXXXX")
demo_pid=
browser_pid=

fail() {
    echo "$me: FAIL: $*" >&2
    exit 1
}
cleanup() {
    [ -n "$demo_pid" ] && kill -KILL "$demo_pid" 2>/dev/null
    [ -n "$browser_pid" ] && kill -KILL "$browser_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
command -v "$CHROMIUM" >/dev/null 2>&1 ||
    fail "chromium not found (Debian package chromium; make test installs it)"

: >"$work/out"
EXTATUS_PORT=0 EXTATUS_TIMEOUT=100 "$demo" >"$work/out" 2>&1 &
demo_pid=$!
tries=0
until port=$(sed -n 's|.*metrics: *http://localhost:\([0-9]*\)/metrics.*|\1|p' "$work/out") &&
    [ -n "$port" ]; do
    kill -0 "$demo_pid" 2>/dev/null || fail "the demo exited before serving"
    tries=$((tries + 1))
    [ $tries -le 100 ] || fail "the demo printed no URL within 10 s"
    sleep 0.1
done

# Chromium keeps the page open while the event stream is; its virtual-time
# budget only runs out once the stream has ended.
HOME=$work "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
    --user-data-dir="$work/profile" --virtual-time-budget=10000 \
    --dump-dom "http://127.0.0.1:$port/" >"$work/dom.html" 2>"$work/chromium.log" &
browser_pid=$!
sleep 5
kill -TERM "$demo_pid"
wait "$demo_pid" || fail "the demo did not stop cleanly"
demo_pid=
tries=0
while kill -0 "$browser_pid" 2>/dev/null; do
    tries=$((tries + 1))
    [ $tries -le 300 ] || fail "chromium did not finish within 30 s of the stream's end"
    sleep 0.1
done
wait "$browser_pid"
browser_pid=

grep -q '<title>extatus exporter</title>' "$work/dom.html" || {
    sed 's/^/  chromium: /' "$work/chromium.log" >&2
    fail "chromium dumped no page"
}
for name in steady_counter busy_counter short_counter job_queue; do
    grep -q "<tr data-name=\"$name\"" "$work/dom.html" || fail "no row for $name"
done
history_of() {
    sed -n "s/.*<tr data-name=\"$1\" data-history=\"\([a-z ]*\)\".*/\1/p" "$work/dom.html"
}
busy=$(history_of busy_counter)
short=$(history_of short_counter)
case "$busy" in *"up idle up"*) ;; *) fail "busy_counter's row did not go up, idle, up: '$busy'" ;; esac
case "$short" in *"down up"*) ;; *) fail "short_counter's row did not go down and up: '$short'" ;; esac
steady=$(history_of steady_counter)
case "$steady" in "up"*) ;; *) fail "steady_counter's row did not show up first: '$steady'" ;; esac
# The demo's stop took every worker down; the page showed that too.
grep -q '<td class="state">down (0)</td><td class="reason">shutdown</td>' "$work/dom.html" ||
    fail "no row showing 'down (0)' for the shutdown"
echo "$me: rows for 4 workers; busy_counter: $busy; short_counter: $short"
