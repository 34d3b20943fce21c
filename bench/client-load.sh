#!/bin/sh
# Cost of loading a registry adapter's client in a fresh node process: import + one client construction, wall ms and
# RSS growth, medians of N runs, against loading node:http + node:https alone (what any HTTP client needs). This is
# paid at every `portolan render|exec --registry …` start.
#   consul: adapters/consul/client.ts over http.ts. The `consul` npm package it replaced measured 42–48 ms and
#           +11 MiB on its own (docs/benchmarks.md, Client load).
#   etcd:   adapters/etcd/client.ts over the v3 JSON gateway; with ETCD3_DIR (a directory where `npm install etcd3`
#           was run) also the `etcd3` package (gRPC: @grpc/grpc-js, protobufjs, its .proto files loaded at construction).
# Usage: [ETCD3_DIR=DIR] bench/client-load.sh consul|etcd [RUNS]   (needs `npm run build`)
set -eu
WHICH=${1:?usage: bench/client-load.sh consul|etcd [RUNS]}
RUNS=${2:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $WHICH in
  consul) CONSTRUCT="new m.ConsulClient({ host: '127.0.0.1', port: 1, requestTimeoutMs: 1, logger: {} })" ;;
  etcd) CONSTRUCT="new m.EtcdClient({ endpoints: [{ host: '127.0.0.1', port: 1 }], secure: false, requestTimeoutMs: 1, logger: {}, base: '/skydns/' })" ;;
  *) echo "unknown client $WHICH (consul or etcd)" >&2; exit 64 ;;
esac
CLIENT="$ROOT/dist/adapters/$WHICH/client.js"
[ -f "$CLIENT" ] || { echo "$CLIENT is missing: run npm run build first" >&2; exit 1; }
W=$(mktemp /tmp/portolan-bench.XXXXXX)
trap 'rm -f "$W"' EXIT

measure() { # $1 = label, $2 = JS module expression to import, $3 = JS run on the module
  i=0
  while [ "$i" -lt "$RUNS" ]; do
    node --input-type=module -e "
      const t = process.hrtime.bigint(), r = process.memoryUsage().rss;
      const m = await import('$2'); $3;
      console.log((Number(process.hrtime.bigint() - t) / 1e6).toFixed(1), ((process.memoryUsage().rss - r) / 1048576).toFixed(1));"
    i=$((i + 1))
  done >"$W"
  ms=$(cut -d' ' -f1 "$W" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
  mb=$(cut -d' ' -f2 "$W" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
  printf '%-28s %6s ms  +%s MiB RSS  (median of %s)\n' "$1" "$ms" "$mb" "$RUNS"
}

measure "node:http + node:https" "node:https" "await import('node:http')"
measure "adapters/$WHICH/client.js" "$CLIENT" "$CONSTRUCT"
if [ "$WHICH" = etcd ] && [ -n "${ETCD3_DIR:-}" ]; then
  E3=$(cd "$ETCD3_DIR" && node -e "console.log(require.resolve('etcd3'))")
  measure "etcd3 $(cd "$ETCD3_DIR" && node -p "require('etcd3/package.json').version")" "$E3" "new (m.Etcd3 ?? m.default.Etcd3)({ hosts: '127.0.0.1:1' })"
fi
