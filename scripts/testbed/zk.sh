# shellcheck shell=bash
# ZooKeeper 3.8 (Debian package): one standalone server and a 3-member ensemble, all on 127.0.0.1.
# Names: "s" = standalone (client port 21810), 1..3 = ensemble members (21811..21813).

TB_ZK_DIR=$TB_STATE/zk
TB_ZK_TICK=500 # ms; sessions may be negotiated between 1 s and 60 s (fast expiry tests)

zk_client_port() { if [[ $1 == s ]]; then echo 21810; else echo $((21810 + $1)); fi; }
zk_pidfile() { echo "$TB_ZK_DIR/$1.pid"; }

zk_config() {
  local name=$1 dir=$TB_ZK_DIR/$1
  mkdir -p "$dir/data"
  cat >"$dir/zoo.cfg" <<EOF
tickTime=$TB_ZK_TICK
initLimit=20
syncLimit=10
dataDir=$dir/data
clientPort=$(zk_client_port "$name")
clientPortAddress=127.0.0.1
minSessionTimeout=1000
maxSessionTimeout=60000
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=*
autopurge.purgeInterval=0
EOF
  if [[ $name != s ]]; then
    echo "$name" >"$dir/data/myid"
    local n
    for n in 1 2 3; do
      echo "server.$n=127.0.0.1:$((28880 + n)):$((38880 + n))" >>"$dir/zoo.cfg"
    done
    cat >>"$dir/zoo.cfg" <<EOF
standaloneEnabled=false
reconfigEnabled=false
quorumListenOnAllIPs=false
EOF
  fi
}

# 4-letter-word command; prints the reply.
zk_4lw() { tb_tcp 127.0.0.1 "$(zk_client_port "$1")" "$2"; }
zk_ruok() { [[ $(zk_4lw "$1" ruok) == imok ]]; }
zk_mode() { zk_4lw "$1" srvr | sed -n 's/^Mode: //p' || true; } # empty when not serving
zk_serving() { [[ -n $(zk_mode "$1") ]]; }

zk_launch() {
  local name=$1 dir=$TB_ZK_DIR/$1 cp=/usr/share/java/zookeeper.jar
  [[ -f /usr/share/java/slf4j-simple.jar ]] && cp=$cp:/usr/share/java/slf4j-simple.jar
  zk_config "$name"
  echo "=== $(date -u +%FT%TZ) start" >>"$dir/server.log"
  tb_spawn "$(zk_pidfile "$name")" "$dir/server.log" \
    java -Xms32m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Dzookeeper.admin.enableServer=false -Dzookeeper.4lw.commands.whitelist='*' \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=info -Dorg.slf4j.simpleLogger.showDateTime=true \
    -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg"
}

# zk_begin NAME : start NAME unless something already answers on its port. Does not wait.
zk_begin() {
  local name=$1
  if zk_ruok "$name"; then
    tb_alive "$(zk_pidfile "$name")" || tb_log "zookeeper $name: port $(zk_client_port "$name") answers (not started by testbed), reused"
    return 0
  fi
  tb_alive "$(zk_pidfile "$name")" && return 0 # still booting
  if tb_port_open 127.0.0.1 "$(zk_client_port "$name")"; then
    tb_die "zookeeper $name: port $(zk_client_port "$name") is taken by something that is not ZooKeeper"
  fi
  tb_log "zookeeper $name: starting on 127.0.0.1:$(zk_client_port "$name")"
  zk_launch "$name"
}

zk_up() {
  local n
  command -v java >/dev/null || tb_die "java not found (Debian's zookeeper package should have pulled default-jre)"
  for n in s 1 2 3; do zk_begin "$n"; done
}

# Wait until every server serves requests (ensemble members need a quorum, i.e. a leader).
zk_wait_all() {
  local n
  for n in s 1 2 3; do
    tb_wait 90 "zookeeper $n to serve" zk_serving "$n" ||
      tb_die "zookeeper $n did not start serving (log $TB_ZK_DIR/$n/server.log)"
  done
  tb_log "zookeeper: standalone $(zk_mode s), ensemble leader is member $(zk_leader)"
}

zk_stop() {
  local name=$1
  zk_check_member "$name"
  tb_kill "$(zk_pidfile "$name")" TERM 15
  tb_wait 15 "zookeeper $name port to close" zk_port_closed "$name" ||
    tb_die "zookeeper $name still answers after stop (not started by testbed?)"
}
zk_port_closed() { ! tb_port_open 127.0.0.1 "$(zk_client_port "$1")"; }

zk_start() {
  local name=$1 n up=0
  zk_check_member "$name"
  zk_begin "$name"
  tb_wait 60 "zookeeper $name to listen" zk_ruok "$name" || tb_die "zookeeper $name did not start"
  if [[ $name != s ]]; then
    for n in 1 2 3; do zk_ruok "$n" && up=$((up + 1)); done
    if ((up >= 2)); then
      tb_wait 60 "zookeeper $name to join the quorum" zk_serving "$name" ||
        tb_die "zookeeper $name did not join the quorum"
    fi
  fi
}

zk_check_member() { [[ $1 =~ ^[123s]$ ]] || tb_die "zookeeper member must be 1, 2, 3 or s, got '$1'"; }

# Prints the ensemble member number that is leader; fails when there is none.
zk_leader() {
  local n
  for n in 1 2 3; do
    [[ $(zk_mode "$n") == leader ]] && { echo "$n"; return 0; }
  done
  return 1
}

zk_down() {
  local n
  for n in s 1 2 3; do # signal all first, then wait for each: one JVM exit at a time is slow
    tb_alive "$(zk_pidfile "$n")" && { tb_log "zookeeper $n: stopping"; kill -TERM "$(<"$(zk_pidfile "$n")")"; }
  done
  for n in s 1 2 3; do tb_kill "$(zk_pidfile "$n")" TERM 15; done
}

zk_status() {
  local n mode
  for n in s 1 2 3; do
    mode=$(zk_mode "$n")
    printf 'zookeeper %s  127.0.0.1:%s  %s%s\n' "$n" "$(zk_client_port "$n")" "${mode:-down}" \
      "$(tb_alive "$(zk_pidfile "$n")" && echo " (pid $(<"$(zk_pidfile "$n")"))")"
  done
}
