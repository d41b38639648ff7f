#!/bin/sh
# Check what the built libraries show to the linker.
#
# Usage: check_symbols.sh shared LIBRARY MAJOR HEADER_DIR [BASENAME]
#   The shared library must export at least one symbol, every exported
#   symbol must be public API (extatus_ but not the internal extatus__
#   prefix) and declared with EXTATUS_API in a public header, and its
#   SONAME must be BASENAME.so.MAJOR (BASENAME defaults to libextatus;
#   the exporter library is libextatus-http).
# Usage: check_symbols.sh static ARCHIVE
#   Every global symbol the static archive defines must start with
#   extatus_ (internals use extatus__), so that linking it statically
#   cannot clash with the program's own names.
set -eu

me="check_symbols"
fail() {
    echo "$me: FAIL: $*" >&2
    exit 1
}

for tool in nm readelf; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' not found (install binutils)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/extatus-symbols.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

check_shared() {
    lib=$1
    major=$2
    header_dir=$3
    basename=${4:-libextatus}
    [ -f "$lib" ] || fail "shared library '$lib' does not exist"
    [ -d "$header_dir" ] || fail "header directory '$header_dir' does not exist"

    # Version nodes from the linker script (EXTATUS_0, ...) show up in
    # nm -D as absolute symbols; they are not functions or data.
    readelf -V --wide "$lib" |
        sed -n 's/.*Flags:.*Name: \([A-Za-z0-9_.]*\).*/\1/p' | sort -u >"$tmp/versions"

    # "ADDRESS TYPE NAME[@@VERSION]" -> "TYPE NAME"
    nm -D --defined-only "$lib" >"$tmp/nm" || fail "nm -D failed on '$lib'"
    awk 'NF >= 3 { sub(/@.*/, "", $3); print $2, $3 }' "$tmp/nm" >"$tmp/defined"

    : >"$tmp/exported"
    : >"$tmp/bad"
    while read -r type name; do
        if [ "$type" = A ] && grep -qx "$name" "$tmp/versions"; then
            continue
        fi
        case "$name" in
        extatus__*) echo "$name (an internal extatus__ name)" >>"$tmp/bad" ;;
        extatus_*) echo "$name" >>"$tmp/exported" ;;
        *) echo "$name (no extatus_ prefix)" >>"$tmp/bad" ;;
        esac
    done <"$tmp/defined"

    if [ -s "$tmp/bad" ]; then
        echo "$me: $lib exports symbols outside the public API:" >&2
        sed 's/^/    /' "$tmp/bad" >&2
        fail "mark internals static, or leave them without EXTATUS_API (they are hidden by default)"
    fi
    [ -s "$tmp/exported" ] || fail "$lib exports no extatus_ symbol at all"
    sort -u "$tmp/exported" -o "$tmp/exported"

    # Every export must be declared in a public header. Take each statement
    # (text up to ';') that has EXTATUS_API, drop EXTATUS_DEPRECATED(...),
    # cut it at the parameter list and keep the last identifier: the name
    # of the function or variable.
    find "$header_dir" -name '*.h' -exec cat {} + |
        tr '\n' ' ' | tr ';' '\n' | grep 'EXTATUS_API' |
        sed -e 's/.*EXTATUS_API//' -e 's/EXTATUS_DEPRECATED([^)]*)//g' -e 's/(.*//' |
        awk '{ n = split($0, w, /[^A-Za-z0-9_]+/); for (i = n; i > 0; i--) if (w[i] != "") { print w[i]; break } }' |
        sort -u >"$tmp/declared"
    comm -23 "$tmp/exported" "$tmp/declared" >"$tmp/undeclared"
    if [ -s "$tmp/undeclared" ]; then
        echo "$me: $lib exports symbols that no public header declares:" >&2
        sed 's/^/    /' "$tmp/undeclared" >&2
        fail "declare them in include/extatus/ or stop exporting them"
    fi

    soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
    [ -n "$soname" ] || fail "$lib has no SONAME"
    [ "$soname" = "$basename.so.$major" ] ||
        fail "$lib has SONAME '$soname', expected '$basename.so.$major'"

    count=$(wc -l <"$tmp/exported")
    echo "$me: ok: $lib exports $count extatus_ symbols; SONAME $soname"
}

check_static() {
    archive=$1
    [ -f "$archive" ] || fail "static library '$archive' does not exist"
    nm -g --defined-only "$archive" >"$tmp/nm" || fail "nm failed on '$archive'"
    # Archive listings have "member.o:" headers and blank lines between members.
    awk 'NF >= 3 { print $3 }' "$tmp/nm" | sort -u >"$tmp/defined"
    grep -v '^extatus_' "$tmp/defined" >"$tmp/bad" || true
    if [ -s "$tmp/bad" ]; then
        echo "$me: $archive defines global symbols without the extatus_ prefix:" >&2
        sed 's/^/    /' "$tmp/bad" >&2
        fail "make them static, or name internals extatus__<module>_<name>"
    fi
    [ -s "$tmp/defined" ] || fail "$archive defines no global symbol at all"
    count=$(wc -l <"$tmp/defined")
    echo "$me: ok: $archive defines $count global symbols, all prefixed extatus_"
}

[ $# -ge 1 ] || fail "usage: $0 shared LIBRARY MAJOR HEADER_DIR [BASENAME] | static ARCHIVE"
mode=$1
shift
case "$mode" in
shared)
    [ $# -eq 3 ] || [ $# -eq 4 ] || fail "usage: $0 shared LIBRARY MAJOR HEADER_DIR [BASENAME]"
    check_shared "$@"
    ;;
static)
    [ $# -eq 1 ] || fail "usage: $0 static ARCHIVE"
    check_static "$@"
    ;;
*) fail "unknown mode '$mode' (shared or static)" ;;
esac
