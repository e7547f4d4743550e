#!/usr/bin/env bash
# The cloudflare DNS provider against tests/support/fake_cloudflare.py, a loopback stand-in that
# checks every request against Cloudflare's public API documentation (method, path, query,
# Bearer token, Content-Type, JSON fields and types, quoted TXT content) and answers in the
# documented envelope. Any violation fails the test. Driven through certctl_dns_driver.
source "$(dirname "$0")/lib.sh"

: "${CERTCTL_DNS_DRIVER:?set CERTCTL_DNS_DRIVER to the certctl_dns_driver binary}"
require_tool curl
driver() { "$CERTCTL_DNS_DRIVER" "$@"; }

ZONE_ID=023e105f4ecef8ad9ca31a8372d0c353
NAME=_acme-challenge.a.example.com
export CF_TOKEN="cf-token-$RANDOM$RANDOM"
(umask 077 && printf '%s\n' "$CF_TOKEN" >"$TEST_TMP/token")
start_fake cf fake_cloudflare.py --token-file "$TEST_TMP/token" --zone "example.com=$ZONE_ID" \
  --record "example.com:$NAME:\"unrelated value\""
CF=$FAKE_URL
API=$CF/client/v4

hook() { fake_get "$CF" "$1"; }
# contents_at NAME: the contents of the fake's TXT records at NAME, sorted, one a line.
contents_at() {
  hook records | python3 -c 'import json,sys; print("\n".join(sorted(r["content"] for r in json.load(sys.stdin) if r["name"]==sys.argv[1])))' "$1"
}
no_violations() { no_fake_violations "$CF" Cloudflare; }

CFO=(--type cloudflare --opt "api-url=$API" --secret api-token:env:CF_TOKEN --fqdn "$NAME." --zone example.com.)
V1=GSPvmLS2Kz0V3RgVnuLc8l-a8MHe5Kd2JxHdD6BnzUk
V2=KMy8Wj0A3HxXVrHnT9pQ8l1bAc0Uy3nZ7xGkq2WoP4s

step "present two values, in two runs"
started=$SECONDS
expect_ok driver present "${CFO[@]}" --value "$V1"
expect_ok driver present "${CFO[@]}" --value "$V2"
assert_eq "$(contents_at $NAME)" "$(printf '%s\n' "\"$V1\"" "\"$V2\"" '"unrelated value"' | sort)" "records after present"
step "present again: the identical record is not an error and not duplicated"
expect_ok driver present "${CFO[@]}" --value "$V1"
assert_eq "$(contents_at $NAME | wc -l)" 3 "number of records"
no_violations

step "cleanup in a new process: looked up by name and content, only ours deleted"
expect_ok driver cleanup "${CFO[@]}" --value "$V1" --value "$V2"
assert_eq "$(contents_at $NAME)" '"unrelated value"' "records after cleanup"
expect_ok driver cleanup "${CFO[@]}" --value "$V1"
assert_contains "$(hook requests)" "/client/v4/zones/$ZONE_ID/dns_records?type=TXT&name.exact=$NAME&content.exact=%22$V1%22"
no_violations
echo "    present/cleanup against the fake: $((SECONDS - started))s"

step "a bad token: exit 8 with Cloudflare's message, the token never printed"
export CF_BAD_TOKEN="wrong-$RANDOM$RANDOM"
expect_exit 8 driver present --type cloudflare --opt "api-url=$API" --secret api-token:env:CF_BAD_TOKEN \
  --fqdn "$NAME." --zone example.com. --value "$V1"
assert_one_line_error
assert_contains "$ERR" "Cloudflare rejected the API token (HTTP 403): Invalid access token (code 9109)"
assert_not_contains "$ERR" "$CF_BAD_TOKEN"

step "a zone the account does not have: exit 8 naming the zone"
expect_exit 8 driver present --type cloudflare --opt "api-url=$API" --secret api-token:env:CF_TOKEN \
  --fqdn _acme-challenge.nosuch.example. --zone nosuch.example. --value "$V1"
assert_one_line_error
assert_contains "$ERR" "nosuch.example.: zone not found in the Cloudflare account"

step "a zone-id that does not exist: exit 8 with Cloudflare's routing error"
expect_exit 8 driver present "${CFO[@]}" --opt zone-id=0123456789abcdef0123456789abcdef --value "$V1"
assert_contains "$ERR" "Could not route to"
no_violations
assert_eq "$(contents_at $NAME)" '"unrelated value"' "records at the end"
