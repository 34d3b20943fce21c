# shellcheck shell=bash
# etcd 3.4 (Debian package etcd-server), all on 127.0.0.1:
#   - "s": a single node (client 23790) for the contract tests and CoreDNS;
#   - 1..3: a 3-member cluster (clients 23711..23713) for leader-kill tests;
#   - "sec": etcd as production runs it: HTTPS only, client certificates required, username/password auth
#     enabled (client 23795). CA and certificates are made offline with openssl; users made by etcdctl:
#     root, "portolan" (read-write on /skydns/), "reader" (read-only on /skydns/). Passwords and certificates
#     are written to the state dir for the tests (test/integration/testbed.ts reads them).

TB_ETCD_DIR=$TB_STATE/etcd

etcd_client_port() {
  case $1 in s) echo 23790 ;; sec) echo 23795 ;; *) echo $((23710 + $1)) ;; esac
}
etcd_peer_port() {
  case $1 in s) echo 23791 ;; sec) echo 23796 ;; *) echo $((23720 + $1)) ;; esac
}
etcd_pidfile() { echo "$TB_ETCD_DIR/$1.pid"; }
etcd_scheme() { if [[ $1 == sec ]]; then echo https; else echo http; fi; }

# etcd_ctl NAME ARGS... : etcdctl against NAME (root's password and the client certificate for "sec").
etcd_ctl() {
  local name=$1 d=$TB_ETCD_DIR/certs
  shift
  if [[ $name == sec ]]; then
    ETCDCTL_API=3 etcdctl --endpoints "https://127.0.0.1:$(etcd_client_port sec)" --dial-timeout 2s --command-timeout 5s \
      --cacert "$d/ca.pem" --cert "$d/client.pem" --key "$d/client-key.pem" \
      --user "root:$(<"$TB_ETCD_DIR/sec/root.password")" "$@"
  else
    ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$(etcd_client_port "$name")" --dial-timeout 2s --command-timeout 5s "$@"
  fi
}

# Serving = the member answers a linearizable read (so it has a leader and a quorum).
etcd_serving() { etcd_ctl "$1" get --limit 1 /portolan-testbed-probe >/dev/null 2>&1; }
etcd_port_closed() { ! tb_port_open 127.0.0.1 "$(etcd_client_port "$1")"; }

