#!/usr/bin/env bash
# Installs what the platform needs on this machine; every step is skipped once done.
#   scripts/bootstrap.sh run    NATS, Redis, uv and the Python workspace, the Temporal CLI
#   scripts/bootstrap.sh test   the same, plus PostgreSQL and the Temporal time-skipping test server
#                               and Debian's Chromium for the console's browser tests
# Both build the marketer console (console/: npm ci from the lock file, then vite build).
set -euo pipefail
mode=${1:-run}
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/retention-platform"
temporal_cli_version=v1.5.1
test_server_version=$(sed -n 's:.*<temporal.version>\(.*\)</temporal.version>.*:\1:p' "$root/scripts/temporal-test-server/pom.xml")
export PATH="$HOME/.local/bin:/usr/local/go/bin:$PATH"

say() { printf '==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_debian_packages() {
  local wanted=(nats-server redis-server iproute2) missing=()
  if [ "$mode" = test ]; then
    wanted+=(postgresql)
    command -v java >/dev/null || wanted+=(default-jre-headless)
    command -v mvn >/dev/null || wanted+=(maven)
    wanted+=(chromium)
  fi
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  # The packages' own services are not used: the platform starts its own servers on loopback.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_uv() {
  command -v uv >/dev/null && return
  say "installing uv"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
}

sync_workspace() {
  say "syncing the Python workspace (uv.lock)"
  (cd "$root" && uv sync --frozen --quiet)
}

build_temporal_cli() {
  local bin="$cache/bin/temporal"
  [ -x "$bin" ] && return
  command -v go >/dev/null || { echo "Go is needed once to build the Temporal CLI" >&2; exit 1; }
  say "building the Temporal CLI $temporal_cli_version once (cached in $cache/bin; takes a few minutes)"
  mkdir -p "$cache/bin"
  GOBIN="$cache/bin" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$temporal_cli_version"
}

fetch_temporal_test_server() {
  local lib="$cache/temporal-test-server/$test_server_version/lib"
  [ -f "$lib/.complete" ] && return
  say "fetching the Temporal test server $test_server_version from Maven Central (once)"
  mkdir -p "$lib"
  mvn -q -B -f "$root/scripts/temporal-test-server/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$lib" -Dmdep.includeScope=runtime
  touch "$lib/.complete"
}

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

install_node() {
  [ "$(node_major)" -ge 20 ] && return
  say "installing Debian's Node.js and npm"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  [ "$(node_major)" -ge 20 ] || { echo "the console needs Node.js 20.19 or newer (found $(node --version))" >&2; exit 1; }
}

build_console() {
  local dir="$root/console" stamp="$root/console/node_modules/.lock-sha256" want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing the console's npm packages (package-lock.json)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
  # Rebuilt only when a source is newer than the last build.
  if [ -f "$dir/dist/index.html" ] && [ -z "$(find "$dir/src" "$dir/index.html" "$dir/vite.config.ts" \
      "$dir/package-lock.json" -newer "$dir/dist/index.html" -print -quit)" ]; then
    return
  fi
  say "building the console (console/dist)"
  (cd "$dir" && npm run --silent build)
}

install_debian_packages
install_node
install_uv
sync_workspace
build_temporal_cli
[ "$mode" = test ] && fetch_temporal_test_server
build_console
say "bootstrap ($mode) done"
