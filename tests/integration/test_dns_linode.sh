#!/usr/bin/env bash
# The linode DNS provider against tests/support/fake_linode.py, a loopback stand-in that checks
# every request against Linode's public API v4 documentation (method, path, paging, X-Filter,
# Bearer token, Content-Type, JSON fields and types, names relative to the domain, TXT targets
# unquoted) and answers as documented; any violation fails the test. Driven through
# certctl_dns_driver: two values at one name, paging, cleanup in another process, a bad token, an
# unknown domain, an API that does not answer.
source "$(dirname "$0")/lib.sh"

: "${CERTCTL_DNS_DRIVER:?set CERTCTL_DNS_DRIVER to the certctl_dns_driver binary}"
require_tool curl
driver() { "$CERTCTL_DNS_DRIVER" "$@"; }
reserve_closed_port

export LI_TOKEN="li-$RANDOM$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$LI_TOKEN" >"$TEST_TMP/token")
NAME=_acme-challenge.a.example.com
start_fake li fake_linode.py --token-file "$TEST_TMP/token" --domain other.example=11 --domain example.com=42 \
  --page-size 1 --record "example.com:_acme-challenge.a:unrelated value"
LI=$FAKE_URL

hook() { fake_get "$LI" "$1"; }
no_violations() { no_fake_violations "$LI" Linode; }
# targets_at NAME: the targets of the fake's TXT records at NAME (relative), sorted, one a line.
targets_at() {
  hook records | "$PYTHON3" -c 'import json,sys; print("\n".join(sorted(r["target"] for r in json.load(sys.stdin) if r["name"]==sys.argv[1])))' "$1"
}

LIO=(--type linode --opt "api-url=$LI" --secret api-token:env:LI_TOKEN --fqdn "$NAME." --zone example.com.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values in two runs (the domain found by X-Filter among two)"
expect_ok driver present "${LIO[@]}" --value "$V1"
expect_ok driver present "${LIO[@]}" --value "$V2"
assert_eq "$(targets_at _acme-challenge.a)" "$(printf '%s\n' "$V1" "$V2" 'unrelated value' | sort)" "records after present"
no_violations

step "cleanup in another process: found page by page by name and type, only ours deleted"
expect_ok driver cleanup "${LIO[@]}" --value "$V1" --value "$V2"
assert_eq "$(targets_at _acme-challenge.a)" 'unrelated value' "records after cleanup"
assert_contains "$(hook requests)" "GET /v4/domains/42/records?page=3&page_size=500"
expect_ok driver cleanup "${LIO[@]}" --value "$V1"
no_violations

step "a bad token: exit 8 with Linode's reason, the token never printed"
export LI_BAD_TOKEN="li-wrong$RANDOM$RANDOM"
expect_exit 8 driver present --type linode --opt "api-url=$LI" --secret api-token:env:LI_BAD_TOKEN \
  --fqdn "$NAME." --zone example.com. --value "$V1"
assert_contains "$ERR" "Linode rejected the API token (HTTP 401): Invalid Token"
assert_not_contains "$ERR" "$LI_BAD_TOKEN"

step "a domain the account does not have: exit 8 naming it; an API that does not answer: exit 6"
expect_exit 8 driver present --type linode --opt "api-url=$LI" --secret api-token:env:LI_TOKEN \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_contains "$ERR" "nosuch.example.: zone not found in the Linode account"
expect_exit 6 driver present --type linode --opt "api-url=http://127.0.0.1:$CLOSED_PORT" \
  --secret api-token:env:LI_TOKEN --fqdn "$NAME." --zone example.com. --value "$V1"
assert_contains "$ERR" "127.0.0.1:$CLOSED_PORT"
assert_eq "$(targets_at _acme-challenge.a)" 'unrelated value' "records at the end"
no_violations
