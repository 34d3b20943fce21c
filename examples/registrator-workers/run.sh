#!/usr/bin/env bash
# Registrator with containers that publish no port: a queue worker registered without a port, a metrics sidecar
# at a port it does not publish (SERVICE_PORT), and an API on two networks registered once per network
# (SERVICE_NETWORKS), all found with Consul's HTTP API; a bad SERVICE_PORT is refused with one log line.
#
#   CONSUL=127.0.0.1:8500 ./run.sh
#
# Env: CONSUL (agent HTTP address), IMAGE (any image with `sleep`), PORTOLAN (command to run portolan).
set -euo pipefail
HOST=example-workers
CONSUL=${CONSUL:-127.0.0.1:8500} IMAGE=${IMAGE:-busybox} PORTOLAN=${PORTOLAN:-portolan}
cleanup() {
  kill "${pid:-}" 2>/dev/null || true
  docker rm -f ex-worker ex-metrics ex-api ex-bad >/dev/null 2>&1 || true
  docker network rm ex-front ex-back >/dev/null 2>&1 || true
}
trap cleanup EXIT

docker network create ex-front >/dev/null
docker network create ex-back >/dev/null
# No port at all: SERVICE_NAME is the opt-in.
docker run -d --name ex-worker -l SERVICE_NAME=worker -l SERVICE_TAGS=queue "$IMAGE" sleep 600 >/dev/null
# A port it listens on but does not publish.
docker run -d --name ex-metrics -l SERVICE_NAME=metrics -l SERVICE_PORT=9100 "$IMAGE" sleep 600 >/dev/null
# On two networks: one entry per network, the network as tag and meta.
docker run -d --name ex-api --network ex-front -l SERVICE_NAME=api -l SERVICE_PORT=8080 \
  -l SERVICE_NETWORKS=ex-front,ex-back "$IMAGE" sleep 600 >/dev/null
docker network connect ex-back ex-api
docker run -d --name ex-bad -l SERVICE_NAME=bad -l SERVICE_PORT=0 "$IMAGE" sleep 600 >/dev/null

$PORTOLAN registrator --hostname "$HOST" --resync 10s --deregister-on-exit "consul://$CONSUL" 2>registrator.log &
pid=$!

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const f=new Function("d","return "+process.argv[1]);console.log(f(JSON.parse(s)))})' "$1"; }
ip() { docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }
for _ in $(seq 100); do
  [[ $(curl -sf "http://$CONSUL/v1/catalog/service/api" | json 'd.length') == 2 ]] && break
  sleep 0.1
done

show() { curl -sf "http://$CONSUL/v1/catalog/service/$1" | json 'd.map(s=>`  ${s.ServiceID} ${s.ServiceAddress} port ${s.ServicePort} [${s.ServiceTags}]${s.ServiceMeta.network?" network="+s.ServiceMeta.network:""}`).sort().join("\n")'; }
echo "worker (container IP $(ip ex-worker bridge)):"; show worker
echo "metrics (container IP $(ip ex-metrics bridge)):"; show metrics
echo "api (ex-front $(ip ex-api ex-front), ex-back $(ip ex-api ex-back)):"; show api
echo "refused: $(grep -m1 '"key":"SERVICE_PORT"' registrator.log | json 'd.msg')"

kill -TERM "$pid"; wait "$pid"
echo "after portolan exits (--deregister-on-exit): $(curl -sf "http://$CONSUL/v1/catalog/service/api" | json 'd.length') api entries"
