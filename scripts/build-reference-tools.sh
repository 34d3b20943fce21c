#!/usr/bin/env bash
# Builds the reference tools the benches run beside portolan, once, from their Go modules through the Go
# module proxy, into ~/.cache/portolan (PORTOLAN_CACHE overrides). Idempotent: a binary already in the cache
# is reused. Prints the path of each binary on stdout, one per line; logs go to the cache.
#   bash scripts/build-reference-tools.sh [consul-template]
# Not part of the test run: only the benches need these.
set -euo pipefail

CACHE=${PORTOLAN_CACHE:-$HOME/.cache/portolan}
CONSUL_TEMPLATE_VERSION=v0.41.1
mkdir -p "$CACHE"
[[ -x /usr/local/go/bin/go ]] && PATH=$PATH:/usr/local/go/bin

die() { printf 'build-reference-tools: %s\n' "$*" >&2; exit 1; }

# build_module NAME MODULE VERSION : `go build` of MODULE@VERSION's main package, in the module's own
# directory (its go.mod and go.sum pin its dependencies), to $CACHE/NAME-VERSION.
build_module() {
  local name=$1 module=$2 version=$3 out=$CACHE/$1-$3 log=$CACHE/$1-build-$3.log dir
  if [[ -x $out ]]; then echo "$out"; return 0; fi
  command -v go >/dev/null || die "no Go toolchain on PATH (needed to build $module@$version)"
  exec 7>"$CACHE/$name-build.lock"
  flock -w 3600 7 || die "another build holds $CACHE/$name-build.lock"
  if [[ ! -x $out ]]; then
    printf 'build-reference-tools: building %s@%s (log %s)\n' "$module" "$version" "$log" >&2
    (
      export GOTOOLCHAIN=local GO111MODULE=on GOFLAGS=-mod=mod
      dir=$(go mod download -json "$module@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
      [[ -n $dir && -f $dir/go.mod ]] || { echo "go mod download $module@$version failed"; exit 1; }
      cd "$dir"
      nice go build -trimpath -o "$out.tmp.$$" . && mv "$out.tmp.$$" "$out"
    ) >>"$log" 2>&1 || { rm -f "$out".tmp.*; die "go build of $module@$version failed: $(tail -n 3 "$log" | tr '\n' ' ')"; }
  fi
  exec 7>&-
  echo "$out"
}

for tool in "${@:-consul-template}"; do
  case $tool in
    consul-template) build_module consul-template github.com/hashicorp/consul-template "$CONSUL_TEMPLATE_VERSION" ;;
    *) die "unknown tool '$tool' (known: consul-template)" ;;
  esac
done
