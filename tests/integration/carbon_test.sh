#!/bin/sh
# carbon_test.sh - the Graphite line reporter against a real carbon.
#
# Usage: carbon_test.sh <carbon_feed program>
#
# Starts Debian's carbon-cache (package graphite-carbon) on a free
# loopback port with its own configuration and storage in a temporary
# directory, 1-second retention, then:
#   1. tags: carbon_feed reports label sets that differ only in UTF-8,
#      a space against '_', '%' and the tag separators, and a label
#      called `name` (Graphite's own tag). Each must land in a whisper
#      file of its own, under the path the documented escaping gives,
#      holding exactly its value at every stored second; no other series
#      may exist (nothing merged) and nothing may be dropped.
#   2. dying: carbon is killed while the reporter delivers; the batches
#      after that must be counted as dropped, not as delivered.
# The whisper files are read back with whisper-fetch (python3-whisper).
set -eu

feed=$1
python=/usr/bin/python3 # Debian's python, which has the carbon and whisper modules
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-carbon.XXXXXX")
carbon_pid=
cleanup() {
    if [ -n "$carbon_pid" ]; then
        kill -9 "$carbon_pid" 2>/dev/null || true
        wait "$carbon_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT HUP INT TERM

fail() {
    echo "carbon_test: FAIL: $*" >&2
    for log in "$work"/*/carbon.out; do
        [ -f "$log" ] && tail -n 20 "$log" >&2
    done
    exit 1
}

# A port nobody listens on now (carbon then takes it; a race is retried).
free_port() {
    "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_carbon DIR: carbon-cache in the foreground, storage and logs in DIR; sets $port.
start_carbon() {
    dir=$1
    mkdir -p "$dir/storage/whisper" "$dir/log" "$dir/conf"
    cat >"$dir/conf/storage-schemas.conf" <<EOF
[everything]
pattern = .*
retentions = 1s:10m
EOF
    for attempt in 1 2 3; do
        port=$(free_port)
        cat >"$dir/conf/carbon.conf" <<EOF
[cache]
STORAGE_DIR = $dir/storage/
LOCAL_DATA_DIR = $dir/storage/whisper/
WHITELISTS_DIR = $dir/storage/lists/
CONF_DIR = $dir/conf/
LOG_DIR = $dir/log/
PID_DIR = $dir/
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $port
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = 0
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = 0
ENABLE_TAGS = True
GRAPHITE_URL = http://127.0.0.1:1
LOG_LISTENER_CONN_SUCCESS = False
EOF
        (cd "$dir" && exec "$python" /usr/bin/carbon-cache --config="$dir/conf/carbon.conf" \
            --nodaemon start) >"$dir/carbon.out" 2>&1 &
        carbon_pid=$!
        # Up when the line receiver accepts a connection (carbon takes a few seconds).
        for _ in $(seq 1 150); do
            if "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" \
                2>/dev/null; then
                return 0
            fi
            kill -0 "$carbon_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$carbon_pid" 2>/dev/null || true
        wait "$carbon_pid" 2>/dev/null || true
        carbon_pid=
        echo "carbon_test: carbon did not start on port $port (attempt $attempt)" >&2
    done
    fail "carbon-cache did not start"
}

stop_carbon() {
    kill -9 "$carbon_pid" 2>/dev/null || true
    wait "$carbon_pid" 2>/dev/null || true
    carbon_pid=
}

# whisper_file DIR PATH: where carbon keeps a tagged series (TAG_HASH_FILENAMES, the default).
whisper_file() {
    hash=$(printf '%s' "$2" | sha256sum | cut -c1-64)
    echo "$1/storage/whisper/_tagged/$(echo "$hash" | cut -c1-3)/$(echo "$hash" | cut -c4-6)/$hash.wsp"
}

# ---- 1. tags: every label set its own series, values exact ---------------------------
dir=$work/tags
start_carbon "$dir"
result=$("$feed" tags "$port" 4) || fail "carbon_feed tags failed"
echo "carbon_feed: $result"
reports=$(echo "$result" | sed -n 's/^reports \([0-9]*\) .*/\1/p')
dropped=$(echo "$result" | sed -n 's/.* dropped \([0-9]*\)$/\1/p')
[ "$dropped" = 0 ] || fail "the reporter dropped $dropped items"
[ "$reports" -ge 3 ] || fail "only $reports deliveries in 4 s"

# The expected path of each series (Graphite 1.1 tags, as docs/reporters.md describes the
# escaping) and its value. Tag values keep UTF-8 and "=!^"; a space, ';', '%', a leading '~'
# and a final '}' are %XX-escaped; the label `name` becomes the tag `_name`.
expected="feed_tenant_level.value;tenant=müller 1
feed_tenant_level.value;tenant=méller 2
feed_tenant_level.value;tenant=with%20space 3
feed_tenant_level.value;tenant=with_space 4
feed_tenant_level.value;tenant=a%2520b 5
feed_tenant_level.value;tenant=a%20b 6
feed_tenant_level.value;tenant=%7Etilde 7
feed_tenant_level.value;tenant=semi%3Bcolon 8
feed_tenant_level.value;tenant=x=y!^ 9
feed_tenant_level.value;tenant=end\"%7D 10
feed_worker_activity.value;_name=alpha 2
feed_worker_activity.value;_name=beta 1
feed_worker_activity.value;_name=gamma 0"
count=$(echo "$expected" | wc -l)

# carbon writes its cache out within a moment; wait for every file.
for _ in $(seq 1 100); do
    missing=0
    echo "$expected" | while read -r path value; do
        [ -f "$(whisper_file "$dir" "$path")" ] || exit 1
    done || missing=1
    [ "$missing" = 0 ] && break
    sleep 0.1
done
sleep 1.5 # the last points

files=$(find "$dir/storage/whisper" -name '*.wsp' | wc -l)
[ "$files" -eq "$count" ] || {
    find "$dir/storage/whisper" -name '*.wsp' >&2
    find "$dir/log" -name creates.log -exec grep 'new metric' {} + >&2 || true
    fail "$files whisper files for $count series (series were merged or split)"
}

now=$(date +%s)
echo "$expected" | while read -r path value; do
    file=$(whisper_file "$dir" "$path")
    [ -f "$file" ] || fail "no whisper file for '$path'"
    "$python" /usr/bin/whisper-fetch --from=$((now - 300)) --drop=nulls "$file" >"$work/points"
    points=$(wc -l <"$work/points")
    wrong=$(awk -v want="$value" '$2 + 0 != want + 0 || $2 == "None"' "$work/points" | wc -l)
    echo "$path: $points points, $wrong not equal to $value"
    [ "$wrong" -eq 0 ] || fail "'$path' holds values other than $value: $(cat "$work/points")"
    # One point per delivery; two deliveries may share a second (timestamps are whole seconds).
    [ "$points" -ge $((reports - 1)) ] && [ "$points" -le "$reports" ] ||
        fail "'$path' holds $points points for $reports deliveries"
done || exit 1
stop_carbon

# ---- 2. dying: batches after carbon died are not counted as delivered -------------------
dir=$work/dying
start_carbon "$dir"
"$feed" dying "$port" "$carbon_pid" || fail "batches written after carbon died were counted as delivered"
wait "$carbon_pid" 2>/dev/null || true
carbon_pid=

echo "carbon_test: ok"
