#!/bin/sh
# IRC fan-out over TCP vs over WebSocket (/irc) on one parleyd: 400 users in 4 channels of 100,
# 2,000 PRIVMSGs/s for 8 s, both against one parleyd. Usage: sh bench/irc_ws.sh [TOP] (TOP: the
# checkout with build/parleyd and build/parley-bench; default .). docs/BENCHMARKS.md.
set -eu
WT=$(cd "${1:-.}" && pwd); D=$(mktemp -d)
cat > $D/parley.ini <<INI
[server]
max_connections = 19900
max_connections_per_address = 0
[flood]
messages_per_sec = 0
commands_per_sec = 0
[chat]
default_capacity = 100
[irc]
listen = 127.0.0.1:0
[room r1]
title = R1
[room r2]
title = R2
[room r3]
title = R3
[room r4]
title = R4
INI
$WT/build/parleyd -c $D/parley.ini --listen 127.0.0.1:0 --port-file $D/port --data-dir $D/var --web-root $WT/web --log-level warn > $D/log 2>&1 &
PID=$!
for i in $(seq 50); do [ -s $D/port ] && grep -q irc $D/port && break; sleep 0.1; done
HTTP=$(awk '$1=="default"||NR==1{print $NF; exit}' $D/port)
IRC=$(awk '$1=="irc"{print $NF}' $D/port)
cat $D/port
for url in irc://127.0.0.1:$IRC ws://127.0.0.1:$HTTP/irc; do
  echo "== $url"
  $WT/build/parley-bench --protocol irc --server $url --users 400 --rooms r1,r2,r3,r4 \
      --rate 2000 --startup 3 --duration 8 --shutdown 2 --source-addrs 4 --json > $D/out.json || true
  /usr/bin/python3 -c "import json,sys; j=json.load(open('$D/out.json')); print(json.dumps({k:j[k] for k in j if k in ('deliveries','latency_ms','says','lost','errors','users')}, indent=None)[:1500])"
done
kill $PID; wait $PID 2>/dev/null || true
rm -rf $D
