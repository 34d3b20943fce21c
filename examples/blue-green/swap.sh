#!/usr/bin/env bash
# Moves the traffic to COLOUR (blue or green): starts it, waits until Docker calls it healthy and HAProxy serves
# it (the registry has it passing, portolan re-rendered haproxy.cfg and reloaded HAProxy), then stops the other
# colour, whose server line portolan then removes. A COLOUR that does not turn healthy within HEALTH_TIMEOUT never
# gets traffic: it is removed, the other colour keeps serving, exit 1.
#
#   ./swap.sh green            BROKEN=1 ./swap.sh green   (a release whose health check fails)
#
# Prints one line per step, each starting with the time in ms since the epoch.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
new=${1:-}
case $new in
  blue) old=green ;;
  green) old=blue ;;
  *) echo "usage: swap.sh blue|green" >&2; exit 64 ;;
esac

say "swap: starting $new"
colour_start "$new"
if ! wait_for "$HEALTH_TIMEOUT" is_settled "$new" || ! is_healthy "$new"; then
  status=$(health "$new" || true)
  docker rm -f "$HOST-$new" >/dev/null
  say "swap: $new is ${status:-gone}, not healthy within ${HEALTH_TIMEOUT}s: removed, $old keeps the traffic"
  exit 1
fi
say "swap: $new healthy"
wait_for 30 in_config "$new" || { say "swap: $new is healthy but not in $STATE/haproxy.cfg after 30 s" >&2; exit 1; }
wait_for 30 answers "$new" || { say "swap: HAProxy does not answer $new after 30 s" >&2; exit 1; }
say "swap: $new serving"
if running "$old"; then
  say "swap: stopping $old"
  docker stop -t 10 "$HOST-$old" >/dev/null
  docker rm "$HOST-$old" >/dev/null
  wait_for 30 not_in_config "$old" || { say "swap: $old still in $STATE/haproxy.cfg after 30 s" >&2; exit 1; }
  say "swap: $old out of haproxy.cfg"
fi
say "swap: done, $new serves"
