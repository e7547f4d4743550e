#!/usr/bin/env bash
# What the tests of the DNS providers that speak an HTTP API share (test_dns_<provider>.sh).
# Source it after lib.sh. It gives:
#   driver ARGS...         certctl_dns_driver (present/cleanup through one provider, no vault)
#   dns_api_start [--pebble]
#                          a BIND9 that recurses (so pebble's VA can resolve through it) with a
#                          zone the fakes mirror their TXT records into (--bind "$BIND_SERVER"
#                          --tsig-file "$TEST_TMP/tsig"), certctl's lookups sent to it, a closed
#                          port in $CLOSED_PORT for "the API does not answer", and, with
#                          --pebble, a pebble whose VA resolves through that BIND.
source "$(dirname "${BASH_SOURCE[0]}")/dns_servers.sh"
source "$(dirname "${BASH_SOURCE[0]}")/pebble.sh"

: "${CERTCTL_DNS_DRIVER:?set CERTCTL_DNS_DRIVER to the certctl_dns_driver binary}"
require_tool curl
driver() { "$CERTCTL_DNS_DRIVER" "$@"; }

dns_api_start() {
  require_tool nsupdate
  BIND_RECURSION=1 bind_start
  if [[ ${1:-} == --pebble ]]; then PEBBLE_DNS_SERVER=$BIND_SERVER pebble_start; fi
  reserve_closed_port
  export CERTCTL_DNS_RESOLVER=$BIND_SERVER
  (umask 077 && printf '%s:%s:%s\n' "$BIND_KEY_ALG" "$BIND_KEY_NAME" "$BIND_KEY_SECRET" >"$TEST_TMP/tsig")
}
