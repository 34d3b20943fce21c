# shellcheck shell=bash
# Shared helpers for scripts/testbed.sh (sourced, not run).

tb_log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tb_die() { printf '[testbed] ERROR: %s\n' "$*" >&2; exit 1; }

# tb_wait SECONDS DESCRIPTION CMD... : retry CMD every 0.2 s until it succeeds.
tb_wait() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      tb_log "timed out after ${limit}s waiting for ${what}"
      return 1
    fi
    sleep 0.2
  done
}

# tb_alive PIDFILE : the process recorded in PIDFILE still runs.
tb_alive() {
  local pid
  [[ -s $1 ]] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# tb_spawn PIDFILE LOGFILE CMD... : start CMD detached (own session), record its pid.
# Lock descriptors 8 and 9 are closed so long-lived servers never hold the script's locks.
tb_spawn() {
  local pidfile=$1 logfile=$2; shift 2
  setsid "$@" </dev/null >>"$logfile" 2>&1 8>&- 9>&- &
  echo $! >"$pidfile"
}

# tb_kill PIDFILE [SIGNAL] [GRACE_SECONDS] : signal the recorded process, wait, then SIGKILL.
tb_kill() {
  local pidfile=$1 sig=${2:-TERM} grace=${3:-20} pid
  if tb_alive "$pidfile"; then
    pid=$(<"$pidfile")
    kill -s "$sig" "$pid" 2>/dev/null || true
    if ! tb_wait "$grace" "pid $pid to exit" tb_dead "$pid"; then
      kill -s KILL "$pid" 2>/dev/null || true
      tb_wait 10 "pid $pid to die" tb_dead "$pid" || true
    fi
  fi
  rm -f "$pidfile"
}
tb_dead() { ! kill -0 "$1" 2>/dev/null; }

# tb_tcp HOST PORT PAYLOAD : send PAYLOAD, print the whole reply (2 s cap). Uses bash /dev/tcp only.
# shellcheck disable=SC2016 # $1.. expand in the inner bash
tb_tcp() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "%s" "$3" >&3 && cat <&3' _ "$1" "$2" "$3" 2>/dev/null
}

# tb_http_get HOST PORT PATH : print the response body of a plain HTTP/1.0 GET.
tb_http_get() {
  local reply
  reply=$(tb_tcp "$1" "$2" $'GET '"$3"$' HTTP/1.0\r\nHost: '"$1"$'\r\n\r\n') || return 1
  [[ $reply == "HTTP/1."?" 200"* ]] || return 1
  printf '%s' "${reply#*$'\r\n\r\n'}"
}

# shellcheck disable=SC2016
tb_port_open() { timeout 1 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }

# tb_go_ensure NAME BUILD_FN VERSION... : make sure $TB_CACHE/NAME-<version> exists for one of the versions (the
# first is the pin; the others are tried only if it cannot be built), building it with `BUILD_FN VERSION` (which logs
# to $TB_CACHE/NAME-build-<version>.log) under a lock: one build at a time per cache, whatever state dir the caller
# uses. A binary that cannot be built fails `up` (the tests that need it never skip).
tb_go_ensure() {
  local name=$1 build=$2 v reason=""
  shift 2
  tb_go_cached "$name" "$@" && return 0
  exec 8>"$TB_CACHE/$name-build.lock"
  flock -w 3600 8 || tb_die "another $name build holds $TB_CACHE/$name-build.lock"
  tb_go_cached "$name" "$@" && { exec 8>&-; return 0; }
  [[ -x /usr/local/go/bin/go ]] && PATH=$PATH:/usr/local/go/bin
  if ! command -v go >/dev/null; then
    reason="no Go toolchain on PATH to build $name $1"
  else
    for v in "$@"; do
      tb_log "$name: building $v from the Go module (several minutes; log $TB_CACHE/$name-build-$v.log)"
      local t0=$SECONDS
      if "$build" "$v"; then
        tb_log "$name: built $v in $((SECONDS - t0))s"
        [[ $v == "$1" ]] || tb_log "WARNING: pinned $name $1 did not build, using $v"
        exec 8>&-
        return 0
      fi
      tb_log "$name: $v failed to build: $(tail -n 3 "$TB_CACHE/$name-build-$v.log" | tr '\n' ' ')"
      reason="go build of $name failed for $* (logs $TB_CACHE/$name-build-*.log)"
    done
  fi
  exec 8>&-
  tb_die "$name: $reason"
}

