# shellcheck shell=bash
# CoreDNS, built once from its Go module through the Go module proxy (its `etcd` plugin is in the default
# build), run on 127.0.0.1 with a Corefile that serves service.consul from the test bed's single etcd node.

# First version is the pin; the others are tried only if it cannot be built.
TB_COREDNS_VERSIONS=(v1.14.7 v1.14.6)
TB_COREDNS_DNS=23853 # UDP and TCP
TB_COREDNS_DIR=$TB_STATE/coredns
TB_COREDNS_PIDFILE=$TB_COREDNS_DIR/coredns.pid

coredns_bin() { tb_go_cached coredns "${TB_COREDNS_VERSIONS[@]}"; }

# coredns_build VERSION : `go install` of the module at that version (its own go.mod and go.sum decide every
# dependency) into a throwaway GOBIN, then moved into the cache.
coredns_build() {
  local gobin=$TB_CACHE/coredns-build-$1 rc=0
  rm -rf "$gobin" && mkdir -p "$gobin" &&
    (cd "$gobin" && GOFLAGS=-mod=mod GOTOOLCHAIN=local GOBIN=$gobin go install -trimpath "github.com/coredns/coredns@$1") >>"$TB_CACHE/coredns-build-$1.log" 2>&1 &&
    mv "$gobin/coredns" "$TB_CACHE/coredns-$1" || rc=$?
  rm -rf "$gobin"
  return $rc
}

# Ensure a coredns binary exists; one that cannot be built fails `up` (the CoreDNS tests never skip).
coredns_ensure_binary() { tb_go_ensure coredns coredns_build "${TB_COREDNS_VERSIONS[@]}"; }

coredns_dig() { dig +time=1 +tries=1 +short -p "$TB_COREDNS_DNS" @127.0.0.1 "$@" 2>/dev/null; }
# Ready = it answers a query for its zone (NXDOMAIN counts: the answer comes from the etcd plugin).
coredns_ready() { dig +time=1 +tries=1 -p "$TB_COREDNS_DNS" @127.0.0.1 portolan-probe.service.consul A 2>/dev/null | grep -q 'status: \(NOERROR\|NXDOMAIN\)'; }

coredns_begin() {
  local bin
  tb_alive "$TB_COREDNS_PIDFILE" && return 0
  tb_port_open 127.0.0.1 "$TB_COREDNS_DNS" && tb_die "coredns: port $TB_COREDNS_DNS is taken by a process the test bed did not start"
  bin=$(coredns_bin) || tb_die "coredns binary missing"
  mkdir -p "$TB_COREDNS_DIR"
  cat >"$TB_COREDNS_DIR/Corefile" <<COREFILE
service.consul:$TB_COREDNS_DNS {
    bind 127.0.0.1
    etcd service.consul {
        path /skydns
        endpoint http://127.0.0.1:$(etcd_client_port s)
    }
    errors
}
COREFILE
  tb_log "coredns: starting $(basename "$bin") on 127.0.0.1:$TB_COREDNS_DNS (etcd plugin on etcd s)"
  echo "=== $(date -u +%FT%TZ) start" >>"$TB_COREDNS_DIR/coredns.log"
  tb_spawn "$TB_COREDNS_PIDFILE" "$TB_COREDNS_DIR/coredns.log" "$bin" -conf "$TB_COREDNS_DIR/Corefile"
}

coredns_up() {
  coredns_ensure_binary
  coredns_begin
}

coredns_wait() {
  tb_wait 60 "coredns to answer" coredns_ready || tb_die "coredns did not answer (log $TB_COREDNS_DIR/coredns.log)"
}

coredns_down() {
  if tb_alive "$TB_COREDNS_PIDFILE"; then
    tb_log "coredns: stopping"
    tb_kill "$TB_COREDNS_PIDFILE" TERM 10
  fi
}

coredns_status() {
  if tb_alive "$TB_COREDNS_PIDFILE" && coredns_ready; then
    echo "coredns      127.0.0.1:$TB_COREDNS_DNS  etcd plugin, zone service.consul, path /skydns (pid $(<"$TB_COREDNS_PIDFILE"))"
  else
    echo "coredns      127.0.0.1:$TB_COREDNS_DNS  down"
  fi
}
