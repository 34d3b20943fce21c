#!/usr/bin/env bash
# Registrator with ZooKeeper: a container's service written as Apache Curator's ServiceInstance JSON (the default
# format) and as SmartStack nerve entries, read back with ZooKeeper's own CLI, removed when the container stops.
# A third registrator writes with a digest credential (PORTOLAN_ZK_AUTH): its nodes are readable by all and cannot be
# deleted by a client without it.
#
#   ZK=127.0.0.1:2181 ./run.sh
#
# Env: ZK (connect string), IMAGE (any image with `sleep`), PORTOLAN (command to run portolan),
#      ZKCLI (ZooKeeper's CLI; Debian's package has /usr/share/zookeeper/bin/zkCli.sh).
set -euo pipefail
ZK=${ZK:-127.0.0.1:2181}
IMAGE=${IMAGE:-busybox}
PORTOLAN=${PORTOLAN:-portolan}
ZKCLI=${ZKCLI:-/usr/share/zookeeper/bin/zkCli.sh}
HOST=example-zk
trap 'docker rm -f api-1 >/dev/null 2>&1 || true; kill "${p1:-}" "${p2:-}" "${p3:-}" 2>/dev/null || true' EXIT

# zkCli prints its connection's 'WATCHER::' and WatchedEvent lines asynchronously: sometimes after the answer, so both are dropped.
zk() { "$ZKCLI" -server "$ZK" "$@" 2>/dev/null | grep -v -e '^$' -e '^WatchedEvent ' -e '^WATCHER::' | tail -n 1; }

# /example is created open first: the three registrators start at once, and the one with PORTOLAN_ZK_AUTH would
# otherwise create it with its own ACL (read-only for others) when it gets there first.
"$ZKCLI" -server "$ZK" create /example >/dev/null 2>&1 || true

docker run -d --name api-1 -p 127.0.0.1::8080 -e SERVICE_NAME=api "$IMAGE" sleep 600 >/dev/null

# Two registrators, one per format, each under its own base path.
$PORTOLAN registrator --hostname "$HOST" --ip 127.0.0.1 "zk://$ZK/example/curator?format=curator" 2>curator.log &
p1=$!
$PORTOLAN registrator --hostname "$HOST" --ip 127.0.0.1 "zk://$ZK/example/nerve?format=nerve" 2>nerve.log &
p2=$!
PORTOLAN_ZK_AUTH=example:example-password $PORTOLAN registrator --hostname "$HOST" --ip 127.0.0.1 "zk://$ZK/example/protected" 2>protected.log &
p3=$!

for _ in $(seq 100); do
  [[ $(zk ls /example/curator/api) == *"$HOST:api-1:8080"* && $(zk ls /example/nerve/api/services) == *"$HOST"* &&
    $(zk ls /example/protected/api) == *"$HOST"* ]] && break
  sleep 0.2
done

echo "curator: /example/curator/api/$(zk ls /example/curator/api | tr -d '[]')"
zk get "/example/curator/api/$HOST:api-1:8080" | sed -E 's/"registrationTimeUTC":[0-9]+/"registrationTimeUTC":…/'
child=$(zk ls /example/nerve/api/services | tr -d '[]')
echo "nerve: /example/nerve/api/services/${child//[0-9]/N}"
zk get "/example/nerve/api/services/$child"
protected=/example/protected/api/$HOST:api-1:8080
# zkCli shows an ACL as 'scheme,'id lines, each followed by ": perms" (it hides digest hashes as "x").
echo "protected ACL: $("$ZKCLI" -server "$ZK" getAcl "$protected" 2>/dev/null | grep -e "^'" -e '^:' | tr -d "'" | paste -sd ' ')"
answer=$("$ZKCLI" -server "$ZK" delete "$protected" 2>&1 || true)
if grep -qi 'insufficient permission' <<<"$answer"; then echo "delete without the credential: refused"; else echo "delete without the credential: done"; fi

docker stop api-1 >/dev/null
for _ in $(seq 100); do
  [[ $(zk ls /example/curator/api) == "[]" && $(zk ls /example/nerve/api/services) == "[]" && $(zk ls /example/protected/api) == "[]" ]] && break
  sleep 0.2
done
echo "after docker stop: curator $(zk ls /example/curator/api), nerve $(zk ls /example/nerve/api/services), protected $(zk ls /example/protected/api)"
