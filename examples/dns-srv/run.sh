#!/usr/bin/env bash
# An app that finds its peer through the DNS shim: `portolan up` registers a "greeter" container in the
# embedded registry and answers DNS for it; app.js looks up _greeter._tcp.service.consul (SRV: port and
# target), resolves the target's address and calls the peer. No address or port is configured in the app.
#
#   ./run.sh
#
# Env: DNS (shim address, default 127.0.0.1:8600), LISTEN (catalog address, default 127.0.0.1:8700), IMAGE (busybox-like image with httpd),
#      PORTOLAN (command to run portolan).
set -euo pipefail
DNS=${DNS:-127.0.0.1:8600}
LISTEN=${LISTEN:-127.0.0.1:8700}
IMAGE=${IMAGE:-busybox}
PORTOLAN=${PORTOLAN:-portolan}
here=$(cd "$(dirname "$0")" && pwd)
trap 'docker rm -f example-dns-greeter >/dev/null 2>&1 || true; kill "${pid:-}" 2>/dev/null || true' EXIT

# Registrator + embedded registry + DNS shim in one process; only containers with SERVICE_NAME.
$PORTOLAN up --explicit --hostname example-dns --dns "$DNS" --listen "$LISTEN" 2>portolan.log &
pid=$!

docker run -d --name example-dns-greeter -p 127.0.0.1::80 -e SERVICE_NAME=greeter "$IMAGE" \
  sh -c 'mkdir -p /www && echo "hello from greeter" >/www/index.html && exec httpd -f -p 80 -h /www' >/dev/null

DNS_SERVER=$DNS node "$here/app.mjs" greeter

docker stop example-dns-greeter >/dev/null
DNS_SERVER=$DNS node "$here/app.mjs" greeter --gone

kill -TERM "$pid"
wait "$pid"
grep -o '"msg":"dns listening on [^"]*"' portolan.log
