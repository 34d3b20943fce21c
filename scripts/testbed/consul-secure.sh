# shellcheck shell=bash
# Consul as production runs it, next to the plain dev agent of consul.sh (same binary):
#   - an agent with ACLs enforced (default deny) and a scoped token made here: service write, node and agent read;
#   - an agent serving only HTTPS, client certificates required (CA and certificates made offline by
#     `consul tls ca create` / `consul tls cert create`).
# Tokens and certificates are written to the state dir for the tests (test/integration/testbed.ts reads them).

TB_CONSUL_ACL_HTTP=18510 # dns 18511, grpc 18512, serf 18513/18514, server 18515
TB_CONSUL_ACL_DIR=$TB_STATE/consul-acl
TB_CONSUL_ACL_PIDFILE=$TB_CONSUL_ACL_DIR/agent.pid
TB_CONSUL_ACL_POLICY=portolan-registrator
TB_CONSUL_TLS_HTTPS=18520 # dns 18521, serf 18523/18524, server 18525; no plain HTTP port
TB_CONSUL_TLS_DIR=$TB_STATE/consul-tls
TB_CONSUL_TLS_PIDFILE=$TB_CONSUL_TLS_DIR/agent.pid

tb_uuid() { cat /proc/sys/kernel/random/uuid; }

# consul_cli ACL|TLS ARGS... : the consul CLI pointed at that agent (management token / client certificate).
consul_cli() {
  local which=$1 bin
  shift
  bin=$(consul_bin) || return 1
  if [[ $which == ACL ]]; then
    CONSUL_HTTP_ADDR=127.0.0.1:$TB_CONSUL_ACL_HTTP CONSUL_HTTP_TOKEN=$(<"$TB_CONSUL_ACL_DIR/management.token") "$bin" "$@"
  else
    CONSUL_HTTP_ADDR=https://127.0.0.1:$TB_CONSUL_TLS_HTTPS CONSUL_CACERT=$TB_CONSUL_TLS_DIR/consul-agent-ca.pem \
      CONSUL_CLIENT_CERT=$TB_CONSUL_TLS_DIR/dc1-client-consul-0.pem \
      CONSUL_CLIENT_KEY=$TB_CONSUL_TLS_DIR/dc1-client-consul-0-key.pem "$bin" "$@"
  fi
}

# Ready = leader elected and the ACL system answers the management token (it lags leadership a little).
consul_acl_ready() { [[ -s $TB_CONSUL_ACL_DIR/management.token ]] && consul_cli ACL acl policy list >/dev/null 2>&1; }
consul_tls_ready() { consul_cli TLS catalog services >/dev/null 2>&1; }

consul_acl_begin() {
  local bin
  tb_alive "$TB_CONSUL_ACL_PIDFILE" && return 0
  tb_port_open 127.0.0.1 "$TB_CONSUL_ACL_HTTP" && tb_die "consul acl: port $TB_CONSUL_ACL_HTTP is taken by a process the test bed did not start"
  bin=$(consul_bin) || tb_die "consul binary missing"
  mkdir -p "$TB_CONSUL_ACL_DIR" && chmod 700 "$TB_CONSUL_ACL_DIR"
  rm -f "$TB_CONSUL_ACL_DIR/registrator.token"
  (umask 077 && tb_uuid >"$TB_CONSUL_ACL_DIR/management.token")
  # The management token reaches consul through a 0600 config file, never the command line. The agent's own
  # token (node registration, anti-entropy: without one a deregistration never reaches the catalog) is the
  # same here; production gives agents a node-identity token.
  (umask 077 && cat >"$TB_CONSUL_ACL_DIR/acl.hcl" <<HCL
acl {
  enabled = true
  default_policy = "deny"
  enable_token_persistence = false
  tokens {
    initial_management = "$(<"$TB_CONSUL_ACL_DIR/management.token")"
    agent = "$(<"$TB_CONSUL_ACL_DIR/management.token")"
  }
}
HCL
  )
  tb_log "consul acl: starting an ACL-enforcing dev agent on 127.0.0.1:$TB_CONSUL_ACL_HTTP"
  echo "=== $(date -u +%FT%TZ) start" >>"$TB_CONSUL_ACL_DIR/agent.log"
  tb_spawn "$TB_CONSUL_ACL_PIDFILE" "$TB_CONSUL_ACL_DIR/agent.log" \
    "$bin" agent -dev -node portolan-acl -client 127.0.0.1 -bind 127.0.0.1 -config-file "$TB_CONSUL_ACL_DIR/acl.hcl" \
    -http-port "$TB_CONSUL_ACL_HTTP" -dns-port 18511 -grpc-port 18512 -grpc-tls-port -1 \
    -serf-lan-port 18513 -serf-wan-port 18514 -server-port 18515 -log-level info
}

