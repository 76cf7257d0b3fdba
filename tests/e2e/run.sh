#!/bin/sh
# Browser end-to-end test of the web client. Installs playwright-core (pinned in package-lock.json)
# if missing, starts a real parleyd ($PARLEYD, default build/parleyd) on a free port in a temporary
# directory, runs chat.test.mjs against it with Debian's chromium, and stops the server. The server
# also serves HTTPS (--tls-listen) with a self-signed certificate made here with openssl, for the
# https/wss subtest, and an IRC listener (its port in $PARLEY_IRC_PORT) for the nickname subtest.
# Exits non-zero if anything fails. The screenshot goes to $PARLEY_SCREENSHOT (/tmp/parley-e2e.png).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
parleyd=${PARLEYD:-$top/build/parleyd}

if [ ! -x "$parleyd" ]; then
    echo "e2e: no server at $parleyd (build it with make, or set PARLEYD)" >&2
    exit 1
fi
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
    echo "e2e: /usr/bin/chromium is missing (apt-get install chromium, or set CHROMIUM)" >&2
    exit 1
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
    echo "e2e: installing node dependencies" >&2
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-e2e.XXXXXX")
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
{
    cat "$here/parley.ini"
    printf '\n[tls]\ncert_file = %s\nkey_file = %s\n' "$tmp/cert.pem" "$tmp/key.pem"
} >"$tmp/parley.ini"
"$parleyd" --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 --port-file "$tmp/port" \
    --data-dir "$tmp/var" --web-root "$top/web" --config "$tmp/parley.ini" \
    --log-file "$tmp/parleyd.log" &
pid=$!

# The port file appears once the server listens.
tries=0
while [ "$(cat "$tmp/port" 2>/dev/null | wc -l)" -lt 1 ]; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$tries" -ge 100 ]; then
        echo "e2e: parleyd did not start; its log:" >&2
        cat "$tmp/parleyd.log" >&2 2>/dev/null || true
        exit 1
    fi
    tries=$((tries + 1))
    sleep 0.1
done
port=$(head -n 1 "$tmp/port")
tls_port=$(awk '$1 == "tls" { print $4 }' "$tmp/port")
irc_port=$(awk '$1 == "irc" { print $4 }' "$tmp/port")

rc=0
PARLEY_URL="http://127.0.0.1:$port/" PARLEY_TLS_URL="https://127.0.0.1:$tls_port/" PARLEY_IRC_PORT="$irc_port" PARLEY_LOG="$tmp/parleyd.log" node --test "$here/chat.test.mjs" || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "e2e: FAILED; the last lines of the server log:" >&2
    tail -n 40 "$tmp/parleyd.log" >&2 2>/dev/null || true
fi
exit "$rc"
