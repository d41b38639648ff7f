#!/bin/sh
# check_man_examples.sh - compile the EXAMPLE of every reference page.
#
# Usage: check_man_examples.sh <repo-root> <c-compiler>
#
# The first ```c block after "# EXAMPLE" in each docs/man/*.3.md is
# compiled (syntax and types only, C11, warnings are errors) against the
# public headers, after this prelude:
#
#     #include <extatus.h>
#     #include <extatus/sys/entry.h>
#     #include <inttypes.h>  <math.h>  <stdarg.h>  <stdbool.h>  <stdio.h>
#     #include <stdlib.h>    <string.h>  <time.h>
#
# so an example is a set of whole top-level definitions using the real API.
# Exit status: 0 when every example compiles, 1 otherwise, 2 on usage.

set -u

if [ $# -ne 2 ] || [ ! -d "$1/include" ]; then
    echo "usage: $0 <repo-root> <c-compiler>" >&2
    exit 2
fi

root=$1
cc=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-examples.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT HUP INT TERM

status=0
count=0
for page in "$root"/docs/man/*.3.md; do
    [ -e "$page" ] || continue
    name=$(basename "$page" .md)
    source=$work/$name.c
    {
        printf '#include <extatus.h>\n#include <extatus/sys/entry.h>\n'
        for h in inttypes math stdarg stdbool stdio stdlib string time; do
            printf '#include <%s.h>\n' "$h"
        done
        printf '#line 1 "%s (EXAMPLE)"\n' "$name"
        awk '
            /^# / { in_example = ($0 == "# EXAMPLE") }
            in_example && !done && /^```c[ \t]*$/ { in_code = 1; next }
            in_code && /^```[ \t]*$/ { in_code = 0; done = 1; next }
            in_code { print }
            END { if (!done) exit 1 }
        ' "$page"
    } > "$source"
    if ! grep -q -x '# EXAMPLE' "$page"; then
        continue
    fi
    count=$((count + 1))
    if ! awk '/^# EXAMPLE$/ { e = 1 } e && /^```c[ \t]*$/ { f = 1 } END { exit !f }' "$page"; then
        echo "$name: no \`\`\`c block in EXAMPLE" >&2
        status=1
        continue
    fi
    if ! "$cc" -std=c11 -fsyntax-only -Wall -Wextra -Werror -Wno-unused-parameter \
            -I "$root/include" "$source" 2> "$work/$name.err"; then
        echo "$name: example does not compile:" >&2
        sed 's/^/  /' "$work/$name.err" >&2
        status=1
    fi
done

if [ "$status" -eq 0 ]; then
    echo "$count examples compile"
fi
exit "$status"
