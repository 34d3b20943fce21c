# shellcheck shell=bash
# Settings and helpers shared by run.sh and swap.sh (sourced).
CONSUL=${CONSUL:-127.0.0.1:8500}           # Consul agent HTTP address
IMAGE=${IMAGE:-busybox}                    # any image with busybox's sh, httpd and wget
PORTOLAN=${PORTOLAN:-portolan}             # command that runs portolan
PORT=${PORT:-8080}                         # HAProxy's front end, on 127.0.0.1
STATE=${STATE:-$PWD/blue-green-state}      # rendered haproxy.cfg, pid files, logs
HOST=${HOST:-blue-green}                   # the registrator's --hostname (owner of the entries)
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-30}       # seconds a new colour has to become healthy
SERVICE=bg-web                             # the service name haproxy.cfg.mustache reads
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

now_ms() { date +%s%3N; }
say() { echo "$(now_ms) $*"; }

# wait_for SECONDS CMD... : run CMD every 0.1 s until it succeeds; 1 when SECONDS pass first.
wait_for() {
  local deadline=$(($(date +%s) + $1)); shift
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || return 1
    sleep 0.1
  done
}

# A colour: busybox httpd answering its colour on / and "ok" on /health, with a Docker HEALTHCHECK on /health
# (BROKEN=1: no /health, so it never turns healthy). The registrator registers it as $SERVICE (tag: the colour);
# Consul sees its Docker health, and only passing instances reach the template.
colour_start() {
  local colour=$1
  docker rm -f "$HOST-$colour" >/dev/null 2>&1 || true
  docker run -d --name "$HOST-$colour" -p 127.0.0.1::80 -e SERVICE_NAME="$SERVICE" -e SERVICE_TAGS="$colour" \
    -e COLOUR="$colour" -e BROKEN="${BROKEN:-}" \
    --health-cmd 'wget -q -O /dev/null http://127.0.0.1/health' --health-interval 1s --health-retries 2 \
    "$IMAGE" sh -c 'mkdir -p /www; echo "$COLOUR" >/www/index.html; [ -n "$BROKEN" ] || echo ok >/www/health
      trap "exit 0" TERM; httpd -f -p 80 -h /www & wait' >/dev/null
}
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$HOST-$1" 2>/dev/null; }
is_healthy() { [[ $(health "$1") == healthy ]]; }
is_settled() { [[ $(health "$1") == healthy || $(health "$1") == unhealthy ]]; }
# The rendered HAProxy configuration has a server line for the colour's container.
in_config() { grep -q "server $HOST:$HOST-$1:80 " "$STATE/haproxy.cfg"; }
not_in_config() { ! in_config "$1"; }
answers() { [[ $(curl -s -m 1 "http://127.0.0.1:$PORT/") == "$1" ]]; }
running() { docker ps -q --filter "name=^$HOST-$1\$" | grep -q .; }