# tb_go_cached NAME VERSION... : print the path of the first cached $TB_CACHE/NAME-<version> binary.
tb_go_cached() {
  local name=$1 v
  shift
  for v in "$@"; do
    [[ -x $TB_CACHE/$name-$v ]] && { echo "$TB_CACHE/$name-$v"; return 0; }
  done
  return 1
}

# tb_maven_jar NAME SRCDIR JAR DEPENDENCY : build the Maven project in SRCDIR (its target/NAME.jar, a Spring Boot fat
# jar that must hold DEPENDENCY, the pinned library it exists for) into JAR, unless JAR was built from these sources
# (a digest of them in JAR.src). One build at a time (flock $TB_CACHE/NAME-build.lock); log $TB_CACHE/NAME-build.log.
tb_maven_jar() {
  local name=$1 src=$2 jar=$3 dep=$4 sum tmp
  sum=$(cd "$src" && find . -type f -not -path './target/*' | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
  [[ -s $jar && $(cat "$jar.src" 2>/dev/null) == "$sum" ]] && return 0
  exec 7>"$TB_CACHE/$name-build.lock"
  flock -w 3600 7 || tb_die "another $name build holds $TB_CACHE/$name-build.lock"
  if [[ -s $jar && $(cat "$jar.src" 2>/dev/null) == "$sum" ]]; then exec 7>&-; return 0; fi
  command -v mvn >/dev/null || tb_die "$name: mvn not found (apt-get install maven openjdk-17-jdk-headless)"
  tmp=$(mktemp -d)
  cp -r "$src/." "$tmp/" && rm -rf "$tmp/target"
  tb_log "$name: building with Maven (minutes the first time; log $TB_CACHE/$name-build.log)"
  local t0=$SECONDS
  if ! (cd "$tmp" && mvn -B -q -DskipTests package) >"$TB_CACHE/$name-build.log" 2>&1; then
    rm -rf "$tmp"; exec 7>&-
    tb_die "$name: did not build (see $TB_CACHE/$name-build.log)"
  fi
  unzip -Z1 "$tmp/target/$name.jar" | grep -c "$dep" >/dev/null ||
    { rm -rf "$tmp"; exec 7>&-; tb_die "$name: the jar lacks $dep"; }
  mv "$tmp/target/$name.jar" "$jar" && echo "$sum" >"$jar.src"
  rm -rf "$tmp"; exec 7>&-
  tb_log "$name: built in $((SECONDS - t0))s"
}

# Debian packages the project needs (some only for later features).
TB_APT_PACKAGES=(docker.io busybox-static zookeeper bind9-dnsutils dnsperf dnsmasq-base chromium
  libcurator-discovery-java
  maven openjdk-17-jdk-headless # the Eureka server and Java client of the test bed (scripts/testbed/eureka.sh)
  etcd-server etcd-client # etcd v3 (CoreDNS's etcd plugin layout) and etcdctl for the test bed's set-up
  prometheus) # the catalog's tests: a real Prometheus scraper (and promtool); chromium above drives the page
TB_APT_PACKAGES+=(haproxy) # examples/blue-green: HAProxy 2.6, run and reloaded by `portolan exec --watch`

tb_apt_ensure() {
  local missing=() p
  for p in "${TB_APT_PACKAGES[@]}"; do
    if [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) != "install ok installed" ]]; then
      missing+=("$p")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  tb_log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=l
  apt-get -o DPkg::Lock::Timeout=900 update -qq >&2 ||
    tb_die "apt-get update failed"
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${missing[@]}" >&2 ||
    tb_die "apt-get install ${missing[*]} failed"
}
