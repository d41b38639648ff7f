#!/bin/sh
# Fail if any C source or header of the project differs from what
# clang-format makes of it with the repository's .clang-format.
#
# Usage: check_format.sh SOURCE_DIR
# Environment: CLANG_FORMAT (default clang-format).
# In a git checkout the files are the tracked and the new, not ignored
# ones; in a source tree without git, every *.c and *.h outside build*/.
# To fix a failure: `make format`, or clang-format -i FILE.
set -eu

me="format"
fail() {
    echo "$me: FAIL: $*" >&2
    exit 1
}

[ $# -eq 1 ] || fail "usage: $0 SOURCE_DIR"
cd "$1" || fail "cannot enter '$1'"
clang_format=${CLANG_FORMAT:-clang-format}
command -v "$clang_format" >/dev/null 2>&1 ||
    fail "'$clang_format' not found (Debian package clang-format; make test installs it)"
[ -f .clang-format ] || fail "no .clang-format in $(pwd)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/extatus-format.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

if command -v git >/dev/null 2>&1 && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard -- '*.c' '*.h' >"$tmp/listed"
    how="git ls-files"
else
    find . \( -name .git -o -name 'build*' \) -prune -o \
        -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' >"$tmp/listed"
    how="find"
fi
# Skip files deleted in the work tree but still in the index.
: >"$tmp/files"
while IFS= read -r file; do
    [ -f "$file" ] && printf '%s\n' "$file" >>"$tmp/files"
done <"$tmp/listed"
sort -u "$tmp/files" -o "$tmp/files"
[ -s "$tmp/files" ] || fail "no *.c or *.h files found (by $how) in $(pwd)"

: >"$tmp/bad"
while IFS= read -r file; do
    if ! "$clang_format" --style=file --dry-run --Werror "$file" >"$tmp/out" 2>&1; then
        printf '%s\n' "$file" >>"$tmp/bad"
        # Show the first differences of each file, not pages of them.
        head -n 20 "$tmp/out" >&2
    fi
done <"$tmp/files"

count=$(wc -l <"$tmp/files")
if [ -s "$tmp/bad" ]; then
    echo "$me: these files are not formatted with .clang-format:" >&2
    sed 's/^/    /' "$tmp/bad" >&2
    fail "$(wc -l <"$tmp/bad") of $count files need formatting; run 'make format' and review the diff"
fi
echo "$me: ok: $count files (listed by $how) match .clang-format ($("$clang_format" --version))"