# CA, server and client certificates, made once and kept across restarts. The client certificates carry no
# CommonName: etcd's JSON gateway refuses one that does while client certificates are required (etcd cannot
# map a CN to a user through the gateway). cn-client (CN=portolan) is there to prove that refusal is reported;
# other-client is signed by a CA etcd does not trust.
etcd_certs() {
  local d=$TB_ETCD_DIR/certs
  [[ -s $d/other-client-key.pem ]] && return 0
  mkdir -p "$d" && chmod 700 "$d"
  (
    cd "$d" && rm -f ./*.pem ./*.csr ./*.srl ./*.ext &&
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=portolan test etcd CA" -keyout ca-key.pem -out ca.pem &&
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=another CA" -keyout other-ca-key.pem -out other-ca.pem &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext &&
      printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
      etcd_cert server "/CN=etcd-server" ca server.ext &&
      etcd_cert client "/O=portolan" ca client.ext &&
      etcd_cert cn-client "/CN=portolan" ca client.ext &&
      etcd_cert other-client "/O=portolan" other-ca client.ext &&
      chmod 600 ./*-key.pem
  ) >>"$TB_ETCD_DIR/certs.log" 2>&1 || tb_die "etcd: making certificates failed (log $TB_ETCD_DIR/certs.log)"
}
# etcd_cert NAME SUBJECT CA EXTFILE : NAME.pem and NAME-key.pem signed by CA (in the current directory).
etcd_cert() {
  openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1-key.pem" -out "$1.csr" &&
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial -days 3650 -extfile "$4" -out "$1.pem"
}

etcd_launch() {
  local name=$1 dir=$TB_ETCD_DIR/$1 scheme cluster token n args=()
  scheme=$(etcd_scheme "$name")
  mkdir -p "$dir"
  if [[ $name == s || $name == sec ]]; then
    cluster="$name=http://127.0.0.1:$(etcd_peer_port "$name")" token=portolan-$name
  else
    cluster="" token=portolan-cluster
    for n in 1 2 3; do cluster+="${cluster:+,}$n=http://127.0.0.1:$(etcd_peer_port "$n")"; done
  fi
  if [[ $name == sec ]]; then
    local d=$TB_ETCD_DIR/certs
    args=(--cert-file "$d/server.pem" --key-file "$d/server-key.pem" --trusted-ca-file "$d/ca.pem" --client-cert-auth)
  fi
  echo "=== $(date -u +%FT%TZ) start" >>"$dir/server.log"
  tb_spawn "$(etcd_pidfile "$name")" "$dir/server.log" \
    etcd --name "$name" --data-dir "$dir/data" --logger zap --log-level warn \
    --listen-client-urls "$scheme://127.0.0.1:$(etcd_client_port "$name")" \
    --advertise-client-urls "$scheme://127.0.0.1:$(etcd_client_port "$name")" \
    --listen-peer-urls "http://127.0.0.1:$(etcd_peer_port "$name")" \
    --initial-advertise-peer-urls "http://127.0.0.1:$(etcd_peer_port "$name")" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "$token" \
    --heartbeat-interval 100 --election-timeout 1000 "${args[@]}"
}

# etcd_begin NAME : start NAME unless it already runs. Does not wait.
etcd_begin() {
  local name=$1
  tb_alive "$(etcd_pidfile "$name")" && return 0
  if tb_port_open 127.0.0.1 "$(etcd_client_port "$name")"; then
    tb_die "etcd $name: port $(etcd_client_port "$name") is taken by a process the test bed did not start"
  fi
  [[ $name == sec ]] && etcd_certs
  tb_log "etcd $name: starting on $(etcd_scheme "$name")://127.0.0.1:$(etcd_client_port "$name")"
  etcd_launch "$name"
}

# Users, roles and auth on "sec", once per data dir (kept across restarts with it).
etcd_sec_auth() {
  local d=$TB_ETCD_DIR/sec
  [[ -e $d/auth.done ]] && return 0
  (umask 077 && for u in root portolan reader; do head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$d/$u.password"; done)
  etcd_ctl_noauth() {
    ETCDCTL_API=3 etcdctl --endpoints "https://127.0.0.1:$(etcd_client_port sec)" --dial-timeout 2s --command-timeout 5s \
      --cacert "$TB_ETCD_DIR/certs/ca.pem" --cert "$TB_ETCD_DIR/certs/client.pem" --key "$TB_ETCD_DIR/certs/client-key.pem" "$@"
  }
  {
    etcd_ctl_noauth user add root --new-user-password "$(<"$d/root.password")" &&
      etcd_ctl_noauth role add portolan-rw && etcd_ctl_noauth role grant-permission portolan-rw readwrite /skydns/ --prefix=true &&
      etcd_ctl_noauth role add portolan-ro && etcd_ctl_noauth role grant-permission portolan-ro read /skydns/ --prefix=true &&
      etcd_ctl_noauth user add portolan --new-user-password "$(<"$d/portolan.password")" && etcd_ctl_noauth user grant-role portolan portolan-rw &&
      etcd_ctl_noauth user add reader --new-user-password "$(<"$d/reader.password")" && etcd_ctl_noauth user grant-role reader portolan-ro &&
      etcd_ctl_noauth auth enable
  } >>"$d/auth.log" 2>&1 || tb_die "etcd sec: enabling auth failed (log $d/auth.log)"
  touch "$d/auth.done"
}

etcd_up() {
  local n
  command -v etcd >/dev/null || tb_die "etcd not found (Debian package etcd-server)"
  for n in s 1 2 3 sec; do etcd_begin "$n"; done
}

etcd_wait() {
  local n
  for n in s 1 2 3; do
    tb_wait 60 "etcd $n to serve" etcd_serving "$n" || tb_die "etcd $n did not serve (log $TB_ETCD_DIR/$n/server.log)"
  done
  # Before auth is on, a read without a password works: wait for the port, then set auth up.
  tb_wait 60 "etcd sec to listen" tb_port_open 127.0.0.1 "$(etcd_client_port sec)" || tb_die "etcd sec did not start (log $TB_ETCD_DIR/sec/server.log)"
  [[ -e $TB_ETCD_DIR/sec/auth.done ]] || sleep 1
  etcd_sec_auth
  tb_wait 60 "etcd sec to serve" etcd_serving sec || tb_die "etcd sec did not serve (log $TB_ETCD_DIR/sec/server.log)"
}

# etcd_stop NAME [SIGNAL] : SIGTERM (or SIGNAL; then KILL) the member; its client port is closed when this returns.
etcd_stop() {
  local name=$1
  tb_kill "$(etcd_pidfile "$name")" "${2:-TERM}" 15
  tb_wait 15 "etcd $name port to close" etcd_port_closed "$name" ||
    tb_die "etcd $name still answers on $(etcd_client_port "$name") after stop (not started by testbed?)"
}

# etcd_start NAME : start the member (keeping its data) and wait until it serves (or, without quorum, listens).
etcd_start() {
  local name=$1
  etcd_begin "$name"
  tb_wait 60 "etcd $name to serve" etcd_serving "$name" ||
    tb_wait 10 "etcd $name to listen" tb_port_open 127.0.0.1 "$(etcd_client_port "$name")" ||
    tb_die "etcd $name did not start (log $TB_ETCD_DIR/$name/server.log)"
}

# The cluster member that is leader now (1..3), from `endpoint status`.
etcd_leader() {
  local n out
  for n in 1 2 3; do
    out=$(etcd_ctl "$n" endpoint status -w fields 2>/dev/null) || continue
    if [[ -n $out && $(sed -n 's/^"MemberID" : //p' <<<"$out") == "$(sed -n 's/^"Leader" : //p' <<<"$out")" ]]; then
      echo "$n"
      return 0
    fi
  done
  return 1
}

etcd_down() {
  local n
  for n in s 1 2 3 sec; do
    if tb_alive "$(etcd_pidfile "$n")"; then
      tb_log "etcd $n: stopping"
      tb_kill "$(etcd_pidfile "$n")" TERM 15
    fi
  done
}

etcd_status() {
  local n
  for n in s 1 2 3 sec; do
    if tb_alive "$(etcd_pidfile "$n")" && etcd_serving "$n"; then
      printf 'etcd %-3s     %s://127.0.0.1:%s  serving (pid %s)\n' "$n" "$(etcd_scheme "$n")" "$(etcd_client_port "$n")" "$(<"$(etcd_pidfile "$n")")"
    else
      printf 'etcd %-3s     %s://127.0.0.1:%s  down\n' "$n" "$(etcd_scheme "$n")" "$(etcd_client_port "$n")"
    fi
  done
}
