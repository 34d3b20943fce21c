# shellcheck shell=bash
# Netflix Eureka: a Spring Cloud Netflix Eureka Server (scripts/testbed/eureka/server) and a Java Eureka client
# (scripts/testbed/eureka/client, Netflix's DiscoveryClient as Spring Cloud wires it), each built once with Maven
# (JDK 17 and maven from Debian, artifacts from Maven Central) and cached as
# $TB_CACHE/eureka-server-<version>.jar and eureka-client-<version>.jar, rebuilt only when their sources change.
# Servers on 127.0.0.1: a single one (18761), a peer pair replicating to each other (18762, 18763), and one
# requiring basic auth (18764, user/password in $TB_EUREKA_DIR/auth). Reads bypass the server's read-only response
# cache (its readers then see a write at once, as they would with a 0 s cache) and eviction runs every second, so
# tests see changes in about a second.
#
#   eureka_up / eureka_wait / eureka_down / eureka_status
#   eureka_start N / eureka_stop N   (N = 1 single, 2 and 3 the pair, 4 basic auth)

# spring-cloud-netflix version of the pinned release train (spring-cloud-dependencies 2025.1.4, Boot 4.0.7).
TB_EUREKA_VERSION=5.0.3
TB_EUREKA_SRC=$TB_HERE/testbed/eureka
TB_EUREKA_DIR=$TB_STATE/eureka
TB_EUREKA_PORTS=(18761 18762 18763 18764)
TB_EUREKA_USER=portolan
TB_EUREKA_JAVA_OPTS=(-Xms64m -Xmx256m -XX:TieredStopAtLevel=1 -Xss512k -XX:+UseSerialGC)

eureka_jar() { echo "$TB_CACHE/eureka-$1-$TB_EUREKA_VERSION.jar"; }

# eureka_build server|client : (re)build the jar unless the cached one was built from these sources.
eureka_build() {
  tb_maven_jar "eureka-$1" "$TB_EUREKA_SRC/$1" "$(eureka_jar "$1")" "spring-cloud-netflix-eureka-$1-$TB_EUREKA_VERSION.jar"
}

eureka_pidfile() { echo "$TB_EUREKA_DIR/$1.pid"; }
eureka_port() { echo "${TB_EUREKA_PORTS[$1 - 1]}"; }

# eureka_start N : start server N (see the header); returns at once, eureka_wait_one N waits.
eureka_start() {
  local n=$1 port peers=() args
  port=$(eureka_port "$n")
  tb_alive "$(eureka_pidfile "$n")" && return 0
  mkdir -p "$TB_EUREKA_DIR"
  [[ -s $TB_EUREKA_DIR/auth ]] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$TB_EUREKA_DIR/auth")
  case $n in
    2) peers=("http://127.0.0.1:$(eureka_port 3)/eureka/") ;;
    3) peers=("http://127.0.0.1:$(eureka_port 2)/eureka/") ;;
  esac
  args=(--server.address=127.0.0.1 --server.port="$port" --spring.application.name=eureka-testbed
    --eureka.instance.hostname=127.0.0.1 --eureka.instance.instance-id="127.0.0.1:$port"
    --eureka.server.my-url="http://127.0.0.1:$port/eureka/"
    --eureka.server.use-read-only-response-cache=false --eureka.server.response-cache-update-interval-ms=500
    --eureka.server.eviction-interval-timer-in-ms=1000
    --eureka.server.enable-self-preservation=false --eureka.server.wait-time-in-ms-when-sync-empty=0
    --eureka.server.registry-sync-retries=1 --eureka.server.registry-sync-retry-wait-ms=500 --logging.level.root=WARN
    --logging.level.org.springframework.boot.web=INFO)
  if ((${#peers[@]})); then
    args+=(--eureka.server.peer-eureka-nodes-update-interval-ms=5000
      --eureka.client.register-with-eureka=false --eureka.client.fetch-registry=true
      --eureka.client.registry-fetch-interval-seconds=5 --eureka.client.service-url.defaultZone="${peers[0]}")
  else
    # Its own URL as its only peer: none (the default would be localhost:8761, retried for ever).
    args+=(--eureka.client.register-with-eureka=false --eureka.client.fetch-registry=false
      --eureka.client.service-url.defaultZone="http://127.0.0.1:$port/eureka/")
  fi
  ((n == 4)) && args+=(--testbed.basic-auth="$TB_EUREKA_USER:$(<"$TB_EUREKA_DIR/auth")")
  tb_spawn "$(eureka_pidfile "$n")" "$TB_EUREKA_DIR/$n.log" java "${TB_EUREKA_JAVA_OPTS[@]}" -jar "$(eureka_jar server)" "${args[@]}"
}

eureka_answers() {
  local port reply
  port=$(eureka_port "$1")
  reply=$(tb_tcp 127.0.0.1 "$port" $'GET /eureka/apps HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n') || return 1
  [[ $reply == "HTTP/1."?" 200"* || ($1 == 4 && $reply == "HTTP/1."?" 401"*) ]]
}

eureka_wait_one() { tb_wait 180 "eureka server $1 on port $(eureka_port "$1")" eureka_answers "$1"; }

eureka_stop() { tb_kill "$(eureka_pidfile "$1")" TERM 20; }

eureka_up() {
  eureka_build server
  local n
  for n in 1 2 3 4; do eureka_start "$n"; done
  eureka_build client
}

eureka_wait() {
  local n
  for n in 1 2 3 4; do eureka_wait_one "$n" || return 1; done
}

eureka_down() {
  local n
  for n in 1 2 3 4; do eureka_stop "$n"; done
}

eureka_status() {
  local n
  for n in 1 2 3 4; do
    if tb_alive "$(eureka_pidfile "$n")" && eureka_answers "$n"; then
      echo "eureka $n     running (127.0.0.1:$(eureka_port "$n"))"
    else
      echo "eureka $n     down"
    fi
  done
  for n in server client; do
    if [[ -s $(eureka_jar "$n") ]]; then echo "eureka $n jar present ($(eureka_jar "$n"))"; else echo "eureka $n jar missing"; fi
  done
}
