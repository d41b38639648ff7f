#!/bin/sh
# Install the Debian packages a target needs, if any are missing.
# Usage: scripts/install-deps.sh PACKAGE...
# As root it runs apt-get; otherwise it names the missing packages and fails.
set -eu

missing=""
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $pkg" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "extatus: missing Debian packages:$missing" >&2
    echo "extatus: install them with: sudo apt-get install$missing" >&2
    exit 1
fi

echo "extatus: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
