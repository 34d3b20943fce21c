#!/usr/bin/env bash
# Real test bed for portolan's integration tests: dockerd + test images, ZooKeeper (standalone and a
# 3-member ensemble), a Consul dev agent, an ACL-enforcing one and an HTTPS one with client certificates
# required, etcd (a single node, a 3-member cluster, an HTTPS one with auth) and CoreDNS reading the single node
# through its etcd plugin, all on 127.0.0.1, and a Spring Cloud Zookeeper client (a jar, no server). Needs root on Debian 12.
#
#   scripts/testbed.sh up | down | status
#   scripts/testbed.sh consul-restart | consul-stop | consul-start
#   scripts/testbed.sh zk-stop N | zk-start N | zk-leader        (N = 1..3, ensemble member)
#   scripts/testbed.sh docker-restart
#   scripts/testbed.sh eureka-stop N | eureka-start N          (N = 1 single, 2-3 peer pair, 4 basic auth)
#   scripts/testbed.sh etcd-stop M [SIGNAL] | etcd-start M | etcd-leader  (M = s, 1..3, sec)
#
# State (pid files, logs, ZooKeeper data): $PORTOLAN_TESTBED_DIR (default /var/tmp/portolan-testbed).
# Cache (consul and coredns binaries): $PORTOLAN_CACHE (default ~/.cache/portolan). `down` keeps cache and images.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

TB_STATE=${PORTOLAN_TESTBED_DIR:-/var/tmp/portolan-testbed}
TB_CACHE=${PORTOLAN_CACHE:-${HOME:-/root}/.cache/portolan}
TB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$TB_STATE" "$TB_CACHE"

source "$TB_HERE/testbed/lib.sh"
source "$TB_HERE/testbed/docker.sh"
source "$TB_HERE/testbed/zk.sh"
source "$TB_HERE/testbed/consul.sh"
source "$TB_HERE/testbed/consul-secure.sh"
source "$TB_HERE/testbed/image.sh"
source "$TB_HERE/testbed/eureka.sh"
source "$TB_HERE/testbed/spring-zk.sh"
source "$TB_HERE/testbed/etcd.sh"
source "$TB_HERE/testbed/coredns.sh"

tb_up() {
  local t0=$SECONDS
  [[ $(id -u) == 0 ]] || tb_die "must run as root (apt-get, dockerd)"
  tb_apt_ensure
  # ZooKeeper JVMs boot while dockerd, the images and Consul are handled; then wait for each.
  zk_up
  eureka_up
  spring_zk_up
  docker_up
  docker_images
  image_up
  consul_up
  consul_secure_up
  etcd_up
  zk_wait_all
  consul_wait
  consul_secure_wait
  eureka_wait
  spring_zk_wait
  etcd_wait
  coredns_up
  coredns_wait
  tb_log "up in $((SECONDS - t0))s"
  tb_status
}

tb_down() {
  eureka_down
  spring_zk_down
  coredns_down
  etcd_down
  consul_secure_down
  consul_stop_ours
  zk_down
  image_down
  docker_down
  rm -rf "$TB_ZK_DIR"/{s,1,2,3}/data
  tb_log "down"
}
consul_stop_ours() { if tb_alive "$TB_CONSUL_PIDFILE"; then consul_stop; fi; }

tb_status() {
  if docker_ok; then
    echo "dockerd      running (pid $(docker_daemon_pid)$([[ -e $TB_DOCKERD_OURS ]] && echo ", started by testbed"))"
  else
    echo "dockerd      down"
  fi
  local img
  for img in "$TB_BUSYBOX_IMAGE" "$TB_NODE_IMAGE"; do
    if docker_ok && "$TB_DOCKER" image inspect "$img" >/dev/null 2>&1; then
      echo "image        $img present"
    else
      echo "image        $img missing"
    fi
  done
  image_status
  zk_status
  consul_status
  consul_secure_status
  eureka_status
  spring_zk_status
  etcd_status
  coredns_status
}

main() {
  local cmd=${1:-}
  shift || true
  # Every command that starts or stops something holds the lock (servers never inherit it).
  if [[ $cmd != status && $cmd != zk-leader && $cmd != etcd-leader ]]; then
    exec 9>"$TB_STATE/up.lock"
    flock -w 3600 9 || tb_die "another testbed.sh holds $TB_STATE/up.lock"
  fi
  case $cmd in
    up) tb_up ;;
    down) tb_down ;;
    status) tb_status ;;
    consul-restart) consul_stop; consul_start ;;
    consul-stop) consul_stop ;;
    consul-start) consul_start ;;
    zk-stop) zk_stop "${1:?zk-stop needs a member number 1..3}" ;;
    zk-start) zk_start "${1:?zk-start needs a member number 1..3}" ;;
    zk-leader) zk_leader || tb_die "no ZooKeeper ensemble member is leader" ;;
    docker-restart) docker_restart ;;
    eureka-stop) eureka_stop "${1:?eureka-stop needs a server number 1..4}" ;;
    eureka-start) eureka_start "${1:?eureka-start needs a server number 1..4}" && eureka_wait_one "$1" ;;
    etcd-stop) etcd_stop "${1:?etcd-stop needs a member: s, 1..3 or sec}" "${2:-TERM}" ;;
    etcd-start) etcd_start "${1:?etcd-start needs a member: s, 1..3 or sec}" ;;
    etcd-leader) etcd_leader || tb_die "no etcd cluster member is leader" ;;
    *)
      sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
      exit 2
      ;;
  esac
}

main "$@"
