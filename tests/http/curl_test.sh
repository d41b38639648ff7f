#!/bin/sh
# curl against the exporter (the http_serve test program).
#
# Usage: curl_test.sh curl|auth|tls HTTP_SERVE
#   curl  content types by Accept, gzip (decompressed and compared with
#         the plain body), HEAD, 404, 405, the landing page, the
#         self-metrics, dual-stack listening, and a bind failure
#   auth  basic auth: 401 without or with wrong credentials, 200 with
#   tls   HTTPS with a self-signed certificate made here
# Environment: CURL, OPENSSL (defaults: from PATH).
set -eu

me="http_$1"
case=$1
serve=$2
curl=${CURL:-curl}
openssl=${OPENSSL:-openssl}
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-http.XXXXXX")
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

need_tool "$curl" curl
[ -x "$serve" ] || fail "'$serve' is not an executable"

TEXT='text/plain; version=0.0.4; charset=utf-8'
OM='application/openmetrics-text; version=1.0.0; charset=utf-8'
PROMETHEUS_ACCEPT='application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1'

# fetch URL [curl options...]: body to $work/body, headers to $work/headers,
# status code to $status.
fetch() {
    url=$1
    shift
    status=$("$curl" -sS -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@" "$url") ||
        fail "curl $* $url failed"
}

# header NAME: the value of a response header (last one), without CR.
header() {
    tr -d '\r' <"$work/headers" | awk -v name="$1" '
        { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == tolower(name)) v = substr($0, i + 2) }
        END { print v }'
}

expect_status() {
    [ "$status" = "$1" ] || fail "$2: status $status, expected $1 (headers: $(tr -d '\r' <"$work/headers" | tr '\n' '|'))"
}

expect_header() {
    got=$(header "$1")
    [ "$got" = "$2" ] || fail "$3: $1 is '$got', expected '$2'"
}

expect_body() {
    grep -q -F -- "$1" "$work/body" || fail "$2: the body lacks '$1'"
}

# The lines of an exposition that do not change from one scrape to the
# next: the self-metrics and the ticking counter are left out.
stable_lines() {
    grep -v -e '^extatus_' -e '^# [A-Z]* extatus_' -e '^test_ticks' "$1"
}

