#!/bin/sh
# portolan exec with 5 env files, a 30-variable spec and 3 templates, running `true`:
# median wall time and peak RSS, against `node -e 0` and `envsubst` (same fixtures, same machine).
# Usage: bench/exec.sh [RUNS]   (needs `npm run build`; uses hyperfine when installed, else a shell loop)
set -eu
RUNS=${1:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="$ROOT/dist/src/cli/main.js"
[ -f "$CLI" ] || { echo "run npm run build first" >&2; exit 1; }
W=$(mktemp -d /tmp/portolan-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

# --- fixtures: 30 variables over 5 env files, a JSON spec declaring all 30, 3 templates using them ---
i=0
for f in service-locations service-config cluster secrets push-server; do
  : > "$W/$f.env"
  for _ in 1 2 3 4 5 6; do
    i=$((i + 1))
    case $((i % 5)) in
      0) echo "VAR_$i=value-$i # comment" ;;
      1) echo "VAR_$i=\"quoted value $i\"" ;;
      2) echo "VAR_$i=$((1000 + i))" ;;
      3) echo "VAR_$i=http://host-$i.example:80$i/path" ;;
      4) echo "VAR_$i=true" ;;
    esac >> "$W/$f.env"
  done
done
{
  echo '{ "variables": {'
  for i in $(seq 1 30); do
    case $((i % 5)) in 0|1) t=string ;; 2) t=int ;; 3) t=url ;; 4) t=bool ;; esac
    sep=,; [ "$i" = 30 ] && sep=
    echo "  \"VAR_$i\": { \"type\": \"$t\", \"required\": true }$sep"
  done
  echo '} }'
} > "$W/spec.json"
for n in 1 2 3; do
  { echo '{'; for i in $(seq 1 30); do sep=,; [ "$i" = 30 ] && sep=; echo "  \"k$i\": \"{{VAR_$i}}\"$sep"; done; echo '}'; } > "$W/t$n.json.mustache"
  for i in $(seq 1 30); do echo "k$i=\${VAR_$i}"; done > "$W/t$n.envsubst"
done
mkdir -p "$W/out"

PORTOLAN="node $CLI exec --env-dir $W --name push-server --spec $W/spec.json \
 --template $W/t1.json.mustache:$W/out/t1.json --template $W/t2.json.mustache:$W/out/t2.json --template $W/t3.json.mustache:$W/out/t3.json -- true"
# envsubst does the same work the shell way: source 5 files, substitute 3 templates, run true.
ENVSUBST="sh -c 'set -a; for f in $W/*.env; do . \$f; done; for n in 1 2 3; do envsubst < $W/t\$n.envsubst > $W/out/e\$n.txt; done; true'"

$PORTOLAN   # first run writes the files; every timed run finds them unchanged
node -e 'for (const n of [1,2,3]) JSON.parse(require("fs").readFileSync(process.argv[1] + "/out/t" + n + ".json", "utf8"))' "$W"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
wall_ms() { # median wall ms of RUNS runs of "$1"
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 3 -r "$RUNS" --export-json "$W/h.json" "$1" >/dev/null 2>&1 ||
      hyperfine -w 3 -r "$RUNS" --export-json "$W/h.json" "$1" >/dev/null 2>&1
    node -e 'const r=require(process.argv[1]).results[0]; console.log((r.median*1000).toFixed(1))' "$W/h.json"
  else
    for _ in $(seq 1 "$RUNS"); do
      s=$(date +%s%N); sh -c "$1" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000))
    done | median | awk '{printf "%.1f\n", $1/1000}'
  fi
}
rss_kb() { # median peak RSS (KiB) over 5 runs
  for _ in 1 2 3 4 5; do /usr/bin/time -f '%M' sh -c "exec $1" 2>&1 >/dev/null | tail -1; done | median
}

NODE0=$(wall_ms "node -e 0"); NODE0_RSS=$(rss_kb "node -e 0")
PORT=$(wall_ms "$PORTOLAN"); PORT_RSS=$(rss_kb "$PORTOLAN")
ENVS=$(wall_ms "$ENVSUBST"); ENVS_RSS=$(rss_kb "$ENVSUBST")
printf '%-34s %12s %14s\n' "command ($RUNS runs)" "median ms" "peak RSS KiB"
printf '%-34s %12s %14s\n' "node -e 0" "$NODE0" "$NODE0_RSS"
printf '%-34s %12s %14s\n' "portolan exec (5 files/30 vars/3 t)" "$PORT" "$PORT_RSS"
printf '%-34s %12s %14s\n' "sh + envsubst (same work)" "$ENVS" "$ENVS_RSS"
awk -v p="$PORT" -v n="$NODE0" -v e="$ENVS" 'BEGIN { printf "ratio portolan / node -e 0 = %.2f (target <= 1.30)\nratio portolan / envsubst  = %.2f\n", p / n, p / e }'
