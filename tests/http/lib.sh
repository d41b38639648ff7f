# Shared helpers of the HTTP test scripts (sourced, POSIX sh).
#   fail MESSAGE         print and exit 1 (the EXIT trap cleans up)
#   start_server ARGS    start http_serve with ARGS in the background, set
#                        $server_pid and $port (waits for its port file)
#   stop_server          SIGTERM the server and wait for it
# Expects $me, $serve (the http_serve program) and $work (a temp dir).

fail() {
    echo "$me: FAIL: $*" >&2
    exit 1
}

need_tool() {
    command -v "$1" >/dev/null 2>&1 || fail "'$1' not found (Debian package $2; make test installs it)"
}

server_pid=
start_server() {
    rm -f "$work/port"
    "$serve" --port-file="$work/port" "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    tries=0
    while [ ! -s "$work/port" ]; do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$work/server.log" >&2
            server_pid=
            fail "the test server exited before listening"
        fi
        tries=$((tries + 1))
        [ $tries -le 100 ] || fail "the test server did not write its port within 10 s"
        sleep 0.1
    done
    port=$(cat "$work/port")
}

stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}

cleanup() {
    stop_server
    rm -rf "$work"
}
