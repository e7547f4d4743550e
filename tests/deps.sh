#!/usr/bin/env bash
# Install what certctl needs to build and test, from Debian 12 packages only.
# Idempotent: apt-get runs only when a package is missing.
set -euo pipefail

BUILD_PKGS=(g++ cmake ninja-build pkg-config openssl
  libssl-dev libcurl4-openssl-dev libldns-dev libidn2-dev
  libcli11-dev libtomlplusplus-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev catch2 libpq-dev libpugixml-dev)
# Peers the tests talk to: the openssl command and Java's keytool for interop; BIND9 and Knot
# (with dig and nsupdate) for the RFC 2136 dns-01 tests; PowerDNS (sqlite3 backend) for its API.
# PostgreSQL 15 for the PostgreSQL storage backend's tests (tests/support/pg.sh).
# certbot and lego make the real stores that `certctl migrate` is tested on.
# Headless Chromium loads the HTML report in tests/integration/test_report.sh; nginx-light is a
# TLS server (1.2 only, 1.3 only, names by SNI) that test_discover.sh discovers.
# clang 14 with libFuzzer (libclang-rt-14-dev) builds the fuzz targets (tests/fuzz); llvm-14's
# llvm-symbolizer gives the sanitizers' reports file and line.
TEST_PKGS=(python3 python3-cryptography default-jdk-headless pebble curl bind9 bind9-dnsutils knot pdns-server pdns-backend-sqlite3
  postgresql certbot lego clang-14 libclang-rt-14-dev llvm-14 chromium nginx-light)

want=("${BUILD_PKGS[@]}")
[ "${1:-}" = "--test" ] && want+=("${TEST_PKGS[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
