#!/usr/bin/env bash
# Registrator with Netflix Eureka: a container's service registered as an Eureka instance (what a Spring Cloud
# client finds), read back with Eureka's REST API and with `portolan catalog`, renewed, and removed when it stops.
#
#   EUREKA=127.0.0.1:8761 ./run.sh
#
# Env: EUREKA (HOST:PORT of a Eureka server, API under /eureka as Spring Cloud's), IMAGE (any image with `sleep`),
#      PORTOLAN (command to run portolan).
set -euo pipefail
EUREKA=${EUREKA:-127.0.0.1:8761}
IMAGE=${IMAGE:-busybox}
PORTOLAN=${PORTOLAN:-portolan}
HOST=example-eureka
trap 'docker rm -f orders-1 >/dev/null 2>&1 || true; kill "${pid:-}" 2>/dev/null || true' EXIT

docker run -d --name orders-1 -p 127.0.0.1::8080 -e SERVICE_NAME=orders -e SERVICE_TAGS=v2 -e SERVICE_ZONE=a \
  "$IMAGE" sleep 600 >/dev/null

# Renewals every 5 s (lease 15 s) instead of Eureka's 30 s, so the example shows one.
$PORTOLAN registrator --hostname "$HOST" --ip 127.0.0.1 "eureka://$EUREKA/eureka?renew=5s" 2>registrator.log &
pid=$!

get() { curl -sf -H 'Accept: application/json' "http://$EUREKA/eureka$1"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const f=new Function("d","return "+process.argv[1]);console.log(f(JSON.parse(s)))})' "$1"; }
ID="$HOST:orders-1:8080"
for _ in $(seq 150); do get "/apps/ORDERS/$ID" >/dev/null 2>&1 && break; sleep 0.2; done

echo "app ORDERS:"
get "/apps/ORDERS/$ID" | json '`  ${d.instance.instanceId} ${d.instance.status} ${d.instance.ipAddr}:${d.instance.port.$} vip=${d.instance.vipAddress} lease=${d.instance.leaseInfo.renewalIntervalInSecs}s/${d.instance.leaseInfo.durationInSecs}s`'
get "/apps/ORDERS/$ID" | json '`  metadata: zone=${d.instance.metadata.zone} portolan_owner=${d.instance.metadata.portolan_owner} portolan_tags=${d.instance.metadata.portolan_tags}`'
first=$(get "/apps/ORDERS/$ID" | json 'd.instance.leaseInfo.lastRenewalTimestamp')
for _ in $(seq 60); do
  [[ $(get "/apps/ORDERS/$ID" | json 'd.instance.leaseInfo.lastRenewalTimestamp') != "$first" ]] && break
  sleep 0.5
done
echo "renewed: $([[ $(get "/apps/ORDERS/$ID" | json 'd.instance.leaseInfo.lastRenewalTimestamp') != "$first" ]] && echo yes || echo no)"

echo "portolan catalog:"
$PORTOLAN catalog service orders --registry "eureka://$EUREKA/eureka" | sed -E "s/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/"

docker stop orders-1 >/dev/null
for _ in $(seq 100); do get "/apps/ORDERS/$ID" >/dev/null 2>&1 || break; sleep 0.2; done
echo "after docker stop: $(get "/apps/ORDERS/$ID" >/dev/null 2>&1 && echo still registered || echo gone)"
