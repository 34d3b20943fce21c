# shellcheck shell=bash
# The builder base for `docker build` of portolan's own Dockerfile (sourced by scripts/testbed.sh). No image
# registry is reachable here, and a test never contacts one: the Dockerfile's stages are built FROM the imported
# node image (docker.sh), the build stage FROM this image: that node image plus npm and an npm cache holding
# every package of package-lock.json, with npm_config_offline=true, so `npm ci` in the build reads only the
# cache. The cache is filled once per lockfile (the one registry access, at test-bed set-up, like Consul's Go
# build) and kept in $TB_CACHE/npm-<hash>; the image is tagged with the same hash:
#   docker build --build-arg BASE=portolan-test/node:latest \
#     --build-arg BUILD_BASE=portolan-test/node-build:<hash> -t portolan-test/portolan:latest .

TB_REPO=$(cd "$TB_HERE/.." && pwd)
TB_NODE_BUILD_REPO=portolan-test/node-build

# First 12 hex digits of package-lock.json's sha256 (the tests compute the same).
image_lock_hash() { sha256sum "$TB_REPO/package-lock.json" | cut -c1-12; }
image_builder() { echo "$TB_NODE_BUILD_REPO:$(image_lock_hash)"; }

image_up() {
  local tag hash cache tmp npm_root
  hash=$(image_lock_hash)
  tag=$(image_builder)
  if "$TB_DOCKER" image inspect "$tag" >/dev/null 2>&1; then
    tb_log "image: $tag present"
    return 0
  fi
  cache=$TB_CACHE/npm-$hash
  if [[ ! -e $cache/.complete ]]; then
    tb_log "image: filling the npm cache for package-lock.json $hash ($cache)"
    tmp=$(mktemp -d "$TB_STATE/npm.XXXXXX")
    cp "$TB_REPO/package.json" "$TB_REPO/package-lock.json" "$tmp/"
    rm -rf "$cache"
    (cd "$tmp" && npm ci --cache "$cache" --ignore-scripts --no-audit --no-fund --loglevel=error >&2) ||
      tb_die "npm ci (filling $cache) failed"
    rm -rf "$tmp"
    touch "$cache/.complete"
  fi
  npm_root=$(dirname "$(readlink -f "$(command -v npm)")")/..
  tmp=$(mktemp -d "$TB_STATE/node-build.XXXXXX")
  cp -r "$npm_root" "$tmp/npm"
  cp -r "$cache/_cacache" "$tmp/_cacache"
  cat >"$tmp/Dockerfile" <<DOCKERFILE
FROM $TB_NODE_IMAGE
COPY npm /usr/lib/node_modules/npm
COPY _cacache /root/.npm/_cacache
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/bin/npm
ENV HOME=/root npm_config_cache=/root/.npm npm_config_offline=true npm_config_update_notifier=false
LABEL portolan.lock=$hash
DOCKERFILE
  tb_log "image: building $tag"
  DOCKER_BUILDKIT=0 "$TB_DOCKER" build -q -t "$tag" "$tmp" >/dev/null || { rm -rf "$tmp"; tb_die "docker build $tag failed"; }
  rm -rf "$tmp"
  local out
  out=$("$TB_DOCKER" run --rm "$tag" npm --version) || tb_die "smoke: npm in $tag failed"
  tb_log "image: $tag built (npm $out)"
}
image_wait() { :; }
# Images and the npm cache are kept, as the test images are.
image_down() { :; }
image_status() {
  if docker_ok && "$TB_DOCKER" image inspect "$(image_builder)" >/dev/null 2>&1; then
    echo "image        $(image_builder) present"
  else
    echo "image        $(image_builder) missing"
  fi
}
