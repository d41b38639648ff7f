#!/bin/sh
# check_man_pages.sh - keep the reference pages in step with the headers.
#
# Usage: check_man_pages.sh <repo-root>
#
# Every function declared with EXTATUS_API under include/ must have a page
# docs/man/<function>.3.md with the fixed section headings, in order, and
# must be listed in the overview page docs/man/extatus.3.md and in
# docs/symbols-in-versions.md. A function page (docs/man/extatus_*.3.md)
# whose function is no longer declared is an error too, and so is a page
# that points to an examples/*.c program that does not exist. Overview pages are
# named extatus.3.md and extatus-<topic>.3.md and are not function pages.
#
# Exit status: 0 when everything matches, 1 otherwise (each problem is
# listed on stderr), 2 on a usage error.

set -u

if [ $# -ne 1 ] || [ ! -d "$1/include" ]; then
    echo "usage: $0 <repo-root>" >&2
    exit 2
fi

root=$1
man=$root/docs/man
work=$(mktemp -d "${TMPDIR:-/tmp}/extatus-docs.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT HUP INT TERM

sections='NAME
SYNOPSIS
DESCRIPTION
THREAD SAFETY
RETURN VALUE
ERRORS
EXAMPLE
AVAILABILITY
SEE ALSO'

# Print the name of every function declared with EXTATUS_API in one header.
# Comments and preprocessor lines (with their continuations) are dropped
# first, so the macro's own #define and commented-out text do not count.
# A declaration is the text from EXTATUS_API to the next ';' or '{'; one
# without '(' declares data and is skipped; a function whose name does not
# start with extatus_ is reported as BAD.
declared_in() {
    awk '
    { text = text $0 "\n" }
    END {
        out = ""
        while ((i = index(text, "/*")) > 0) {
            out = out substr(text, 1, i - 1)
            text = substr(text, i + 2)
            j = index(text, "*/")
            if (j == 0) { text = ""; break }
            text = substr(text, j + 2)
        }
        text = out text
        n = split(text, lines, "\n")
        body = ""
        cont = 0
        for (k = 1; k <= n; k++) {
            line = lines[k]
            if (cont || line ~ /^[ \t]*#/) {
                cont = (line ~ /\\[ \t]*$/)
                continue
            }
            sub(/\/\/.*/, "", line)
            body = body " " line
        }
        while ((p = index(body, "EXTATUS_API")) > 0) {
            body = substr(body, p + length("EXTATUS_API"))
            if (body ~ /^[A-Za-z0-9_]/)
                continue
            decl = body
            if (match(decl, /[;{]/))
                decl = substr(decl, 1, RSTART - 1)
            if (index(decl, "(") == 0)
                continue
            if (match(decl, /extatus_[A-Za-z0-9_]*[ \t]*\(/)) {
                name = substr(decl, RSTART, RLENGTH - 1)
                sub(/[ \t]+$/, "", name)
                print name
            } else {
                gsub(/[ \t]+/, " ", decl)
                print "BAD" decl
            }
        }
    }' "$1"
}

status=0

find "$root/include" -name '*.h' | sort > "$work/headers"
: > "$work/all"
while IFS= read -r header; do
    declared_in "$header" >> "$work/all"
done < "$work/headers"

if grep '^BAD' "$work/all" > "$work/bad"; then
    echo "EXTATUS_API functions not named extatus_*:" >&2
    sed 's/^BAD/  /' "$work/bad" >&2
    status=1
fi
grep -v '^BAD' "$work/all" | sort -u > "$work/declared"

if [ ! -s "$work/declared" ]; then
    echo "no EXTATUS_API functions found under $root/include" >&2
    exit 1
fi

# 1. Every declared function has a complete page.
: > "$work/missing"
: > "$work/incomplete"
while IFS= read -r name; do
    page=$man/$name.3.md
    if [ ! -f "$page" ]; then
        echo "$name" >> "$work/missing"
        continue
    fi
    last=0
    problem=
    while IFS= read -r section; do
        line=$(grep -n -x "# $section" "$page" | head -n 1 | cut -d: -f1)
        if [ -z "$line" ]; then
            problem="$problem missing '# $section';"
        elif [ "$line" -lt "$last" ]; then
            problem="$problem '# $section' out of order;"
        else
            last=$line
        fi
    done <<SECTIONS
$sections
SECTIONS
    if ! grep -q "$name(" "$page"; then
        problem="$problem no prototype of $name;"
    fi
    if [ -n "$problem" ]; then
        echo "  $name.3.md:$problem" >> "$work/incomplete"
    fi
done < "$work/declared"

if [ -s "$work/missing" ]; then
    echo "functions without a page in docs/man/:" >&2
    sed 's/^/  /' "$work/missing" >&2
    status=1
fi
if [ -s "$work/incomplete" ]; then
    echo "pages with missing or misplaced sections:" >&2
    cat "$work/incomplete" >&2
    status=1
fi

# 2. No page for a function that is not declared.
: > "$work/stale"
for page in "$man"/extatus_*.3.md; do
    [ -e "$page" ] || continue
    name=$(basename "$page" .3.md)
    if ! grep -q -x "$name" "$work/declared"; then
        echo "$name" >> "$work/stale"
    fi
done
if [ -s "$work/stale" ]; then
    echo "pages for functions no header declares:" >&2
    sed 's/^/  /' "$work/stale" >&2
    status=1
fi

# 3. The overview page and the symbol table list every function.
for index in "$man/extatus.3.md" "$root/docs/symbols-in-versions.md"; do
    if [ ! -f "$index" ]; then
        echo "missing $index" >&2
        status=1
        continue
    fi
    : > "$work/unlisted"
    while IFS= read -r name; do
        if ! grep -q -E "(^|[^A-Za-z0-9_])$name([^A-Za-z0-9_]|\$)" "$index"; then
            echo "$name" >> "$work/unlisted"
        fi
    done < "$work/declared"
    if [ -s "$work/unlisted" ]; then
        echo "functions not listed in ${index#"$root"/}:" >&2
        sed 's/^/  /' "$work/unlisted" >&2
        status=1
    fi
done

# 4. Every example program a page points to exists.
: > "$work/dangling"
for page in "$man"/*.3.md; do
    [ -e "$page" ] || continue
    grep -o 'examples/[A-Za-z0-9_.-]*\.c' "$page" | sort -u | while IFS= read -r example; do
        if [ ! -f "$root/$example" ]; then
            echo "  $(basename "$page"): $example" >> "$work/dangling"
        fi
    done
done
if [ -s "$work/dangling" ]; then
    echo "pages pointing to example programs that do not exist:" >&2
    cat "$work/dangling" >&2
    status=1
fi

if [ "$status" -eq 0 ]; then
    echo "$(wc -l < "$work/declared" | tr -d ' ') functions, every one documented"
fi
exit "$status"
