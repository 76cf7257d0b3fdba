#!/bin/sh
# Installs the Debian packages Parley needs that are missing. Usage: scripts/deps.sh run|check|bench
# "run" is what building and running parleyd needs; "check" adds what the test suite needs.
set -eu
RUN_PKGS="build-essential pkg-config libuv1-dev node-llhttp libwslay-dev libjansson-dev
 libsqlite3-dev libsodium-dev libssl-dev libcurl4-openssl-dev libinih-dev libutf8proc-dev uthash-dev"
CHECK_PKGS="libcmocka-dev python3 python3-pytest python3-websockets python3-aiosmtpd python3-irc
 chromium nodejs npm sqlite3 clang openssl libclang-rt-14-dev irssi tmux"
# bench/run's IRC peers (ngircd, inspircd) run from bench/run as unprivileged foreground processes;
# installing the packages may also set up their system services, which the bench never uses.
BENCH_PKGS="gnuplot-nox nodejs npm ngircd inspircd"
case "${1:-run}" in
    run) want="$RUN_PKGS" ;;
    check) want="$RUN_PKGS $CHECK_PKGS" ;;
    bench) want="$RUN_PKGS $CHECK_PKGS $BENCH_PKGS" ;;
    *) echo "usage: $0 run|check|bench" >&2; exit 2 ;;
esac
missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done
# Node.js may come from outside Debian on some machines; only insist on npm's package when
# there is no working node/npm at all.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=$(echo "$missing" | tr ' ' '\n' | grep -v -x -e nodejs -e npm | tr '\n' ' ')
fi
missing=$(echo $missing)
[ -z "$missing" ] && exit 0
SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "deps: missing packages: $missing (run as root, or install them)" >&2; exit 1
    fi
fi
echo "deps: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
