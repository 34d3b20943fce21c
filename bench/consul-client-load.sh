#!/bin/sh
# Cost of loading the Consul adapter's client (adapters/consul/client.ts over http.ts, with the core modules it
# imports) in a fresh node process: import + one client construction, wall ms and RSS growth, medians of N runs,
# against loading node:http + node:https alone (what any HTTP client needs). This is paid at every
# `portolan render|exec --registry consul://…` start. The `consul` npm package it replaced measured 42–48 ms and
# +11 MiB on its own (adapters/consul/README.md).
# Usage: bench/consul-client-load.sh [RUNS]   (needs `npm run build`)
set -eu
RUNS=${1:-7}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLIENT="$ROOT/dist/adapters/consul/client.js"
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
measure "adapters/consul/client.js" "$CLIENT" "new m.ConsulClient({ host: '127.0.0.1', port: 1, requestTimeoutMs: 1, logger: {} })"