# The scoped policy and its token (a fresh agent has neither: dev agents keep no state).
consul_acl_token() {
  local out secret
  [[ -s $TB_CONSUL_ACL_DIR/registrator.token ]] && return 0
  consul_cli ACL acl policy read -name "$TB_CONSUL_ACL_POLICY" >/dev/null 2>&1 ||
    consul_cli ACL acl policy create -name "$TB_CONSUL_ACL_POLICY" -description "portolan registrator: service write, node and agent read" \
    -rules 'service_prefix "" { policy = "write" }
key_prefix "portolan/refusals/" { policy = "write" }
node_prefix "" { policy = "read" }
agent_prefix "" { policy = "read" }' >/dev/null ||
    tb_die "consul acl: policy create failed"
  out=$(consul_cli ACL acl token create -description "portolan test bed registrator" -policy-name "$TB_CONSUL_ACL_POLICY" -format json) ||
    tb_die "consul acl: token create failed"
  secret=$(sed -n 's/^ *"SecretID": "\([0-9a-f-]*\)",$/\1/p' <<<"$out")
  [[ -n $secret ]] || tb_die "consul acl: no SecretID in the token create output"
  (umask 077 && echo "$secret" >"$TB_CONSUL_ACL_DIR/registrator.token.tmp") && mv "$TB_CONSUL_ACL_DIR/registrator.token.tmp" "$TB_CONSUL_ACL_DIR/registrator.token"
}

# CA, server and client certificates, made once (offline) and kept across restarts.
consul_tls_certs() {
  [[ -s $TB_CONSUL_TLS_DIR/dc1-client-consul-0-key.pem ]] && return 0
  local bin
  bin=$(consul_bin) || tb_die "consul binary missing"
  mkdir -p "$TB_CONSUL_TLS_DIR" && chmod 700 "$TB_CONSUL_TLS_DIR"
  (
    cd "$TB_CONSUL_TLS_DIR" && rm -f ./*.pem &&
      "$bin" tls ca create -days 3650 && "$bin" tls cert create -server -dc dc1 -days 3650 &&
      "$bin" tls cert create -client -dc dc1 -days 3650
  ) >>"$TB_CONSUL_TLS_DIR/certs.log" 2>&1 || tb_die "consul tls: making certificates failed (log $TB_CONSUL_TLS_DIR/certs.log)"
}

consul_tls_begin() {
  local bin d=$TB_CONSUL_TLS_DIR
  tb_alive "$TB_CONSUL_TLS_PIDFILE" && return 0
  tb_port_open 127.0.0.1 "$TB_CONSUL_TLS_HTTPS" && tb_die "consul tls: port $TB_CONSUL_TLS_HTTPS is taken by a process the test bed did not start"
  bin=$(consul_bin) || tb_die "consul binary missing"
  consul_tls_certs
  cat >"$d/tls.hcl" <<HCL
ports { http = -1, https = $TB_CONSUL_TLS_HTTPS, grpc = -1, grpc_tls = -1 }
tls {
  defaults {
    ca_file = "$d/consul-agent-ca.pem"
    cert_file = "$d/dc1-server-consul-0.pem"
    key_file = "$d/dc1-server-consul-0-key.pem"
    verify_incoming = true
    verify_outgoing = true
  }
}
HCL
  tb_log "consul tls: starting an HTTPS-only dev agent (client certificates required) on 127.0.0.1:$TB_CONSUL_TLS_HTTPS"
  echo "=== $(date -u +%FT%TZ) start" >>"$d/agent.log"
  tb_spawn "$TB_CONSUL_TLS_PIDFILE" "$d/agent.log" \
    "$bin" agent -dev -node portolan-tls -client 127.0.0.1 -bind 127.0.0.1 -config-file "$d/tls.hcl" \
    -dns-port 18521 -serf-lan-port 18523 -serf-wan-port 18524 -server-port 18525 -log-level info
}

consul_secure_up() {
  consul_acl_begin
  consul_tls_begin
}

consul_secure_wait() {
  tb_wait 60 "the ACL consul agent" consul_acl_ready || tb_die "consul acl: not ready (log $TB_CONSUL_ACL_DIR/agent.log)"
  consul_acl_token
  tb_wait 60 "the TLS consul agent" consul_tls_ready || tb_die "consul tls: not ready (log $TB_CONSUL_TLS_DIR/agent.log)"
}

consul_secure_down() {
  local p
  for p in "$TB_CONSUL_ACL_PIDFILE" "$TB_CONSUL_TLS_PIDFILE"; do
    if tb_alive "$p"; then
      tb_log "consul: stopping $(basename "$(dirname "$p")")"
      tb_kill "$p" TERM 15
    fi
  done
}

consul_secure_status() {
  if tb_alive "$TB_CONSUL_ACL_PIDFILE" && consul_acl_ready; then
    echo "consul acl   127.0.0.1:$TB_CONSUL_ACL_HTTP  ACLs enforced, token $TB_CONSUL_ACL_DIR/registrator.token (pid $(<"$TB_CONSUL_ACL_PIDFILE"))"
  else
    echo "consul acl   127.0.0.1:$TB_CONSUL_ACL_HTTP  down"
  fi
  if tb_alive "$TB_CONSUL_TLS_PIDFILE" && consul_tls_ready; then
    echo "consul tls   https://127.0.0.1:$TB_CONSUL_TLS_HTTPS  client certificates in $TB_CONSUL_TLS_DIR (pid $(<"$TB_CONSUL_TLS_PIDFILE"))"
  else
    echo "consul tls   https://127.0.0.1:$TB_CONSUL_TLS_HTTPS  down"
  fi
}
