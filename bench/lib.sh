# shellcheck shell=bash
# Shared by the benchmarks (sourced from the source tree's root).

# bench_need PKG...: install the Debian packages a benchmark runs or compares against, when
# missing (as root; otherwise say which one is needed and stop).
bench_need() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
    [ "$(id -u)" -eq 0 ] || { echo "bench needs the '$p' package" >&2; exit 2; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  done
}

# bench_certctl: build certctl and load the integration-test helpers (sourced from the source
# tree's root): $CERTCTL_BIN and `certctl`, a temp dir $TEST_TMP removed at exit, background
# processes stopped at exit, and pebble.sh's pebble_start (pebble + challtestsrv on free
# loopback ports; dns_servers.sh may be sourced before starting it).
bench_certctl() {
  bash tests/build.sh --target certctl >/dev/null
  export CERTCTL_BIN=$PWD/build/certctl
  bench_dir=$PWD/bench
  source tests/integration/lib.sh
  source tests/integration/pebble.sh
}
