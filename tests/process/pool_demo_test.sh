#!/bin/sh
# pool_demo_test.sh - the worker pool of `make demo`, scraped from outside.
# The demo runs with a 400 ms period (long enough that a loaded machine
# does not starve a worker for one); /metrics is scraped about four times
# a period for four cycles of eight periods. Every scrape must show
# pool_worker_1, _2 and _3 at 2 (waiting for work is answering);
# pool_worker_4 may show 1 only while it is stuck outside its wait (the
# demo's gauge pool_stuck is 1), or within 1.5 periods after (the handler
# sees it back at its next verdict), and must show 1 in every stuck window
# (within 1.5 periods after the window, when the verdict falls then).
#
# Usage: pool_demo_test.sh DEMO   (environment: CURL)
set -u
me=pool_demo_test
demo=$1
CURL=${CURL:-curl}
PERIOD=400 # ms
CYCLES=4
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-pool.XXXXXX")
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

EXTATUS_PORT=0 EXTATUS_TIMEOUT=$PERIOD "$demo" >"$work/out" 2>&1 &
demo_pid=$!
tries=0
until port=$(sed -n 's|.*metrics: *http://localhost:\([0-9]*\)/metrics.*|\1|p' "$work/out" 2>/dev/null) &&
    [ -n "$port" ]; do
    kill -0 "$demo_pid" 2>/dev/null || fail "the demo exited before serving"
    tries=$((tries + 1))
    [ $tries -le 100 ] || fail "the demo printed no metrics URL within 10 s"
    sleep 0.1
done

# One line per scrape: time (ms), pool_worker_1..4, pool_stuck ("-" when absent).
now_ms() { echo $(($(date +%s%N) / 1000000)); }
start=$(now_ms)
until=$((start + CYCLES * 8 * PERIOD + 2 * PERIOD))
: >"$work/samples"
while [ "$(now_ms)" -lt "$until" ]; do
    t=$(now_ms)
    "$CURL" -sf "http://127.0.0.1:$port/metrics" >"$work/metrics" || fail "GET /metrics failed"
    awk -v t="$t" '
        /^extatus_process_activity\{name="pool_worker_[1-4]"\} / {
            n = substr($1, length("extatus_process_activity{name=\"pool_worker_") + 1, 1)
            v[n] = $2
        }
        /^pool_stuck / { stuck = $2 }
        END {
            printf "%s", t
            for (n = 1; n <= 4; n++) printf " %s", (n in v) ? v[n] : "-"
            printf " %s\n", stuck == "" ? "-" : stuck
        }' "$work/metrics" >>"$work/samples"
    sleep 0.03
done
kill -TERM "$demo_pid"
wait "$demo_pid"
status=$?
demo_pid=
[ "$status" -eq 0 ] || fail "the demo exited with status $status after SIGTERM"

awk -v period="$PERIOD" -v cycles="$CYCLES" '
    function bad(message) { print "'"$me"': FAIL: " message > "/dev/stderr"; failed = 1 }
    {
        n++; t[n] = $1; s[n] = $6
        for (w = 1; w <= 4; w++) v[n, w] = $(w + 1)
    }
    END {
        late = 1.5 * period
        for (i = 1; i <= n; i++) {
            if (v[i, 1] == "-" || v[i, 2] == "-" || v[i, 3] == "-" || v[i, 4] == "-" || s[i] == "-") {
                if (seen) bad("a pool series disappeared at " t[i] - t[1] " ms")
                continue # the pool is still registering
            }
            seen++
            for (w = 1; w <= 3; w++)
                if (v[i, w] != 2) bad("pool_worker_" w " was " v[i, w] " at " t[i] - t[1] " ms")
            if (v[i, 4] == 1) {
                idle++
                explained = 0
                gap = i > 1 ? t[i] - t[i - 1] : 0 # a slow scrape may hide the stuck sample
                for (j = i; j >= 1 && t[j] >= t[i] - late - gap; j--)
                    if (s[j] == 1) explained = 1
                if (!explained) bad("pool_worker_4 was 1 while not stuck, at " t[i] - t[1] " ms")
            } else if (v[i, 4] != 2) {
                bad("pool_worker_4 was " v[i, 4] " at " t[i] - t[1] " ms")
            }
            if (s[i] == 1 && (i == 1 || s[i - 1] != 1)) { # a stuck window starts
                windows++
                for (e = i; e < n && s[e + 1] == 1; e++) ;
                shown = 0
                for (j = i; j <= n && t[j] <= t[e] + late + period; j++)
                    if (v[j, 4] == 1) shown = 1
                if (t[e] + late + period <= t[n] && !shown)
                    bad("pool_worker_4 never showed 1 in the stuck window at " t[i] - t[1] " ms")
                if (shown) windows_shown++
            }
        }
        if (seen < cycles * 8 * 2) bad("only " seen " scrapes with the pool")
        if (windows < cycles - 1) bad("only " windows " stuck windows in " cycles " cycles")
        if (!failed)
            printf "'"$me"': %d scrapes: pool_worker_1..3 always 2; pool_worker_4 stuck %d times, 1 in %d of them, %d scrapes at 1, all while stuck\n", seen, windows, windows_shown, idle
        exit failed
    }' "$work/samples" || fail "see above (samples: $(wc -l <"$work/samples"))"
