#!/usr/bin/env bash
# Blue/green behind HAProxy, switched by the registry: the registrator puts each colour's container into Consul
# with its Docker health, `portolan exec --watch` renders HAProxy's servers from the passing instances and reloads
# HAProxy with SIGUSR2, and swap.sh moves the traffic to the other colour once that one is healthy.
#
#   CONSUL=127.0.0.1:8500 ./run.sh up     # registrator, HAProxy (under portolan exec), blue; prints "up: blue"
#   ./swap.sh green                        # start green, wait until healthy and serving, stop blue
#   ./run.sh down                          # stop everything
#
# Env: see lib.sh (CONSUL, IMAGE, PORTOLAN, PORT, STATE, HOST, HEALTH_TIMEOUT).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

up() {
  # HAProxy binds with SO_REUSEPORT: a second one on the port would silently share its connections.
  if curl -s -o /dev/null -m 1 "http://127.0.0.1:$PORT/"; then
    echo "up: 127.0.0.1:$PORT already answers (another HAProxy? ./run.sh down with the same STATE)" >&2
    exit 1
  fi
  mkdir -p "$STATE"
  # shellcheck disable=SC2086 # PORTOLAN may be a command with arguments (node path/to/main.js)
  setsid $PORTOLAN registrator --hostname "$HOST" --deregister-on-exit "consul://$CONSUL" \
    </dev/null >/dev/null 2>"$STATE/registrator.log" &
  echo $! >"$STATE/registrator.pid"
  colour_start blue
  # HAProxy runs as portolan's child: rendered first, re-rendered and reloaded on every change of bg-web.
  # shellcheck disable=SC2086
  PORT=$PORT STATE=$STATE setsid $PORTOLAN exec --registry "consul://$CONSUL" --watch --watch-min-quiet 100ms \
    --reload-signal SIGUSR2 --template "$HERE/haproxy.cfg.mustache:$STATE/haproxy.cfg" \
    -- haproxy -W -f "$STATE/haproxy.cfg" </dev/null >"$STATE/haproxy.log" 2>&1 &
  echo $! >"$STATE/exec.pid"
  wait_for "$HEALTH_TIMEOUT" answers blue || { echo "up: HAProxy does not answer blue on 127.0.0.1:$PORT (logs in $STATE)" >&2; exit 1; }
  echo "up: blue on http://127.0.0.1:$PORT/"
}

down() {
  docker rm -f "$HOST-blue" "$HOST-green" >/dev/null 2>&1 || true
  local f
  for f in exec registrator; do
    [[ -s $STATE/$f.pid ]] || continue
    kill -TERM "$(<"$STATE/$f.pid")" 2>/dev/null || true
    wait_for 15 eval "! kill -0 $(<"$STATE/$f.pid")" || true
    rm -f "$STATE/$f.pid"
  done
  echo "down"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) sed -n '6,8s/^# \{0,1\}//p' "$0" >&2; exit 64 ;;
esac
