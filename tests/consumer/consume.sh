#!/bin/sh
# Install the current build into a temporary prefix, then build and run a
# small consumer program against that prefix in the two ways users do:
# with pkg-config and with CMake's find_package (shared and static).
#
# Usage: consume.sh BUILD_DIR CONSUMER_DIR LIBDIR VERSION [CONFIG]
#   BUILD_DIR     the extatus build tree to install
#   CONSUMER_DIR  this folder (consumer.c and project/)
#   LIBDIR        CMAKE_INSTALL_LIBDIR of the build (relative to the prefix)
#   VERSION       the project version the package must report
#   CONFIG        build configuration, for multi-configuration generators
# Environment: CMAKE (default cmake), CC (default cc), PKG_CONFIG (default
# pkg-config), MANDIR (CMAKE_INSTALL_MANDIR, default share/man);
# EXTATUS_KEEP_TMP=1 keeps the temporary folder for a look.
set -eu

me="consumer"
fail() {
    echo "$me: FAIL: $*" >&2
    exit 1
}

[ $# -ge 4 ] || fail "usage: $0 BUILD_DIR CONSUMER_DIR LIBDIR VERSION [CONFIG]"
build_dir=$1
consumer_dir=$2
libdir=$3
version=$4
config=${5:-}
cmake=${CMAKE:-cmake}
cc=${CC:-cc}
pkg_config=${PKG_CONFIG:-pkg-config}
mandir=${MANDIR:-share/man}

for tool in "$cmake" "$cc" "$pkg_config" man; do
    command -v "$tool" >/dev/null 2>&1 || fail "'$tool' not found"
done
[ -f "$build_dir/CMakeCache.txt" ] || fail "'$build_dir' is not a CMake build tree"
[ -f "$consumer_dir/consumer.c" ] || fail "'$consumer_dir/consumer.c' does not exist"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/extatus-consumer.XXXXXX")
cleanup() {
    if [ "${EXTATUS_KEEP_TMP:-0}" = 1 ]; then
        echo "$me: kept $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

prefix=$tmp/prefix
log=$tmp/log

# Run a step quietly; on failure show what it printed.
step() {
    what=$1
    shift
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        fail "$what"
    fi
}

# The library a program actually loads, as the dynamic loader resolves it.
check_loads_from_prefix() {
    program=$1
    command -v ldd >/dev/null 2>&1 || return 0
    loaded=$(LD_LIBRARY_PATH="$prefix/$libdir" ldd "$program" | awk '/libextatus\.so/ { print $3 }')
    [ -n "$loaded" ] || fail "$program is not linked against libextatus.so"
    case "$(readlink -f "$loaded")" in
    "$(readlink -f "$prefix")"/*) ;;
    *) fail "$program loads $loaded, not the copy installed in $prefix" ;;
    esac
}

run_consumer() {
    program=$1
    if ! LD_LIBRARY_PATH="$prefix/$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        "$program" >"$log" 2>&1; then
        cat "$log" >&2
        fail "$program failed"
    fi
    sed "s|^|$me: $(basename "$program"): |" "$log"
}

# 1. Install.
set -- --install "$build_dir" --prefix "$prefix"
[ -n "$config" ] && set -- "$@" --config "$config"
step "cmake --install of $build_dir failed" "$cmake" "$@"
[ -f "$prefix/include/extatus.h" ] || fail "include/extatus.h was not installed"
[ -f "$prefix/$libdir/libextatus.so.${version%%.*}" ] ||
    fail "$libdir/libextatus.so.${version%%.*} was not installed"
[ -f "$prefix/$libdir/libextatus.a" ] || fail "$libdir/libextatus.a was not installed"
[ -f "$prefix/$libdir/libextatus-http.so.${version%%.*}" ] ||
    fail "$libdir/libextatus-http.so.${version%%.*} was not installed"
[ -f "$prefix/$libdir/libextatus-http.a" ] || fail "$libdir/libextatus-http.a was not installed"
[ -f "$prefix/$libdir/libextatus-yaml.so.${version%%.*}" ] ||
    fail "$libdir/libextatus-yaml.so.${version%%.*} was not installed"
[ -f "$prefix/$libdir/libextatus-yaml.a" ] || fail "$libdir/libextatus-yaml.a was not installed"
[ -f "$prefix/$libdir/libextatus-push.so.${version%%.*}" ] ||
    fail "$libdir/libextatus-push.so.${version%%.*} was not installed"
[ -f "$prefix/$libdir/libextatus-push.a" ] || fail "$libdir/libextatus-push.a was not installed"

# Every reference page is installed as a roff page that man(1) shows as a
# page: the title line names it, and no Markdown syntax is left.
source_man=$(cd "$consumer_dir/../../docs/man" && pwd)
pages=0
for source in "$source_man"/*.md; do
    file=$(basename "$source" .md)
    section=${file##*.}
    page=${file%.*}
    installed=$prefix/$mandir/man$section/$file
    [ -f "$installed" ] || fail "the man page $mandir/man$section/$file was not installed"
    MANWIDTH=100 man -l "$installed" 2>"$log" >"$tmp/page" || {
        cat "$log" >&2
        fail "man -l $file failed"
    }
    head -n 1 "$tmp/page" | grep -q "^$page($section) " || fail "man -l $file: the title line is not $page($section)"
    grep -q '^NAME$' "$tmp/page" || fail "man -l $file shows no NAME section"
    if grep -n -e '```' -e '](' -e '^ *#\{1,6\} ' -e '\\f' "$tmp/page" >"$log"; then
        cat "$log" >&2
        fail "man -l $file shows Markdown or roff syntax"
    fi
    pages=$((pages + 1))
done
[ "$pages" -gt 100 ] || fail "only $pages man pages in $source_man"
echo "$me: $pages man pages installed and readable with man -l"

# Every public header of the source tree must be installed, unchanged.
source_include=$(cd "$consumer_dir/../../include" && pwd)
(cd "$source_include" && find . -name '*.h') >"$tmp/headers"
[ -s "$tmp/headers" ] || fail "no headers found in $source_include"
while read -r header; do
    cmp -s "$source_include/$header" "$prefix/include/$header" ||
        fail "include/${header#./} is missing from the install or differs from the source"
done <"$tmp/headers"
echo "$me: installed into a temporary prefix"

# 2. pkg-config.
PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
"$pkg_config" --exists extatus || fail "pkg-config does not find extatus in $prefix/$libdir/pkgconfig"
pc_version=$("$pkg_config" --modversion extatus)
[ "$pc_version" = "$version" ] || fail "pkg-config reports version $pc_version, expected $version"
pc_libdir=$("$pkg_config" --variable=libdir extatus)
[ "$(readlink -f "$pc_libdir")" = "$(readlink -f "$prefix/$libdir")" ] ||
    fail "extatus.pc has libdir=$pc_libdir, not the install prefix's $prefix/$libdir (is the .pc file relocatable?)"
# Build consumer_<name>.c with the flags of the pkg-config module <module>,
# then check that it loads the library from the prefix and runs.
pkgconfig_consumer() {
    pc_module=$1
    pc_program=$2
    "$pkg_config" --exists "$pc_module" || fail "pkg-config does not find $pc_module"
    [ "$("$pkg_config" --modversion "$pc_module")" = "$version" ] ||
        fail "pkg-config reports $pc_module version $("$pkg_config" --modversion "$pc_module")"
    cflags=$("$pkg_config" --cflags "$pc_module")
    libs=$("$pkg_config" --libs "$pc_module")
    # shellcheck disable=SC2086 # the flags are word lists
    step "the pkg-config consumer $pc_program does not compile and link" \
        "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror $cflags \
        -o "$tmp/${pc_program}_pkgconfig" "$consumer_dir/$pc_program.c" $libs
    check_loads_from_prefix "$tmp/${pc_program}_pkgconfig"
    run_consumer "$tmp/${pc_program}_pkgconfig"
}
pkgconfig_consumer extatus consumer
# The exporter, the configuration-file and the push libraries; their .pc files require extatus.pc.
pkgconfig_consumer extatus-http consumer_http
pkgconfig_consumer extatus-yaml consumer_yaml
pkgconfig_consumer extatus-push consumer_push

# 3. CMake find_package.
set -- -S "$consumer_dir/project" -B "$tmp/cmake-build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON \
    -DEXPECTED_VERSION="$version" -DEXPECTED_PREFIX="$prefix"
[ -n "$config" ] && set -- "$@" -DCMAKE_BUILD_TYPE="$config"
step "the CMake consumer project does not configure" "$cmake" "$@"
set -- --build "$tmp/cmake-build"
[ -n "$config" ] && set -- "$@" --config "$config"
step "the CMake consumer project does not build" "$cmake" "$@"
for variant in shared static http_shared http_static yaml_shared yaml_static push_shared push_static; do
    program=$(find "$tmp/cmake-build" -type f -name "consumer_$variant" | head -n 1)
    [ -n "$program" ] || fail "the CMake build produced no consumer_$variant"
    case $variant in
    *shared) check_loads_from_prefix "$program" ;;
    *)
        if command -v ldd >/dev/null 2>&1 && ldd "$program" | grep -q 'libextatus[-a-z]*\.so'; then
            fail "consumer_$variant links a shared extatus library instead of the static archive"
        fi
        ;;
    esac
    run_consumer "$program"
done

# A component the package does not have makes find_package fail.
if "$cmake" -S "$consumer_dir/missing_component" -B "$tmp/missing-build" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON >"$log" 2>&1; then
    cat "$log" >&2
    fail "find_package(extatus COMPONENTS no_such_component) succeeded"
fi
grep -q "no_such_component" "$log" || fail "the failed find_package does not name the missing component"

# 4. Uninstall removes every installed file.
step "the uninstall target failed" "$cmake" --build "$build_dir" --target uninstall
find "$prefix" -type f -o -type l >"$tmp/left"
if [ -s "$tmp/left" ]; then
    cat "$tmp/left" >&2
    fail "files are left in the prefix after uninstall"
fi

echo "$me: ok: pkg-config and find_package (shared and static, components http, yaml and push) consumers of extatus, extatus-http, extatus-yaml and extatus-push work; uninstall removes everything"
