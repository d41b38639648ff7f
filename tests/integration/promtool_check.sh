#!/bin/sh
# Check an exposition with promtool; fail on any complaint.
#   promtool_check.sh text PROMTOOL FILE
#       `promtool check metrics` (text format parser and linter) must
#       succeed and print nothing.
#   promtool_check.sh text-parse PROMTOOL FILE
#       as text, but lint remarks (exit 3) are allowed: only a parse
#       error fails.
#   promtool_check.sh openmetrics PROMTOOL FILE
#       promtool's OpenMetrics parser (through `tsdb create-blocks-from
#       openmetrics`, which needs a timestamp on every sample, so one is
#       added) must read the file and store every sample.
set -u
mode=$1
promtool=$2
file=$3

case $mode in
text)
    output=$("$promtool" check metrics < "$file" 2>&1)
    status=$?
    if [ $status -ne 0 ] || [ -n "$output" ]; then
        printf 'promtool check metrics (exit %s) complained about %s:\n%s\n' \
            "$status" "$file" "$output" >&2
        exit 1
    fi
    ;;
text-parse)
    output=$("$promtool" check metrics < "$file" 2>&1)
    status=$?
    if [ $status -ne 0 ] && [ $status -ne 3 ] || printf '%s' "$output" | grep -q 'error'; then
        printf 'promtool check metrics (exit %s) could not parse %s:\n%s\n' \
            "$status" "$file" "$output" >&2
        exit 1
    fi
    ;;
openmetrics)
    work=$(mktemp -d) || exit 1
    trap 'rm -rf "$work"' EXIT
    awk '/^#/ { print; next } { print $0 " 1700000000" }' "$file" > "$work/stamped.om"
    output=$("$promtool" tsdb create-blocks-from openmetrics "$work/stamped.om" "$work/blocks" 2>&1)
    status=$?
    if [ $status -ne 0 ]; then
        printf 'promtool rejected %s (exit %s):\n%s\n' "$file" "$status" "$output" >&2
        exit 1
    fi
    expected=$(grep -vc '^#' "$file")
    stored=$(printf '%s\n' "$output" | awk 'NR == 2 { print $5 }')
    if [ "$stored" != "$expected" ]; then
        printf 'promtool stored %s samples of %s, expected %s:\n%s\n' \
            "$stored" "$file" "$expected" "$output" >&2
        exit 1
    fi
    ;;
*)
    echo "usage: $0 text|text-parse|openmetrics PROMTOOL FILE" >&2
    exit 2
    ;;
esac
