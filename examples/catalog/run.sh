#!/usr/bin/env bash
# The catalog: `portolan up` registers two containers (tagged `example`, to tell them from any others) in its embedded registry; the catalog CLI, the HTTP API
# and Prometheus HTTP SD show them; the page is at http://$LISTEN/.
#
#   LISTEN=127.0.0.1:8700 ./run.sh
#
# Env: LISTEN (catalog address), DNS (DNS shim address, or off), IMAGE (any image with `sleep`), PORTOLAN (command to run portolan).
set -euo pipefail
LISTEN=${LISTEN:-127.0.0.1:8700}
DNS=${DNS:-127.0.0.1:8600}
IMAGE=${IMAGE:-busybox}
PORTOLAN=${PORTOLAN:-portolan}
HOST=example-catalog
trap 'docker rm -f catalog-example-api catalog-example-cache >/dev/null 2>&1 || true; kill "${pid:-}" 2>/dev/null || true' EXIT

$PORTOLAN up --hostname "$HOST" --listen "$LISTEN" --dns "$DNS" --log-format json 2>up.log &
pid=$!

docker run -d --name catalog-example-api -p 127.0.0.1::8080 -e SERVICE_NAME=example-api -e SERVICE_TAGS=example,http "$IMAGE" sleep 600 >/dev/null
docker run -d --name catalog-example-cache -p 127.0.0.1::6379 -e SERVICE_NAME=example-cache -e SERVICE_TAGS=example "$IMAGE" sleep 600 >/dev/null

for _ in $(seq 150); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$LISTEN/v1/services/example-cache") == 200 ]] && break
  sleep 0.2
done

echo "== portolan catalog --tag example"
$PORTOLAN catalog --registry "portolan://$LISTEN" --tag example
echo "== portolan catalog service example-api"
$PORTOLAN catalog service example-api --registry "portolan://$LISTEN" | sed -E 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/; s/ [0-9a-f]{12} / ID /'
echo "== GET /v1/services/example-api"
curl -sf "http://$LISTEN/v1/services/example-api" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const d=JSON.parse(s);console.log(JSON.stringify(d.service))})'
echo "== GET /v1/prometheus-sd?tag=example"
curl -sf "http://$LISTEN/v1/prometheus-sd?tag=example" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const g of JSON.parse(s))console.log(g.labels.service,g.labels.container,JSON.stringify(g.labels.tags))})'
echo "== unknown service"
$PORTOLAN catalog service nosuch --registry "portolan://$LISTEN" || echo "exit $?"

kill -TERM "$pid"; wait "$pid"