case $case in
curl)
    start_server
    base="http://127.0.0.1:$port"

    fetch "$base/metrics"
    expect_status 200 "GET /metrics without Accept"
    expect_header Content-Type "$TEXT" "GET /metrics without Accept"
    expect_header Content-Encoding "" "GET /metrics without Accept-Encoding"
    expect_body 'test_requests_total{method="GET",code="200"} 42' "text scrape"
    expect_body '# TYPE extatus_scrape_duration_seconds summary' "text scrape"
    cp "$work/body" "$work/plain"

    fetch "$base/metrics" -H "Accept: $PROMETHEUS_ACCEPT"
    expect_status 200 "Prometheus' Accept"
    expect_header Content-Type "$OM" "Prometheus' Accept"
    [ "$(tail -n 1 "$work/body")" = "# EOF" ] || fail "the OpenMetrics body does not end with # EOF"
    expect_body 'test_requests_total{method="GET",code="200"} 42' "OpenMetrics scrape"

    fetch "$base/metrics" -H 'Accept: application/openmetrics-text'
    expect_header Content-Type "$TEXT" "OpenMetrics without version (0.0.1)"
    fetch "$base/metrics" -H 'Accept: application/openmetrics-text;version=1.0.0;q=0, */*'
    expect_header Content-Type "$TEXT" "OpenMetrics excluded with q=0"
    fetch "$base/metrics" -H 'Accept: text/plain;q=0.2, application/openmetrics-text;version=1.0.0'
    expect_header Content-Type "$OM" "OpenMetrics preferred by q"
    fetch "$base/metrics" -H 'Accept: application/json'
    expect_status 200 "an Accept we cannot satisfy"
    expect_header Content-Type "$TEXT" "an Accept we cannot satisfy falls back to text"

    # gzip: compressed on request, and the same exposition once decompressed.
    fetch "$base/metrics" -H 'Accept-Encoding: gzip'
    expect_status 200 "gzip"
    expect_header Content-Encoding gzip "Accept-Encoding: gzip"
    expect_header Content-Type "$TEXT" "gzip"
    gzip -t "$work/body" 2>/dev/null || fail "the gzip body is not valid gzip"
    gzip -dc <"$work/body" >"$work/unzipped"
    stable_lines "$work/plain" >"$work/plain.stable"
    stable_lines "$work/unzipped" >"$work/unzipped.stable"
    [ -s "$work/plain.stable" ] || fail "the plain body has no stable lines"
    cmp -s "$work/plain.stable" "$work/unzipped.stable" ||
        fail "the decompressed body differs from the plain one: $(diff "$work/plain.stable" "$work/unzipped.stable" | head -n 5)"
    grep -q '^extatus_scrape_size_bytes_count' "$work/unzipped" ||
        fail "the decompressed body lacks the self-metrics"
    fetch "$base/metrics" -H 'Accept-Encoding: br, x-gzip;q=0.8'
    expect_header Content-Encoding gzip "Accept-Encoding: x-gzip"
    fetch "$base/metrics" -H 'Accept-Encoding: gzip;q=0, identity'
    expect_header Content-Encoding "" "gzip;q=0"
    expect_body 'test_requests_total' "gzip;q=0"
    fetch "$base/metrics" -H 'Accept-Encoding: *' -H "Accept: $PROMETHEUS_ACCEPT"
    expect_header Content-Encoding gzip "Accept-Encoding: *"
    expect_header Content-Type "$OM" "gzip OpenMetrics"
    gzip -dc <"$work/body" | tail -n 1 | grep -q -x '# EOF' || fail "gzip OpenMetrics body"
    # curl's own decoder agrees.
    fetch "$base/metrics" --compressed
    expect_body 'test_requests_total{method="GET",code="200"} 42' "curl --compressed"

    # HEAD: same status and headers as GET, no body.
    fetch "$base/metrics" -I
    expect_status 200 "HEAD /metrics"
    expect_header Content-Type "$TEXT" "HEAD /metrics"
    length=$(header Content-Length)
    [ -n "$length" ] && [ "$length" -gt 1000 ] || fail "HEAD /metrics: Content-Length '$length'"
    # With -I curl writes the headers as its output; anything more would be a body.
    cmp -s "$work/body" "$work/headers" || fail "HEAD /metrics returned a body"

    fetch "$base/nope"
    expect_status 404 "GET /nope"
    fetch "$base/metrics/extra"
    expect_status 404 "GET /metrics/extra"
    fetch "$base/metrics" -X POST -d 'x=1'
    expect_status 405 "POST /metrics"
    expect_header Allow "GET, HEAD" "POST /metrics"
    fetch "$base/metrics" -X DELETE
    expect_status 405 "DELETE /metrics"
    fetch "$base/metrics?name[]=test_ticks"
    expect_status 200 "a query string is ignored"

    fetch "$base/"
    expect_status 200 "GET /"
    expect_header Content-Type 'text/html; charset=utf-8' "GET /"
    expect_body '<a href="/metrics">' "the landing page"

    # The self-metrics of the requests above.
    fetch "$base/metrics"
    expect_body "extatus_scrape_duration_seconds_count{registry=\"default\",content_type=\"$TEXT\"}" "self-metrics"
    expect_body "extatus_scrape_size_bytes_sum{registry=\"default\",content_type=\"$OM\"}" "self-metrics"
    expect_body 'extatus_http_requests_total{code="404"} 2' "request counter"
    expect_body 'extatus_http_requests_total{code="405"} 2' "request counter"
    grep -q '^extatus_http_requests_total{code="200"} [1-9][0-9]*$' "$work/body" ||
        fail "request counter: no count of 200s"

    # A second exporter on the same port fails with a message naming it.
    if "$serve" --port-file="$work/port2" --port="$port" --bind=127.0.0.1 >"$work/second.log" 2>&1; then
        fail "a second exporter on port $port started"
    fi
    grep -q "127.0.0.1 port $port: Address already in use" "$work/second.log" ||
        fail "the bind error does not name the address and port: $(cat "$work/second.log")"
    stop_server

    # The default binding is dual stack: IPv4 and IPv6 loopback both answer.
    start_server
    fetch "http://127.0.0.1:$port/metrics"
    expect_status 200 "dual stack over IPv4"
    if [ -r /proc/net/if_inet6 ] && grep -q '00000000000000000000000000000001' /proc/net/if_inet6; then
        fetch "http://[::1]:$port/metrics"
        expect_status 200 "dual stack over IPv6"
    else
        # No ::1 to connect to (IPv6 disabled on lo): check the listening
        # socket itself, on :: in /proc/net/tcp6 (state 0A is LISTEN), or on
        # 0.0.0.0 in /proc/net/tcp where the kernel has no IPv6 at all.
        hex_port=$(printf '%04X' "$port")
        if [ -r /proc/net/tcp6 ]; then
            grep -q "^ *[0-9]*: 00000000000000000000000000000000:$hex_port 0\{32\}:0000 0A" \
                /proc/net/tcp6 || fail "no dual-stack listening socket on [::]:$port"
            echo "curl_test: no IPv6 loopback here; the [::]:$port listening socket was checked"
        else
            grep -q "^ *[0-9]*: 00000000:$hex_port 00000000:0000 0A" /proc/net/tcp ||
                fail "no IPv4 fallback listening socket on 0.0.0.0:$port"
            echo "curl_test: kernel without IPv6; the 0.0.0.0:$port fallback socket was checked"
        fi
    fi
    stop_server
    start_server --bind=127.0.0.1
    if "$curl" -sS -o /dev/null "http://[::1]:$port/metrics" 2>/dev/null; then
        fail "an exporter bound to 127.0.0.1 answered on ::1"
    fi
    ;;
