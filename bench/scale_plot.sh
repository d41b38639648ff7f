#!/bin/sh
# scale_plot.sh - the expose_scale curve as a table and a plot.
#
# Reads the BENCH lines of scale-bench (a file, or standard input) and
#   - prints the curve as a Markdown table (series, render ms, ms per
#     100k series, RSS MB, bytes per series, mean and worst creation),
#   - draws it with gnuplot into the PNG given as the second argument:
#     render time and bytes per series against the series count, both
#     axes logarithmic for the time, so a straight line of slope 1 is
#     linear growth.
#
# Usage: scale-bench 10k 100k 1m 10m > scale.txt
#        sh bench/scale_plot.sh scale.txt docs/performance-scale.png
set -eu

input=${1:--}
png=${2:-}
data=$(mktemp)
trap 'rm -f "$data"' EXIT

# One row per size: series render_ms rss_mb bytes_per_series create_ns worst_us
grep '^BENCH name=expose_scale_[0-9]' "$input" | grep -v skipped | awk '
function field(name,   i, kv) {
    for (i = 1; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == name)
            return kv[2]
    }
    return ""
}
{
    size = field("name"); sub("expose_scale_", "", size)
    n = size + 0
    if (size ~ /k$/) n *= 1000
    if (size ~ /m$/) n *= 1000000
    print n, field("extatus"), field("rss_mb"), field("bytes_per_series"),
          field("create_ns"), field("worst_create_us")
}' >"$data"

if [ ! -s "$data" ]; then
    echo "scale_plot.sh: no expose_scale lines in the input" >&2
    exit 1
fi

echo "| series | render ms | ms per 100k | RSS MB | bytes/series | mean creation ns | worst creation us |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
awk '{ printf "| %d | %.2f | %.2f | %.1f | %.1f | %.0f | %.0f |\n",
       $1, $2, $2 * 100000 / $1, $3, $4, $5, $6 }' "$data"

if [ -n "$png" ]; then
    gnuplot <<PLOT
set terminal pngcairo size 900,520 font ",10"
set output "$png"
set termoption noenhanced
set title "expose_scale: one counter family, two labels (extatus)"
set xlabel "series"
set logscale x 10
set logscale y 10
set ylabel "render time, ms (log)"
set y2label "bytes per series"
set y2range [0:*]
set ytics nomirror
set y2tics
set key bottom right
set grid
plot "$data" using 1:2 with linespoints lw 2 title "render ms", \
     "$data" using 1:(\$2 / \$1 * 1e5) with linespoints dt 2 title "render ms per 100k series", \
     "$data" using 1:4 axes x1y2 with linespoints lw 2 title "bytes per series (RSS)"
PLOT
fi
