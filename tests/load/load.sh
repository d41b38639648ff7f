#!/usr/bin/env bash
# Load and fault test of the exporter, loopback only, bounded in time:
#  1. wrk against /metrics for DURATION seconds (after a 5 s warm-up) while
#     the target's threads update metrics and create and remove series:
#     zero errors and non-2xx answers; resident memory flat after warm-up;
#  2. 300 idle connections held open while a scrape still answers within 1 s.
# (Malformed requests are tests/http/malformed_test.c.)
# Usage: load.sh LOAD_TARGET [DURATION]
set -euo pipefail

target=$1
duration=${2:-60}
fail() {
    echo "load: FAIL: $*" >&2
    exit 1
}
command -v wrk >/dev/null || fail "wrk is not installed (Debian package wrk)"
command -v curl >/dev/null || fail "curl is not installed"

tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

mkfifo "$tmp/stdin"
"$target" <"$tmp/stdin" >"$tmp/port" &
pid=$!
exec 3>"$tmp/stdin" # the target runs until this closes
for _ in $(seq 100); do
    [ -s "$tmp/port" ] && break
    sleep 0.1
done
port=$(head -n 1 "$tmp/port")
[ -n "$port" ] || fail "the target did not report its port"
url="http://127.0.0.1:$port/metrics"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }

# 1. Sustained scraping while the registry changes underneath.
wrk -t2 -c2 -d5s "$url" >"$tmp/warmup.txt" || fail "wrk warm-up failed"
rss_start=$(rss_kb)
(
    while sleep 5; do rss_kb >>"$tmp/rss.txt" || exit 0; done
) &
sampler=$!
wrk -t2 -c2 -d"${duration}s" --latency "$url" >"$tmp/wrk.txt" || fail "wrk failed"
kill "$sampler" 2>/dev/null || true
rss_end=$(rss_kb)
cat "$tmp/wrk.txt"
grep -q "Non-2xx" "$tmp/wrk.txt" && fail "non-2xx answers under load"
grep -q "Socket errors" "$tmp/wrk.txt" && fail "socket errors under load"
requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
[ "${requests:-0}" -gt 0 ] || fail "no request completed"
rss_max=$(sort -n "$tmp/rss.txt" | tail -n 1)
echo "load: $requests scrapes in ${duration}s, 0 errors; RSS after warm-up ${rss_start} KiB," \
    "max ${rss_max} KiB, end ${rss_end} KiB (samples: $(tr '\n' ' ' <"$tmp/rss.txt"))"
# Flat: the end stays within 25 % (plus 4 MiB of allocator slack) of the start.
limit=$((rss_start + rss_start / 4 + 4096))
[ "$rss_end" -le "$limit" ] || fail "resident memory grew from $rss_start to $rss_end KiB"

# 2. Idle connections must not starve a scrape.
fds=()
for _ in $(seq 300); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" || fail "cannot open idle connection"
    fds+=("$fd")
done
sleep 0.5
start=$(date +%s%N)
curl -fsS --max-time 1 -o "$tmp/scrape.txt" "$url" || fail "scrape with 300 idle connections failed"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
grep -q "^load_requests_total" "$tmp/scrape.txt" || fail "scrape body lacks the metrics"
echo "load: scrape with 300 idle connections open answered in ${elapsed_ms} ms"
for fd in "${fds[@]}"; do exec {fd}>&-; done

exec 3>&-
wait "$pid" || fail "the target exited with an error"
pid=
echo "load: ok"
