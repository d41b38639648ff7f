#!/bin/sh
# check_includes.sh - layers only point down.
#
# Usage: check_includes.sh <repo-root>
#
# Every file under src/ may include the project's private headers of its
# own layer and of the layers below it, never of a layer above. The order,
# bottom first, is the one src/library.c joins them in:
#
#   core < entries < expose < probe < process < report < src/library.c
#
# The exporter (src/http), the configuration-file library (src/yaml) and
# the push library (src/push) are libraries of their own on the public
# API: besides their own headers they may include only public headers
# (include/). Public headers never include a private one.
#
# Exit status: 0 when every include points down, 1 otherwise (each problem
# is listed on stderr), 2 on a usage error.
set -u

if [ $# -ne 1 ] || [ ! -d "$1/src/core" ]; then
    echo "usage: $0 <repo-root>" >&2
    exit 2
fi
root=$1
order="core entries expose probe process report library"

rank() {
    i=0
    for layer in $order; do
        [ "$layer" = "$1" ] && {
            echo $i
            return
        }
        i=$((i + 1))
    done
    echo -1
}

status=0
for file in $(cd "$root" && find src include -name '*.[ch]' | sort); do
    case $file in
    src/library.c) layer=library ;;
    src/*/*) layer=$(echo "$file" | cut -d/ -f2) ;;
    include/*) layer=public ;;
    *)
        echo "check_includes: $file is in no layer" >&2
        status=1
        continue
        ;;
    esac
    # The quoted includes: the project's own headers.
    for header in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$root/$file"); do
        case $header in
        extatus.h | extatus/* | */../include/*) continue ;; # public
        esac
        case $layer in
        public)
            [ -f "$root/$(dirname "$file")/$header" ] && continue
            echo "check_includes: $file (public) includes the private header \"$header\"" >&2
            status=1
            continue
            ;;
        http | yaml | push)
            [ -f "$root/src/$layer/$header" ] && continue
            echo "check_includes: $file ($layer, a library on the public API) includes \"$header\"" >&2
            status=1
            continue
            ;;
        esac
        case $header in
        */*) target=$(echo "$header" | cut -d/ -f1) ;;
        *) target=$layer ;; # a header beside the file
        esac
        [ -f "$root/src/$header" ] || [ -f "$root/$(dirname "$file")/$header" ] || {
            echo "check_includes: $file includes \"$header\", which does not exist" >&2
            status=1
            continue
        }
        from=$(rank "$layer")
        to=$(rank "$target")
        if [ "$to" -lt 0 ] || [ "$from" -lt 0 ] || [ "$to" -gt "$from" ]; then
            echo "check_includes: $file ($layer) includes \"$header\" of a layer above it ($target)" >&2
            status=1
        fi
    done
done
[ $status -eq 0 ] && echo "check_includes: every include of src/ and include/ points down"
exit $status
