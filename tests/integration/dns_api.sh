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

# dns_api_no_leaks PROVIDER DOMAIN SECRET...: `certctl --debug --log-file LOG dns test PROVIDER
# --domain DOMAIN` (a stored provider whose fake mirrors into the BIND of dns_api_start) works,
# and none of the SECRETs is in its trace, on its stdout or stderr, in the audit log, or in any
# file of the vault (secrets given as --NAME-file are kept sealed there).
dns_api_no_leaks() {
  local provider=$1 domain=$2 log="$TEST_TMP/trace-$1.log" s text
  shift 2
  rm -f "$log"
  expect_ok certctl --debug --log-file "$log" dns test "$provider" --domain "$domain"
  assert_contains "$(cat "$log")" "debug: http> "
  text="$OUT$ERR$(cat "$log")"
  for s in "$@"; do
    [[ ${#s} -ge 6 ]] || fail "dns_api_no_leaks: secret '$s' is too short to look for"
    [[ $text != *"$s"* ]] || fail "a secret of $provider ('${s:0:4}...') is in the trace or the output"
    ! grep -rqaF -- "$s" "$CERTCTL_VAULT" || fail "a secret of $provider ('${s:0:4}...') is in the vault unsealed"
  done
  pass
}
