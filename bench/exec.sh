#!/bin/sh
# portolan exec with 5 env files, a 30-variable spec and 3 templates, running `true`:
# median wall time and peak RSS, against `node -e 0` and `envsubst` (same fixtures, same machine).
# `portolan` is bin/portolan, exactly what users and the example image run (sh -> node dist/src/cli/portolan.cjs:
# the CommonJS bundle with its V8 code cache); `node main.js` is the ES-module entry, for comparison.
# Usage: [ROUNDS=5] bench/exec.sh [RUNS_PER_ROUND]   (needs `npm run build`; hyperfine when installed, else a shell loop)
set -eu
RUNS=${1:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="$ROOT/dist/src/cli/main.js"
for f in "$CLI" "$ROOT/dist/src/cli/portolan.cjs" "$ROOT/dist/src/cli/start.cjs.v8cache"; do
  [ -f "$f" ] || { echo "$f is missing: run npm run build first" >&2; exit 1; }
done
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

FLAGS="exec --env-dir $W --name push-server --spec $W/spec.json \
 --template $W/t1.json.mustache:$W/out/t1.json --template $W/t2.json.mustache:$W/out/t2.json --template $W/t3.json.mustache:$W/out/t3.json -- true"
PORTOLAN="$ROOT/bin/portolan $FLAGS"
ESM="node $CLI $FLAGS"
# envsubst does the same work the shell way: source 5 files, substitute 3 templates, run true.
ENVSUBST="sh -c 'set -a; for f in $W/*.env; do . \$f; done; for n in 1 2 3; do envsubst < $W/t\$n.envsubst > $W/out/e\$n.txt; done; true'"

$PORTOLAN 2>/dev/null   # first run writes the files; every timed run finds them unchanged
$ESM 2>/dev/null
node -e 'for (const n of [1,2,3]) JSON.parse(require("fs").readFileSync(process.argv[1] + "/out/t" + n + ".json", "utf8"))' "$W"

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rss_kb() { # median peak RSS (KiB) over 5 runs
  for _ in 1 2 3 4 5; do /usr/bin/time -f '%M' sh -c "exec $1" 2>&1 >/dev/null | tail -1; done | median
}

# Interleaved rounds: each round times all four commands back to back (hyperfine when installed, else a shell
# loop, CPU from /usr/bin/time), so a machine whose load changes during the run skews every command alike. Per
# round: median wall ms and mean user+sys CPU ms of each; the figures are medians over rounds, ratios taken per round.
ROUNDS=${ROUNDS:-5}
: > "$W/rounds"
for r in $(seq 1 "$ROUNDS"); do
  line=""
  for cmd in "node -e 0" "$PORTOLAN" "$ENVSUBST" "$ESM"; do
    if command -v hyperfine >/dev/null; then
      hyperfine -N -w 2 -r "$RUNS" --export-json "$W/h.json" "$cmd" >/dev/null 2>&1 ||
        hyperfine -w 2 -r "$RUNS" --export-json "$W/h.json" "$cmd" >/dev/null 2>&1
      m=$(node -e 'const r=require(process.argv[1]).results[0]; console.log((r.median*1000).toFixed(1), ((r.user+r.system)*1000).toFixed(1))' "$W/h.json")
    else
      # Wall from date, user+sys CPU from /usr/bin/time (CPU is what a loaded machine distorts least).
      for _ in $(seq 1 "$RUNS"); do
        s=$(date +%s%N); /usr/bin/time -f '%U %S' -o "$W/t" sh -c "$cmd" >/dev/null 2>&1; e=$(date +%s%N)
        echo "$(((e - s) / 1000)) $(cat "$W/t")"
      done > "$W/runs"
      m="$(awk '{print $1 / 1000}' "$W/runs" | median | awk '{printf "%.1f", $1}') $(awk '{s += ($2 + $3) * 1000} END {printf "%.1f", s / NR}' "$W/runs")"
    fi
    line="$line $m"
  done
  echo "$line" >> "$W/rounds"
done
# columns: node_wall node_cpu portolan_wall portolan_cpu envsubst_wall envsubst_cpu esm_wall esm_cpu
col() { awk -v c="$1" '{print $c}' "$W/rounds" | median; }
ratio() { awk -v a="$1" -v b="$2" '$b != "NA" && $b > 0 {printf "%.3f\n", $a / $b}' "$W/rounds" | median | awk '{printf "%.2f", $1}'; }

printf '%-44s %10s %12s %13s\n' "command ($ROUNDS rounds x $RUNS runs)" "wall ms" "user+sys ms" "peak RSS KiB"
printf '%-44s %10s %12s %13s\n' "node -e 0" "$(col 1)" "$(col 2)" "$(rss_kb "node -e 0")"
printf '%-44s %10s %12s %13s\n' "bin/portolan exec (5 files, 30 vars, 3 tpl)" "$(col 3)" "$(col 4)" "$(rss_kb "$PORTOLAN")"
printf '%-44s %10s %12s %13s\n' "sh + envsubst (same work)" "$(col 5)" "$(col 6)" "$(rss_kb "$ENVSUBST")"
printf '%-44s %10s %12s %13s\n' "node dist/src/cli/main.js exec (ESM)" "$(col 7)" "$(col 8)" "$(rss_kb "$ESM")"
echo "ratio portolan / node -e 0: wall $(ratio 3 1), cpu $(ratio 4 2)   (target: <= 1.10)"
echo "ratio main.js  / node -e 0: wall $(ratio 7 1), cpu $(ratio 8 2)"
echo "ratio portolan / envsubst:  wall $(ratio 3 5)"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
