# shellcheck shell=bash
# dockerd and the two test images (sourced by scripts/testbed.sh).

# Debian's client matches Debian's daemon; fall back to whatever is on PATH.
TB_DOCKER=/usr/bin/docker
[[ -x $TB_DOCKER ]] || TB_DOCKER=docker
TB_DOCKERD_PIDFILE=/var/run/docker.pid # written by dockerd itself
TB_DOCKERD_OURS=$TB_STATE/dockerd.started # present only when this script started dockerd
TB_DOCKERD_LOG=$TB_STATE/dockerd.log
TB_BUSYBOX_IMAGE=portolan-test/busybox:latest
TB_NODE_IMAGE=portolan-test/node:latest

docker_ok() { "$TB_DOCKER" info >/dev/null 2>&1; }

# Daemon flag sets tried in order. The first (plain defaults, nftables-backed iptables) works on the
# Debian 12 VM this was written on; the others are fallbacks for kernels without nf_tables or bridge
# netfilter. Publishing on 127.0.0.1 goes through docker-proxy, so it still works with --iptables=false.
TB_DOCKERD_VARIANTS=("" "legacy-iptables" "--iptables=false --ip-masq=false")

# Pid of a running dockerd (from its pid file, else by exact process name within this mount and
# network namespace), if any.
docker_daemon_pid() {
  local pid
  if [[ -s $TB_DOCKERD_PIDFILE ]]; then
    pid=$(<"$TB_DOCKERD_PIDFILE")
    kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  fi
  for pid in $(pgrep -x dockerd); do
    if [[ $(readlink "/proc/$pid/ns/mnt") == "$(readlink /proc/self/ns/mnt)" &&
      $(readlink "/proc/$pid/ns/net") == "$(readlink /proc/self/ns/net)" ]]; then
      echo "$pid"
      return 0
    fi
  done
  return 1
}

docker_start_daemon() {
  local variant args pid offset
  # Never start a second daemon: it would take over docker.sock and strand the first one.
  if docker_daemon_pid >/dev/null; then
    tb_die "dockerd (pid $(docker_daemon_pid)) runs but does not answer on /var/run/docker.sock; stop it first"
  fi
  for variant in "${TB_DOCKERD_VARIANTS[@]}"; do
    args=()
    if [[ $variant == legacy-iptables ]]; then
      [[ -x /usr/sbin/iptables-legacy ]] || continue
      tb_log "dockerd: retrying with iptables-legacy (update-alternatives, host-wide)"
      update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
      update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null
    elif [[ -n $variant ]]; then
      tb_log "dockerd: retrying with $variant"
      read -r -a args <<<"$variant"
    fi
    echo "=== $(date -u +%FT%TZ) dockerd ${args[*]}" >>"$TB_DOCKERD_LOG"
    offset=$(stat -c %s "$TB_DOCKERD_LOG")
    setsid dockerd --host unix:///var/run/docker.sock "${args[@]}" </dev/null >>"$TB_DOCKERD_LOG" 2>&1 8>&- 9>&- &
    pid=$!
    if tb_wait 60 "dockerd" docker_ready_or_dead "$pid" && docker_ok; then
      echo "$pid" >"$TB_DOCKERD_OURS"
      echo "$variant" >"$TB_STATE/dockerd.variant"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    tb_wait 20 "failed dockerd to exit" tb_dead "$pid" || kill -9 "$pid" 2>/dev/null || true
    tb_log "dockerd failed to start; last log lines:"
    tail -c +$((offset + 1)) "$TB_DOCKERD_LOG" | grep -v '\[core\]' | tail -n 8 >&2
    # Only network setup failures are worth another configuration.
    tail -c +$((offset + 1)) "$TB_DOCKERD_LOG" | grep -iE 'level=(error|fatal)|failed' | grep -qiE 'iptables|nf_tables|bridge|nat' || break
  done
  tb_die "dockerd does not start (log: $TB_DOCKERD_LOG)"
}
docker_ready_or_dead() { docker_ok || tb_dead "$1"; }

docker_up() {
  if docker_ok; then
    tb_log "dockerd: already running"
    return 0
  fi
  if docker_daemon_pid >/dev/null; then
    tb_log "dockerd: pid $(docker_daemon_pid) runs but does not answer yet, waiting"
    tb_wait 90 "dockerd" docker_ok && return 0
    tb_die "dockerd (pid $(docker_daemon_pid)) does not answer on /var/run/docker.sock (log $TB_DOCKERD_LOG)"
  fi
  tb_log "dockerd: starting (log $TB_DOCKERD_LOG)"
  TB_DOCKER_FRESH=1
  local variant=""
  [[ -s $TB_STATE/dockerd.variant ]] && variant=$(<"$TB_STATE/dockerd.variant")
  # A variant that worked before goes first.
  if [[ -n $variant ]]; then
    TB_DOCKERD_VARIANTS=("$variant" "${TB_DOCKERD_VARIANTS[@]}")
  fi
  docker_start_daemon
}

docker_stop() {
  local pid
  pid=$(docker_daemon_pid) || return 0
  tb_log "dockerd: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  if ! tb_wait 40 "dockerd to exit" tb_dead "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    tb_wait 10 "dockerd to die" tb_dead "$pid" || true
  fi
  tb_wait 10 "docker.sock to vanish" test ! -S /var/run/docker.sock || true
}

