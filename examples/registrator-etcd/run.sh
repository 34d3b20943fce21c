#!/usr/bin/env bash
# Registrator with etcd in CoreDNS's layout: a container's service written under /skydns/consul/service/<name>/,
# read back with etcdctl and (when COREDNS is set) answered by CoreDNS's etcd plugin; the registrator SIGKILLed,
# and its entry dropped by etcd when its lease runs out.
#
#   ETCD=127.0.0.1:2379 COREDNS=127.0.0.1:53 ./run.sh
#
# Env: ETCD (client address), COREDNS (optional: a CoreDNS whose etcd plugin serves service.consul from path
#      /skydns on that etcd), IMAGE (any image with `sleep`), PORTOLAN (command to run portolan),
#      ETCDCTL (etcd's CLI; Debian's etcd-client package).
set -euo pipefail
ETCD=${ETCD:-127.0.0.1:2379}
IMAGE=${IMAGE:-busybox}
PORTOLAN=${PORTOLAN:-portolan}
ETCDCTL=${ETCDCTL:-etcdctl}
HOST=example-etcd
SVC=api$$ # one name per run: several runs may share an etcd
trap 'docker rm -f etcd-api-1 >/dev/null 2>&1 || true; kill -9 "${p:-}" 2>/dev/null || true' EXIT

keys() { ETCDCTL_API=3 "$ETCDCTL" --endpoints "http://$ETCD" get --prefix "/skydns/consul/service/$SVC/" "$@"; }

docker run -d --name etcd-api-1 -p 127.0.0.1::8080 -e SERVICE_NAME="$SVC" -e SERVICE_WEIGHT=5 "$IMAGE" sleep 600 >/dev/null

# A 5 s lease: when this registrator dies, etcd drops its entries within 5 s.
$PORTOLAN registrator --hostname "$HOST" --ip 127.0.0.1 "etcd://$ETCD?lease=5s" 2>registrator.log &
p=$!

for _ in $(seq 100); do
  [[ -n $(keys --keys-only) ]] && break
  sleep 0.2
done
keys | sed -E "s/$SVC/api/g; s/\"port\":[0-9]+/\"port\":PORT/; s/\"id\":\"[0-9a-f]{64}\"/\"id\":\"…\"/"
if [[ -n ${COREDNS:-} ]]; then
  echo "CoreDNS SRV: $(dig +short -p "${COREDNS##*:}" "@${COREDNS%:*}" "$SVC.service.consul" SRV | awk '{ print $1, $2, "PORT", $4 }' | sed "s/$SVC/api/")"
  echo "CoreDNS A: $(dig +short -p "${COREDNS##*:}" "@${COREDNS%:*}" "$SVC.service.consul" A)"
fi

{ kill -9 "$p" && wait "$p"; } 2>/dev/null || true
echo "registrator SIGKILLed: $(keys --keys-only | grep -c . || true) key(s) left"
for _ in $(seq 100); do
  [[ -z $(keys --keys-only) ]] && break
  sleep 0.2
done
echo "after the lease ran out: $(keys --keys-only | grep -c . || true) key(s) left"