auth)
    start_server --bind=127.0.0.1 --auth=alice:s3cret
    base="http://127.0.0.1:$port"
    fetch "$base/metrics"
    expect_status 401 "no credentials"
    header WWW-Authenticate | grep -q '^Basic realm="extatus"' ||
        fail "no credentials: WWW-Authenticate is '$(header WWW-Authenticate)'"
    fetch "$base/metrics" -u alice:wrong
    expect_status 401 "a wrong password"
    fetch "$base/metrics" -u bob:s3cret
    expect_status 401 "a wrong user"
    fetch "$base/" -u alice:s3cre
    expect_status 401 "a password prefix"
    fetch "$base/metrics" -u alice:s3cret
    expect_status 200 "the right credentials"
    expect_body 'extatus_http_requests_total{code="401"} 4' "the 401s are counted"
    ;;
tls)
    need_tool "$openssl" openssl
    "$openssl" req -x509 -newkey rsa:2048 -nodes -sha256 -days 1 -subj /CN=localhost \
        -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
        -keyout "$work/key.pem" -out "$work/cert.pem" >"$work/openssl.log" 2>&1 ||
        fail "openssl could not make a certificate: $(cat "$work/openssl.log")"
    start_server --bind=127.0.0.1 --tls-cert="$work/cert.pem" --tls-key="$work/key.pem"
    fetch "https://127.0.0.1:$port/metrics" --cacert "$work/cert.pem" -H 'Accept-Encoding: gzip'
    expect_status 200 "HTTPS"
    expect_header Content-Type "$TEXT" "HTTPS"
    expect_header Content-Encoding gzip "HTTPS with gzip"
    gzip -dc <"$work/body" | grep -q 'test_requests_total' || fail "HTTPS gzip body"
    if "$curl" -sS -o /dev/null --max-time 5 "http://127.0.0.1:$port/metrics" 2>/dev/null; then
        fail "plain HTTP was answered on the HTTPS port"
    fi
    if "$curl" -sS -o /dev/null --max-time 5 "https://127.0.0.1:$port/metrics" 2>/dev/null; then
        fail "an unknown certificate was accepted without --cacert"
    fi
    fetch "https://127.0.0.1:$port/metrics" --cacert "$work/cert.pem"
    expect_status 200 "HTTPS still serves after bad clients"
    # A missing key file is an error that names the file.
    if "$serve" --port-file="$work/port2" --bind=127.0.0.1 --tls-cert="$work/cert.pem" \
        --tls-key="$work/missing.pem" >"$work/bad.log" 2>&1; then
        fail "the exporter started with a missing key file"
    fi
    grep -q "tls_key_file '$work/missing.pem'" "$work/bad.log" ||
        fail "the error does not name the key file: $(cat "$work/bad.log")"
    ;;
*)
    fail "unknown case '$case'"
    ;;
esac
echo "$me: ok"
