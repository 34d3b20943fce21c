#!/bin/sh
# Cost of loading the Consul adapter's client: bench/client-load.sh consul (kept under this name for its docs/benchmarks.md row).
# Usage: bench/consul-client-load.sh [RUNS]   (needs `npm run build`)
exec sh "$(dirname "$0")/client-load.sh" consul "$@"
