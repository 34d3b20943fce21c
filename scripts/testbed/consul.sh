# shellcheck shell=bash
# Consul, built once from its Go module through the Go module proxy, run as a dev agent on 127.0.0.1.

# First version is the pin; the others are tried only if it cannot be built.
TB_CONSUL_VERSIONS=(v1.21.0 v1.20.6 v1.19.2)
TB_CONSUL_HTTP=18500
TB_CONSUL_DIR=$TB_STATE/consul
TB_CONSUL_PIDFILE=$TB_CONSUL_DIR/agent.pid

consul_bin() { tb_go_cached consul "${TB_CONSUL_VERSIONS[@]}"; }

# consul_build VERSION : throwaway module in the cache, seeded with consul's own go.sum (some of its
# pseudo-versioned dependencies are not in the checksum database; its go.sum, itself verified through
# the consul module's checksum, vouches for them).
consul_build() {
  local v=$1 mod=$TB_CACHE/consul-build-$1 dir
  rm -rf "$mod" "$TB_CACHE/consul-$v".tmp.* && mkdir -p "$mod"
  (
    cd "$mod" || exit 1
    export GOFLAGS=-mod=mod GOTOOLCHAIN=local GO111MODULE=on
    printf 'module portolanconsulbuild\n\ngo 1.23\n' >go.mod
    dir=$(go mod download -json "github.com/hashicorp/consul@$v" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
    [[ -n $dir && -f $dir/go.sum ]] || { echo "go mod download github.com/hashicorp/consul@$v failed"; exit 1; }
    cp "$dir/go.sum" go.sum && chmod u+w go.sum
    go get "github.com/hashicorp/consul@$v" || exit 1
    go build -trimpath -o "$TB_CACHE/consul-$v.tmp.$$" github.com/hashicorp/consul || exit 1
    mv "$TB_CACHE/consul-$v.tmp.$$" "$TB_CACHE/consul-$v"
  ) >>"$TB_CACHE/consul-build-$v.log" 2>&1
  local rc=$?
  rm -rf "$mod"
  return $rc
}

# Ensure a consul binary exists; a Consul that cannot be built fails `up` (the Consul tests never skip).
consul_ensure_binary() { tb_go_ensure consul consul_build "${TB_CONSUL_VERSIONS[@]}"; }

consul_leader() { tb_http_get 127.0.0.1 "$TB_CONSUL_HTTP" /v1/status/leader; }
consul_ready() { local l; l=$(consul_leader) && [[ $l == '"'?*'"' ]]; }

consul_begin() {
  if consul_ready; then
    tb_alive "$TB_CONSUL_PIDFILE" || tb_log "consul: port $TB_CONSUL_HTTP answers (not started by testbed), reused"
    return 0
  fi
  tb_alive "$TB_CONSUL_PIDFILE" && return 0 # still booting
  if tb_port_open 127.0.0.1 "$TB_CONSUL_HTTP"; then
    tb_die "consul: port $TB_CONSUL_HTTP is taken by something that does not answer /v1/status/leader"
  fi
  local bin
  bin=$(consul_bin) || return 1
  mkdir -p "$TB_CONSUL_DIR"
  tb_log "consul: starting $(basename "$bin") dev agent on 127.0.0.1:$TB_CONSUL_HTTP"
  echo "=== $(date -u +%FT%TZ) start" >>"$TB_CONSUL_DIR/agent.log"
  # Every test process reaches the agent from 127.0.0.1, and a reader holds one long poll per service: Consul's
  # default of 200 connections per client address would refuse some when several suites run at once.
  tb_spawn "$TB_CONSUL_PIDFILE" "$TB_CONSUL_DIR/agent.log" \
    "$bin" agent -dev -node portolan-dev -client 127.0.0.1 -bind 127.0.0.1 \
    -http-port "$TB_CONSUL_HTTP" -dns-port 18600 -grpc-port 18502 -grpc-tls-port 18503 \
    -serf-lan-port 18301 -serf-wan-port 18302 -server-port 18300 -log-level info \
    -hcl 'limits { http_max_conns_per_client = 4096 }'
}

consul_wait() {
  tb_wait 60 "consul to elect itself leader" consul_ready ||
    tb_die "consul did not become ready (log $TB_CONSUL_DIR/agent.log)"
}

# up: build when needed, start, (wait is done by the caller after the other services were launched)
consul_up() {
  consul_ensure_binary
  consul_begin
}

consul_stop() {
  if tb_alive "$TB_CONSUL_PIDFILE"; then
    tb_log "consul: stopping"
    tb_kill "$TB_CONSUL_PIDFILE" TERM 15
  fi
  tb_wait 15 "consul port to close" consul_port_closed ||
    tb_die "consul still answers on $TB_CONSUL_HTTP after stop (not started by testbed?)"
}
consul_port_closed() { ! tb_port_open 127.0.0.1 "$TB_CONSUL_HTTP"; }

consul_start() {
  consul_bin >/dev/null || tb_die "consul binary missing; run: scripts/testbed.sh up"
  consul_begin
  consul_wait
}

consul_status() {
  local l
  if l=$(consul_leader); then
    printf 'consul       127.0.0.1:%s  leader %s%s\n' "$TB_CONSUL_HTTP" "$l" \
      "$(tb_alive "$TB_CONSUL_PIDFILE" && echo " (pid $(<"$TB_CONSUL_PIDFILE"))")"
  else
    echo "consul       127.0.0.1:$TB_CONSUL_HTTP  down"
  fi
}