docker_down() {
  [[ -e $TB_DOCKERD_OURS ]] || { tb_log "dockerd: not started by testbed, left alone"; return 0; }
  if docker_ok; then
    local ids
    ids=$("$TB_DOCKER" ps -aq --filter "ancestor=$TB_BUSYBOX_IMAGE" --filter "ancestor=$TB_NODE_IMAGE" || true)
    # shellcheck disable=SC2086
    [[ -z $ids ]] || "$TB_DOCKER" rm -f $ids >/dev/null 2>&1 || true
  fi
  docker_stop
  rm -f "$TB_DOCKERD_OURS"
}

docker_restart() {
  docker_daemon_pid >/dev/null || tb_die "docker-restart: dockerd is not running"
  docker_stop
  local variant=""
  [[ -s $TB_STATE/dockerd.variant ]] && variant=$(<"$TB_STATE/dockerd.variant")
  TB_DOCKERD_VARIANTS=("$variant")
  docker_start_daemon
  tb_log "dockerd: restarted"
}

# Root fs with static busybox and its applets as symlinks at their usual paths.
docker_busybox_rootfs() {
  local root=$1 applet
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,var/www,proc,sys,dev}
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  while read -r applet; do
    [[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
  done < <(/bin/busybox --list-full)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

docker_import() {
  local root=$1 image=$2; shift 2
  tar -C "$root" -c . | "$TB_DOCKER" import "$@" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh"]' - "$image" >/dev/null
}

docker_node_version() { "$TB_DOCKER" image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$TB_NODE_IMAGE" 2>/dev/null | sed -n 's/^PORTOLAN_NODE_VERSION=//p'; }

# Builds missing images; smoke-tests them when something was built or dockerd was just started.
docker_images() {
  local tmp want fresh=${TB_DOCKER_FRESH:-0}
  tmp=$(mktemp -d "$TB_STATE/rootfs.XXXXXX")
  if ! "$TB_DOCKER" image inspect "$TB_BUSYBOX_IMAGE" >/dev/null 2>&1; then
    tb_log "image: building $TB_BUSYBOX_IMAGE"
    docker_busybox_rootfs "$tmp/busybox"
    docker_import "$tmp/busybox" "$TB_BUSYBOX_IMAGE"
    fresh=1
  fi
  want=$(node --version)
  if [[ $(docker_node_version) != "$want" ]]; then
    tb_log "image: building $TB_NODE_IMAGE (node $want)"
    docker_busybox_rootfs "$tmp/node"
    local lib
    mkdir -p "$tmp/node/usr/bin"
    cp -L "$(command -v node)" "$tmp/node/usr/bin/node"
    # Every library ldd lists (and the loader) at the same path.
    while read -r lib; do
      mkdir -p "$tmp/node$(dirname "$lib")"
      cp -L "$lib" "$tmp/node$lib"
    done < <(ldd "$(command -v node)" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
    docker_import "$tmp/node" "$TB_NODE_IMAGE" --change "ENV PORTOLAN_NODE_VERSION=$want"
    fresh=1
  fi
  rm -rf "$tmp"
  if ((fresh)); then docker_smoke; fi
}

docker_smoke() {
  local out
  out=$("$TB_DOCKER" run --rm "$TB_BUSYBOX_IMAGE" sh -c 'echo busybox-ok') ||
    tb_die "smoke: docker run $TB_BUSYBOX_IMAGE failed"
  [[ $out == busybox-ok ]] || tb_die "smoke: $TB_BUSYBOX_IMAGE printed '$out'"
  out=$("$TB_DOCKER" run --rm "$TB_NODE_IMAGE" node -e 'console.log("node-ok", 6 * 7)') ||
    tb_die "smoke: docker run $TB_NODE_IMAGE failed"
  [[ $out == "node-ok 42" ]] || tb_die "smoke: $TB_NODE_IMAGE printed '$out'"
  docker_smoke_port
  tb_log "images: smoke tests passed (busybox, node, port on 127.0.0.1)"
}

# A container publishing a port on 127.0.0.1 must be reachable from the host.
docker_smoke_port() {
  local id port body=""
  id=$("$TB_DOCKER" run -d --rm -p 127.0.0.1::80 "$TB_BUSYBOX_IMAGE" \
    sh -c 'mkdir -p /www && echo port-ok >/www/index.html && exec httpd -f -p 80 -h /www') ||
    tb_die "smoke: could not run a container publishing 127.0.0.1::80"
  port=$("$TB_DOCKER" port "$id" 80/tcp | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -n1 || true)
  if [[ -n $port ]]; then
    local _try
    for _try in $(seq 1 50); do
      body=$(tb_http_get 127.0.0.1 "$port" /index.html) && break
      sleep 0.1
    done
  fi
  "$TB_DOCKER" rm -f "$id" >/dev/null 2>&1 || true
  [[ -n $port ]] || tb_die "smoke: container published no 127.0.0.1 port"
  [[ $body == port-ok* ]] || tb_die "smoke: 127.0.0.1:$port (published by a container) did not answer"
}
