#!/bin/sh
# Install gridloop's build and test dependencies from Debian. Idempotent: packages that are
# already installed are skipped, so a second run does not touch apt at all.
set -eu

pkgs="build-essential cmake pkg-config clang-format
libmicrohttpd-dev libcjson-dev libsqlite3-dev libsodium-dev zlib1g-dev libgeos-dev libcurl4-openssl-dev libgd-dev libxlsxwriter-dev
libcairo2-dev libpango1.0-dev poppler-utils
python3 python3-pytest python3-pytest-xdist python3-requests python3-lxml python3-psycopg2 libxml2-dev curl clang libclang-rt-14-dev
libzip-dev
libpq-dev postgresql-15 patroni etcd-server etcd-client haproxy
mosquitto mosquitto-clients libmosquitto-dev
kannel kannel-extras
chromium fonts-noto-cjk"
# The web UI builds with npm; a machine without node gets Debian's.
command -v node >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"

[ "${1:-}" = "--bench" ] && pkgs="$pkgs wrk util-linux"

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
