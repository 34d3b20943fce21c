#!/usr/bin/env bash
# Registrator with Consul: two "redis" containers and one web container are registered, checked, found with
# Consul's HTTP API, and deregistered when they stop.
#
#   CONSUL=127.0.0.1:8500 ./run.sh
#
# Env: CONSUL (agent HTTP address), IMAGE (any image with `sleep`), PORTOLAN (command to run portolan).
set -euo pipefail
CONSUL=${CONSUL:-127.0.0.1:8500}
IMAGE=${IMAGE:-busybox}
PORTOLAN=${PORTOLAN:-portolan}
HOST=example-consul
trap 'docker rm -f redis-a redis-b web-a web-bad >/dev/null 2>&1 || true; kill "${pid:-}" 2>/dev/null || true' EXIT

# The services: SERVICE_* env and labels, as with gliderlabs/registrator.
docker run -d --name redis-a -p 127.0.0.1::6379 -e SERVICE_NAME=redis -e SERVICE_TAGS=primary "$IMAGE" sleep 600 >/dev/null
docker run -d --name redis-b -p 127.0.0.1::6379 -e SERVICE_NAME=redis -e SERVICE_TAGS=replica "$IMAGE" sleep 600 >/dev/null
docker run -d --name web-a -p 127.0.0.1::80 --label SERVICE_NAME=web --label SERVICE_CHECK_TCP=true \
  --label SERVICE_CHECK_INTERVAL=5s --label SERVICE_VERSION=1.4.2 "$IMAGE" sleep 600 >/dev/null
# A container trying to write into another host's namespace: refused with one log line, nothing written.
docker run -d --name web-bad -p 127.0.0.1::80 --label SERVICE_NAME=web --label SERVICE_ID=other-host:web-a:80 \
  "$IMAGE" sleep 600 >/dev/null

$PORTOLAN registrator --hostname "$HOST" --ip 127.0.0.1 --resync 10s --deregister-on-exit --shutdown-timeout 10s \
  "consul://$CONSUL" 2>registrator.log &
pid=$!

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const f=new Function("d","return "+process.argv[1]);console.log(f(JSON.parse(s)))})' "$1"; }
for _ in $(seq 100); do
  [[ $(curl -sf "http://$CONSUL/v1/catalog/service/redis" | json 'd.length') == 2 ]] && break
  sleep 0.1
done

echo "redis instances:"
curl -sf "http://$CONSUL/v1/catalog/service/redis" | json 'd.map(s=>`  ${s.ServiceID} ${s.ServiceAddress}:${s.ServicePort} [${s.ServiceTags}]`).sort().join("\n")'
echo "web meta version: $(curl -sf "http://$CONSUL/v1/catalog/service/web" | json 'd[0].ServiceMeta.version')"
echo "web checks: $(curl -sf "http://$CONSUL/v1/health/checks/web" | json 'd.map(c=>c.Type||"ttl").sort().join(",")')"
echo "web instances: $(curl -sf "http://$CONSUL/v1/catalog/service/web" | json 'd.length')"
echo "refused: $(grep -m1 '"key":"SERVICE_ID"' registrator.log | json 'd.msg')"

docker stop redis-b >/dev/null
for _ in $(seq 100); do
  [[ $(curl -sf "http://$CONSUL/v1/catalog/service/redis" | json 'd.length') == 1 ]] && break
  sleep 0.1
done
echo "after stopping redis-b: $(curl -sf "http://$CONSUL/v1/catalog/service/redis" | json 'd.map(s=>s.ServiceID).join(",")')"

kill -TERM "$pid"; wait "$pid"
echo "after portolan exits (--deregister-on-exit): $(curl -sf "http://$CONSUL/v1/catalog/service/redis" | json 'd.length') redis instances"
